"""File names that every filesystem accepts, made from story titles.

A collection moves between Linux, Windows, macOS, FAT-formatted e-readers and zip files, so a
name must survive the strictest of them: no ``/ \\ : * ? " < > |``, no control characters, no
trailing dot or space, no reserved DOS device names, at most 255 bytes, and no two names that
differ only by case or Unicode normalization (macOS and Windows would treat them as one file).
"""

from __future__ import annotations

import re
import unicodedata

_ILLEGAL = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
_SPACES = re.compile(r"\s+")
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CLOCK$", "CONIN$", "CONOUT$",
             *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
# Well under 255 bytes, leaving room for " (12345)", the extension and a temporary suffix.
MAX_STEM_BYTES = 150


def safe_stem(title: str | None, fallback: str = "untitled") -> str:
    """``title`` as a file name stem (no extension) that is legal everywhere."""
    stem = unicodedata.normalize("NFC", title or "")
    stem = _SPACES.sub(" ", stem)  # tabs and newlines read as spaces, not as "_"
    stem = _ILLEGAL.sub("_", stem).strip(" .")
    stem = _fit_bytes(stem, MAX_STEM_BYTES).rstrip(" .")
    if not stem.strip("_ "):
        stem = fallback
    if stem.split(".")[0].upper().rstrip() in _RESERVED:
        stem = "_" + stem
    return stem


def _fit_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    # Cut on a character boundary, then drop a trailing combining mark left without its base.
    cut = encoded[:limit].decode("utf-8", errors="ignore")
    while cut and unicodedata.combining(cut[-1]):
        cut = cut[:-1]
    return cut


def ascii_slug(text: str | None, limit: int = 50) -> str:
    """A lowercase ASCII slug for URLs (``stories/the-title-….html``); may be empty."""
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:limit].rstrip("-")


class UniqueNames:
    """Hands out names no two of which collide on a case-insensitive filesystem."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, stem: str, extension: str = "") -> str:
        candidate = stem + extension
        number = 1
        while self._key(candidate) in self._taken:
            number += 1
            candidate = f"{stem} ({number}){extension}"
        self._taken.add(self._key(candidate))
        return candidate

    @staticmethod
    def _key(name: str) -> str:
        return unicodedata.normalize("NFC", name).casefold()
