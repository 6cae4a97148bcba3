"""eFiction's HTML-ish text to plain text with blank lines between paragraphs.

eFiction shows a text as HTML when it contains ``<br>`` or ``<p>``, and otherwise turns its
newlines into line breaks (PHP's nl2br). Texts are legacy markup, often broken (a missing closing
quote in an ``href`` is common), so tags are recognised with a forgiving pattern that stops at
the first ``>`` instead of a real HTML parser, which would swallow the following lines into the
broken attribute. A ``>`` or ``<`` that does not form a tag ("> quoted reply", "I <3 you") stays
text.
"""

from __future__ import annotations

import html
import re

__all__ = ["html_to_text", "looks_like_html", "text_to_html", "only_links"]

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*>")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_DROP = re.compile(r"<(script|style)\b[^<>]*>.*?</\1\s*>", re.S | re.I)
_HTML_MODE = re.compile(r"<(?:p|br|div|blockquote|h[1-6]|li|table)\b", re.I)
_BLOCKS = {"p", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
           "table", "tr", "center", "pre", "dl", "dt", "dd", "address"}
_SCENE_BREAK = "* * *"
_HREF = re.compile(r"""href\s*=\s*["']?([^"'\s<>]+)""", re.I)
_URL_ONLY = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$", re.I)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def looks_like_html(text: str) -> bool:
    return _HTML_MODE.search(text) is not None


def _squeeze(text: str) -> str:
    """Runs of spaces and tabs as one space. Plain replacements, since a regex that is tried at
    every space of a chapter was most of this module's time."""
    if "\t" in text:
        text = text.replace("\t", " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def html_to_text(source: str | None) -> str:
    """Plain text: paragraphs separated by one blank line, line breaks kept inside them."""
    if not source:
        return ""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    markup = "<" in source  # most chapter texts of nl2br archives hold no tag at all
    if markup:
        if "<!--" in source:
            source = _COMMENT.sub("", source)
        if "<s" in source or "<S" in source:
            source = _DROP.sub("", source)
    as_html = markup and looks_like_html(source)
    if as_html:
        # Source newlines are only whitespace in HTML.
        source = _squeeze(source.replace("\n", " "))

    def tag(m: re.Match[str]) -> str:
        name = m.group(2).lower()
        if name == "br":
            return "\n"
        if name == "hr":
            return f"\n\n{_SCENE_BREAK}\n\n"
        if name in _BLOCKS:
            return "\n\n"
        if name in ("td", "th"):
            return " "
        return ""

    text = html.unescape(_TAG.sub(tag, source) if markup else source).replace("\xa0", " ")
    # Runs of spaces never cross a line end, so one pass over the whole text does every line.
    text = _squeeze(text)
    paragraphs = []
    for block in _BLANK_LINE.split(text):
        lines = [line.strip() for line in block.split("\n")]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def text_to_html(source: str | None) -> str:
    """The HTML eFiction would have shown: the text itself, or its nl2br rendering."""
    if not source:
        return ""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    if looks_like_html(source):
        return source
    out = []
    for block in _BLANK_LINE.split(source.strip("\n")):
        block = block.strip()
        if not block:
            continue
        if _TAG.fullmatch(block) and block[1:3].lower() == "hr":
            out.append(block)
        else:
            lines = (line.rstrip() for line in block.split("\n"))
            out.append("<p>" + "<br />\n".join(lines) + "</p>")
    return "\n".join(out)


def only_links(source: str, text: str) -> list[str]:
    """The link targets when a chapter holds nothing but a link (a bookmark, not a story)."""
    if len(text) > 2000:
        return []  # far more than a dozen words and a URL: a text, not a bookmark
    hrefs = _HREF.findall(source)
    if hrefs and len(text.split()) <= 12:
        return hrefs
    if _URL_ONLY.match(text):
        return [text.strip()]
    return []
