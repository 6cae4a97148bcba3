"""Parse a page once with lxml, safely, and the few tree helpers every HTML parser needs.

Shared by the htmlstory, efiction and listing plugins. lxml (libxml2) is used directly rather
than through BeautifulSoup: one archive crawl parses tens of thousands of pages and the bs4 tree
costs several times the parse itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from fanarchive.document import Document
from fanarchive.parsed import QualityFlag

# libxml2 stops building the tree at 256 levels and drops the rest of the page. Real pages get
# there through hundreds of unclosed <font>/<b> tags, so past this depth we drop the extra tags
# (keeping their text) and parse again: a flat but complete tree beats a truncated one.
MAX_DEPTH = 200

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr", "basefont", "frame", "isindex", "keygen"})
# Tags and comments in document order: (closing slash, name, attributes).
_TOKENS = re.compile(r"<(?:!--.*?--|(/?)([a-zA-Z][\w:-]*)([^>]*))>", re.DOTALL)


@dataclass
class Page:
    """A parsed page: the lxml root, the page's own URL and what went wrong while parsing."""

    root: etree._Element
    url: str | None
    flags: list[QualityFlag] = field(default_factory=list)
    # Per-page memo for work several readers repeat (URL joins, message boxes).
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def absolute(self, href: str | None) -> str | None:
        """``href`` resolved against the page URL, without its fragment; None when unusable."""
        if not href:
            return None
        joined: dict[str, str | None] = self.cache.setdefault("absolute", {})
        if href not in joined:
            joined[href] = absolute_url(self.url, href)
        return joined[href]


def _parser() -> etree.HTMLParser:
    return etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True,
                            no_network=True, default_doctype=False)


def parse_page(document: Document, text: str | None = None) -> Page:
    """Parse ``document`` (its decoded text) into a :class:`Page`; never raises on bad HTML."""
    return parse_html(document.text if text is None else text, document.url)


def parse_html(text: str, url: str | None = None) -> Page:
    # lxml refuses str input that carries an XML encoding declaration (XHTML pages do).
    text = _XML_DECLARATION.sub("", text, count=1)
    if "\x00" in text:
        text = text.replace("\x00", "")
    flags: list[QualityFlag] = []
    parser = _parser()
    root = etree.fromstring(text, parser) if text.strip() else None
    if _too_deep(parser):
        flattened, dropped = flatten_deep_tags(text, MAX_DEPTH)
        flags.append(QualityFlag(
            "html-too-deep",
            f"tags nested deeper than {MAX_DEPTH} levels; {dropped} inner tags dropped, text kept",
        ))
        parser = _parser()
        root = etree.fromstring(flattened, parser)
    if root is None:
        root = etree.fromstring("<html><body></body></html>", _parser())
    return Page(root=root, url=url, flags=flags)


def _too_deep(parser: etree.HTMLParser) -> bool:
    return any("Excessive depth" in entry.message for entry in parser.error_log)


def flatten_deep_tags(text: str, limit: int) -> tuple[str, int]:
    """``text`` with every open/close tag below nesting depth ``limit`` removed.

    A regex tokenizer rather than a parser, on purpose: it only runs on pages libxml2 gave up
    on, must not recurse, and only has to keep the text and the outer structure.
    """
    drops: list[tuple[int, int]] = []
    depth = 0
    dropped: dict[str, int] = {}
    for match in _TOKENS.finditer(text):
        closing, name, rest = match.group(1, 2, 3)
        if name is None:
            continue  # a comment
        name = name.lower()
        if name in _VOID or rest.endswith("/"):
            continue
        if closing:
            if dropped.get(name):
                dropped[name] -= 1
                drops.append(match.span())
            elif depth:
                depth -= 1
        elif depth >= limit:
            dropped[name] = dropped.get(name, 0) + 1
            drops.append(match.span())
        else:
            depth += 1
    pieces = []
    pos = 0
    for start, end in drops:
        pieces.append(text[pos:start])
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces), sum(1 for _ in drops)


def absolute_url(base: str | None, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    scheme = href.split(":", 1)[0].lower() if ":" in href.split("/", 1)[0] else ""
    if scheme and scheme not in ("http", "https"):
        return None  # mailto:, javascript:, ftp:, data: ...
    joined = urljoin(base, href) if base else href
    parts = urlsplit(joined)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def classes(el: etree._Element) -> list[str]:
    value = el.get("class")
    return value.split() if value else []


def has_class(el: etree._Element, name: str) -> bool:
    value = el.get("class")
    return bool(value) and name in value.split()


def body_of(page: Page) -> etree._Element:
    body = page.root.find("body")
    return body if body is not None else page.root


def title_of(page: Page) -> str | None:
    """The document's <title>, whitespace collapsed."""
    el = page.root.find("head/title")
    if el is None:
        el = page.root.find(".//title")
    if el is None:
        return None
    text = " ".join("".join(el.itertext()).split())
    return text or None


def meta_content(page: Page, name: str) -> str | None:
    """``<meta name=...>`` content (case-insensitive name), or None."""
    head = page.root.find("head")
    for meta in (head if head is not None else page.root).iter("meta"):
        if (meta.get("name") or meta.get("property") or "").lower() == name:
            content = meta.get("content")
            if content and content.strip():
                return content.strip()
    return None


def inline_text(el: etree._Element) -> str:
    """Text of ``el`` on one line: whitespace runs collapsed, ends stripped."""
    return " ".join("".join(el.itertext()).split())


_LINE_BREAK = re.compile(r"[ \t]*[\r\n\f\v]+[ \t\r\n\f\v]*")


def exact_text(el: etree._Element) -> str:
    """Text of ``el`` with inner spacing kept ("Young Adult  20-29"); line breaks are spaces.

    Names that are database keys (eFiction categories, classes) must survive byte for byte.
    """
    return _LINE_BREAK.sub(" ", "".join(el.itertext())).strip()
