"""Member and file names: which are unsafe, which are junk nobody wants imported."""

from __future__ import annotations

import re

# Left behind by operating systems and tools, never stories: skipped silently like dotfiles.
JUNK_NAMES = frozenset(
    {"__MACOSX", "Thumbs.db", "desktop.ini", "$RECYCLE.BIN", "System Volume Information"}
)
_DRIVE = re.compile(r"^[A-Za-z]:")


def normalize_member_name(name: str) -> str:
    """Forward slashes only: old Windows zip tools wrote ``dir\\story.txt``."""
    return name.replace("\\", "/")


def is_hidden(name: str) -> bool:
    """True for dotfiles, AppleDouble ``._x`` files and OS junk, at any depth of ``name``."""
    return any(
        (part.startswith(".") and part not in {".", ".."}) or part in JUNK_NAMES
        for part in normalize_member_name(name).split("/")
    )


def unsafe_reason(name: str) -> str | None:
    """Why an archive member name could escape a folder if anyone ever extracted it, or None.

    Members are read in memory and never written under their own name, but an archive that
    carries such names was made to attack someone; refusing them keeps that visible.
    """
    if "\x00" in name:
        return "member name contains a NUL byte"
    clean = normalize_member_name(name)
    if not display_name(name):
        return "member name is empty"
    if clean.startswith("/"):
        return f"absolute member path {name!r}"
    if _DRIVE.match(clean):
        return f"member path {name!r} starts with a drive letter"
    if ".." in clean.split("/"):
        return f"member path {name!r} climbs out of the archive with '..'"
    return None


def display_name(name: str) -> str:
    """The name as it appears in a locator: forward slashes, no leading ``./``."""
    parts = [p for p in normalize_member_name(name).split("/") if p not in {"", "."}]
    return "/".join(parts)


_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with the bytes of a file or member name that was not UTF-8 written as ``\\xNN``.

    ``os.fsdecode`` and ``tarfile`` keep such bytes as lone surrogates, which no database and no
    terminal accepts. The escaped form is stable, so the same file keeps the same locator.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_escape_surrogate, text)


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"
