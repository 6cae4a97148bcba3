"""The one HTML policy every HTML-producing export shares (EPUB, static site, AO3, Open Doors).

Story HTML comes from dead archives and is hostile until proven otherwise. The policy keeps
what old fan fiction uses for meaning (emphasis, alignment, tables, colour, links) and removes
anything that runs code or makes a reader's device fetch something: scripts, event handlers,
``javascript:`` URLs, images, stylesheets, frames, forms, and CSS that could name a URL.
A page built from it is readable offline and tells no one who is reading it.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from lxml import etree
from lxml import html as lxml_html

from fanarchive.story import Chapter

TAGS = frozenset({
    "a", "abbr", "acronym", "address", "b", "big", "blockquote", "br", "caption", "center",
    "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "font",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strike", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
})
# Removed with everything inside them: their content is code or chrome, never story text.
DROP_WITH_CONTENT = frozenset({"script", "style", "noscript", "template", "iframe", "object",
                               "embed", "svg", "math", "title", "head", "select", "textarea"})
_GLOBAL_ATTRIBUTES = {"title", "lang", "dir", "align", "style"}
ATTRIBUTES = {
    "*": _GLOBAL_ATTRIBUTES,
    "a": {"href", "name"},
    # No src: an image is a request (tracking pixel, dead host); the alt text stays readable.
    "img": {"alt", "width", "height"},
    "font": {"color", "size", "face"},
    "td": {"colspan", "rowspan", "valign", "width"},
    "th": {"colspan", "rowspan", "valign", "width", "scope"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value"},
    "table": {"border", "cellpadding", "cellspacing", "width", "summary"},
    "hr": {"width", "size", "noshade"},
}
# CSS properties that can carry a url() (background, list-style-image, content, cursor, ...)
# are absent, so a style attribute cannot make the reader's browser fetch anything.
STYLE_PROPERTIES = frozenset({
    "color", "background-color", "text-align", "text-decoration", "text-indent",
    "text-transform", "font-style", "font-weight", "font-size", "font-family", "font-variant",
    "margin-left", "margin-right", "padding-left", "padding-right", "border", "border-style",
    "border-width", "border-color", "vertical-align", "white-space", "letter-spacing",
    "line-height", "direction", "unicode-bidi",
})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

# Code points XML 1.0 forbids; an EPUB reader rejects the whole chapter over one of them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_PARAGRAPH_BREAK = re.compile(r"\n(?:[ \t]*\n)+")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        stripped = value.strip()
        # Protocol-relative links would follow whatever scheme serves the page.
        if stripped.startswith("//"):
            return None
        return stripped
    if attribute == "face":
        # A font face is only a name; anything else is an attempt at something.
        return value if re.fullmatch(r"[\w ,'\"-]{1,100}", value) else None
    return value


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(TAGS), clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ATTRIBUTES.items()},
        attribute_filter=_keep_attribute, strip_comments=True, link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES), filter_style_properties=set(STYLE_PROPERTIES),
    )


def clean_html(fragment: str) -> str:
    """Story HTML made safe to show: the shared policy above, applied with nh3."""
    return _XML_ILLEGAL.sub("", _cleaner().clean(fragment))


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs: blank lines part paragraphs, single newlines are <br>."""
    text = _XML_ILLEGAL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text.strip("\n")) if p.strip()]
    return "\n".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs
    )


def chapter_html(chapter: Chapter) -> str:
    """The safe HTML body of a chapter: its own markup when known, else its text."""
    if chapter.html and chapter.html.strip():
        cleaned = clean_html(chapter.html)
        if cleaned.strip():
            return cleaned
    return text_to_html(chapter.text)


def to_xhtml(fragment: str) -> str:
    """An HTML fragment re-serialized as well-formed XHTML (for EPUB content documents)."""
    fragment = _XML_ILLEGAL.sub("", fragment)
    if not fragment.strip():
        return ""
    wrapper = lxml_html.fragment_fromstring(fragment, create_parent="div")
    parts = [html.escape(wrapper.text, quote=False)] if wrapper.text else []
    parts += [etree.tostring(child, method="xml", encoding="unicode") for child in wrapper]
    return "".join(parts)


def xml_safe(text: str | None) -> str:
    """``text`` without the characters XML cannot carry (for metadata given to XML writers)."""
    return _XML_ILLEGAL.sub("", text or "")


def escape(text: str | None) -> str:
    """Text for an HTML/XHTML text node or attribute, with XML-illegal characters dropped."""
    return html.escape(_XML_ILLEGAL.sub("", text or ""), quote=True)
