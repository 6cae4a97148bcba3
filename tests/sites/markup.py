"""Small HTML/text helpers shared by the site renderers and the model."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote

_TAG = re.compile(r"<[^>]+>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</p\s*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def esc(text: str) -> str:
    """Escape for element content and double- or single-quoted attributes."""
    return html.escape(text, quote=True)


def esc_text(text: str) -> str:
    """Escape element content only: PHP's htmlspecialchars leaves quotes alone in prose."""
    return html.escape(text, quote=False)


@lru_cache(maxsize=65536)  # pure, and word counts re-derive it for every page render
def html_to_text(fragment: str) -> str:
    """Plain text of a fragment this package generated (not a general HTML-to-text converter).

    ``<br>`` becomes a newline and ``</p>`` a paragraph break, so summaries with ``<br /><br />``
    come out the way a reader sees them.
    """
    text = _BR.sub("\n", fragment)
    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_LIGATURES = str.maketrans({"Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "ß": "ss", "Ø": "O",
                            "ø": "o"})


def slugify(text: str) -> str:
    """ASCII file-name slug, the way old archive scripts named files."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "untitled"


def qs(**params: object) -> str:
    """A query string with ``&amp;`` separators, as PHP templates print it inside attributes."""
    return "&amp;".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())


def join_links(items: Iterable[tuple[str, str]], sep: str = ", ", quote_char: str = "'") -> str:
    """``<a href='url'>text</a>`` joined by ``sep``; eFiction uses single-quoted hrefs here."""
    q = quote_char
    parts = [f"<a href={q}{href}{q}>{esc(text)}</a>" for href, text in items]
    return sep.join(parts) if parts else "None"
