"""HTML to the plain text the store keeps: paragraphs separated by one blank line.

A browser's view, not the source's: source line wrapping is a space, ``<p>``/``<div>``/other
blocks and ``<br><br>`` end a paragraph, a single ``<br>`` is a line break inside one. The walk
is lxml's C ``iterwalk`` so a page nested thousands of levels deep cannot hit Python's
recursion limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lxml import etree

BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "menu",
    "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul", "xmp", "listing", "plaintext",
})
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title", "select",
                       "option", "textarea", "button", "iframe", "object", "embed", "svg",
                       "math", "map"})
_PRE_TAGS = frozenset({"pre", "xmp", "listing", "plaintext"})
_OTHER_SPACE = re.compile(r"[\t\n\r\f\v\xa0]")  # a no-break space is a space in plain text

Skip = Callable[[etree._Element], bool]


class _TextBuilder:
    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.lines: list[str] = []
        self.line: list[str] = []

    def text(self, value: str | None, pre: bool) -> None:
        if not value:
            return
        if pre:
            first, *rest = value.split("\n")
            self.line.append(first)
            for part in rest:
                self.end_line()
                self.line.append(part)
        else:
            self.line.append(_collapse(value))

    def end_line(self) -> None:
        line = _squeeze("".join(self.line).strip())
        self.line = []
        if line:
            self.lines.append(line)
        elif self.lines:
            # An empty line after text (``<br><br>``) ends the paragraph.
            self.end_paragraph()

    def br(self) -> None:
        self.end_line()

    def end_paragraph(self) -> None:
        if self.line:
            line = "".join(self.line).strip()
            self.line = []
            if line:
                self.lines.append(_squeeze(line))
        if self.lines:
            self.paragraphs.append("\n".join(self.lines))
            self.lines = []

    def result(self) -> list[str]:
        self.end_paragraph()
        return self.paragraphs


def _collapse(value: str) -> str:
    """Whitespace runs as one space, as a browser shows them (edge spaces kept for joins)."""
    if "  " not in value and not _OTHER_SPACE.search(value):
        return value  # the common case, and a regex substitution per word is slow
    inner = " ".join(value.split())
    if not inner:
        return " "
    return (" " if value[0].isspace() else "") + inner + (" " if value[-1].isspace() else "")


def _squeeze(line: str) -> str:
    return line if "  " not in line else re.sub(r" {2,}", " ", line)


def paragraphs(elements: Iterable[etree._Element], *, skip: Skip | None = None) -> list[str]:
    """The paragraphs of ``elements`` (and their descendants) in document order.

    ``skip`` says which elements to leave out with their subtree (site chrome, label spans);
    their tails are kept, since a tail belongs to the parent's flow.
    """
    out = _TextBuilder()
    for element in elements:
        walker = etree.iterwalk(element, events=("start", "end"))
        pre_depth = 0
        skipped = False
        for event, el in walker:
            tag = el.tag if isinstance(el.tag, str) else ""
            if event == "start":
                if tag in SKIP_TAGS or (skip is not None and el is not element and skip(el)):
                    # The next event is this element's own "end": only its tail is read.
                    walker.skip_subtree()
                    skipped = True
                    continue
                if tag in BLOCK_TAGS:
                    out.end_paragraph()
                elif tag == "br":
                    out.br()
                if tag in _PRE_TAGS:
                    pre_depth += 1
                out.text(el.text, pre_depth > 0)
                continue
            if skipped:
                skipped = False
            elif tag in _PRE_TAGS:
                pre_depth -= 1
                out.end_paragraph()
            elif tag in BLOCK_TAGS:
                out.end_paragraph()
            if el is not element:
                out.text(el.tail, pre_depth > 0)
        out.end_paragraph()
    return [p for p in (_tidy(p) for p in out.result()) if p]


def _tidy(paragraph: str) -> str:
    lines = [_squeeze(line.strip()) for line in paragraph.split("\n")]
    return "\n".join(line for line in lines if line)


def html_to_text(elements: etree._Element | Iterable[etree._Element], *,
                 skip: Skip | None = None) -> str:
    """Plain text of an element (or several): paragraphs joined by one blank line."""
    if isinstance(elements, etree._Element):
        elements = [elements]
    return "\n\n".join(paragraphs(elements, skip=skip))


def inner_html(el: etree._Element, *, skip: Skip | None = None) -> str:
    """The element's content as HTML (without the element's own tag), for later sanitizing."""
    from html import escape

    parts = [escape(el.text, quote=False)] if el.text else []
    for child in el:
        if skip is not None and skip(child):
            if child.tail:
                parts.append(escape(child.tail, quote=False))
            continue
        parts.append(etree.tostring(child, method="html", encoding="unicode", with_tail=True))
    return "".join(parts).strip()
