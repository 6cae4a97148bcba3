"""Label headers marked up in HTML: ``<b>Title:</b> X``, ``<strong>Author:</strong>``,
``<td>Rating:</td><td>PG</td>``, ``<dt>Summary</dt><dd>...</dd>``.

Which words are labels comes from the plain-text parser's table (``plaintext.labels``), so both
parsers agree on synonyms. A label's value runs to the end of its line, except for multi-line
fields (summary, notes), which run to the next label when one follows before the story.
"""

from __future__ import annotations

import dataclasses
import re
from copy import deepcopy
from dataclasses import dataclass

from fanarchive_parsers.htmlstory.chrome import remove_keep_tail
from fanarchive_parsers.htmlstory.dom import Page, absolute_url, body_of, inline_text
from fanarchive_parsers.htmlstory.text import BLOCK_TAGS, html_to_text
from fanarchive_parsers.plaintext.labels import SINGLE_LINE_FIELDS, field_for, label_key
from lxml import etree

# Not <label>: that is a form field's caption ("Penname:" on a login form), never a header.
INLINE_LABEL_TAGS = frozenset({"b", "strong", "u", "em", "i", "font", "span", "big"})
CELL_LABEL_TAGS = frozenset({"td", "th"})
MAX_LABEL_CHARS = 40

# Notes that belong to one part/chapter rather than to the story.
CHAPTER_NOTE_LABELS = frozenset({"part notes", "part note", "chapter notes", "chapter note",
                                 "author's chapter notes", "notes for this part"})
END_NOTE_LABELS = frozenset({"end notes", "end note", "chapter end notes", "endnotes",
                             "end notes for this part", "afterword"})
# Unmapped labels accepted only next to known ones (fandom-specific headers like "Spoilers").
_LABEL_SHAPE = re.compile(r"^[^\W\d_][\w'’ ./&-]{0,38}$")
# "Part 2: The Road" headings name a part and its chapter title.
PART_HEADING = re.compile(r"^\s*(?:part|chapter)\s+(\d{1,3})\s*(?:[:.\-–—]\s*(.*))?$",
                          re.IGNORECASE)


@dataclass
class Header:
    label: str  # as written, without the colon
    text: str  # plain-text value
    field: str | None
    # (href, text) of the links inside the value; the label and value markup in the tree.
    links: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    nodes: list[etree._Element] = dataclasses.field(default_factory=list)
    end: etree._Element | None = None  # the <br> that ends the value line (its tail stays)
    cell_row: etree._Element | None = None  # table row holding a cell label


def _split_label(text: str, tail: str | None) -> tuple[str, str] | None:
    """(label, rest) when ``text`` (plus the start of ``tail``) reads as ``Label:``."""
    text = " ".join(text.split())
    if not text:
        return None
    if ":" in text:
        label, _, rest = text.partition(":")
        label = label.strip()
        if label and len(label) <= MAX_LABEL_CHARS:
            return label, rest.strip()
        return None
    if tail is not None and tail.lstrip().startswith(":") and len(text) <= MAX_LABEL_CHARS:
        return text, ""
    return None


def known_label(label: str) -> str | None:
    """The canonical field for ``label``, "" for label-shaped unknown words, None otherwise."""
    key = label_key(label)
    name = field_for(key)
    if name is not None:
        return name
    if key in CHAPTER_NOTE_LABELS or key in END_NOTE_LABELS:
        return ""
    return "" if _LABEL_SHAPE.match(label) and label[:1].isupper() else None


# A multi-line value that runs to a rule is a long summary; past this it is story text.
MAX_VALUE_CHARS = 1500


def _value_nodes(label_el: etree._Element, multi_line: bool
                 ) -> tuple[list[etree._Element], etree._Element | None]:
    """Siblings after an inline label that make up its value, and the <br> ending it.

    The value's line ends at the first <br>; a multi-line field's value runs on to the next
    label when one follows before any block, or to a rule when that is near, else to the first
    <br><br>. The ending <br> is returned apart: its tail is not part of the value.
    """
    siblings: list[etree._Element] = []
    for sib in label_el.itersiblings():
        if not isinstance(sib.tag, str):
            continue
        if sib.tag in BLOCK_TAGS or _ends_value(sib, siblings[-1] if siblings else label_el):
            break
        siblings.append(sib)
    if multi_line:
        nxt = siblings[-1].getnext() if siblings else label_el.getnext()
        if nxt is not None and _inline_label_of(nxt) is not None:
            return siblings, None
        if (nxt is None or nxt.tag == "hr") and _span_chars(label_el, siblings) <= MAX_VALUE_CHARS:
            return siblings, None
    out: list[etree._Element] = []
    previous_br = False
    for sib in siblings:
        if sib.tag == "br":
            if not multi_line or previous_br:
                return out, sib
            previous_br = not (sib.tail and sib.tail.strip())
        else:
            previous_br = False
        out.append(sib)
    return out, None


def _ends_value(el: etree._Element, previous: etree._Element) -> bool:
    """Whether inline ``el`` is the next label rather than more of the current value.

    A known label always is ("<b>Title:</b> X <b>Author:</b> Y" on one line). An unknown
    label-shaped run only when it starts a line: "<b>Summary:</b> <i>Rain Song</i>: a story
    about..." opens a summary with an italic title and a colon, and is no "Rain Song" header.
    """
    split = _inline_label_of(el)
    if split is None:
        return False
    if known_label(split[0]):
        return True
    return previous.tag == "br" and not (previous.tail or "").strip()


def _span_chars(label_el: etree._Element, siblings: list[etree._Element]) -> int:
    total = len(label_el.tail or "")
    for sib in siblings:
        total += len("".join(sib.itertext())) + len(sib.tail or "")
    return total


def _inline_label_of(el: etree._Element) -> tuple[str, str] | None:
    if el.tag not in INLINE_LABEL_TAGS:
        return None
    split = _split_label(inline_text(el), el.tail)
    if split is None or known_label(split[0]) is None:
        return None
    return split


def _value_text(label_el: etree._Element, rest: str, nodes: list[etree._Element]) -> str:
    holder = etree.Element("div")
    tail = label_el.tail or ""
    if tail.lstrip().startswith(":"):
        tail = tail.lstrip()[1:]
    holder.text = (rest + " " if rest else "") + tail
    for node in nodes:
        holder.append(deepcopy(node))
    return html_to_text(holder)


def _links(page: Page, nodes: list[etree._Element]) -> list[tuple[str, str]]:
    found = []
    for node in nodes:
        for a in node.iter("a"):
            href = a.get("href") or ""
            if href.lower().startswith("mailto:"):
                found.append((href, inline_text(a)))
            else:
                url = absolute_url(page.url, href)
                if url:
                    found.append((url, inline_text(a)))
    return found


def find_headers(page: Page, root: etree._Element | None = None,
                 stop: etree._Element | None = None) -> list[Header]:
    """Label headers in ``root`` (the body) in document order, up to where the story starts.

    The header run ends at a rule (``<hr>``) after the first header, at ``stop`` (a story text
    container) or at the first long paragraph that holds no label.
    """
    root = root if root is not None else body_of(page)
    headers: list[Header] = []
    claimed: set[etree._Element] = set()
    walker = etree.iterwalk(root, events=("start",))
    for _event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if el in claimed:
            walker.skip_subtree()
            continue
        if stop is not None and el is stop:
            break
        if tag == "form":
            walker.skip_subtree()
            continue
        if tag == "hr" and headers:
            break
        header: Header | None = None
        if tag in INLINE_LABEL_TAGS:
            header = _inline_header(page, el)
        elif tag in CELL_LABEL_TAGS:
            header = _cell_header(page, el)
        elif tag == "dt":
            header = _dt_header(page, el)
        elif tag in ("p", "div", "blockquote") and _long_prose(el):
            break
        if header is None:
            continue
        if header.field == "" and not _near_known(headers):
            continue  # an unknown bold word before any real header: emphasis, not a label
        headers.append(header)
        claimed.update(header.nodes)
        walker.skip_subtree()
    return headers


def _near_known(headers: list[Header]) -> bool:
    return any(h.field for h in headers[-3:])


def _long_prose(el: etree._Element, limit: int = 300) -> bool:
    """A paragraph of story text: long, and not itself holding labels."""
    text = el.text or ""
    if len(text.strip()) < limit and not any(len((c.tail or "").strip()) >= limit for c in el):
        total = len(" ".join("".join(el.itertext()).split()))
        if total < limit:
            return False
    return not any(_inline_label_of(c) is not None for c in el.iter(*INLINE_LABEL_TAGS))


def _inline_header(page: Page, el: etree._Element) -> Header | None:
    split = _inline_label_of(el)
    if split is None:
        return None
    label, rest = split
    name = known_label(label) or None
    multi = name is None or name not in SINGLE_LINE_FIELDS
    # "<b>Title: Foo</b>": label and value in one bold run; the line may go on after it.
    nodes, end = _value_nodes(el, multi_line=multi and not rest)
    text = _value_text(el, rest, nodes)
    links = _links(page, [el, *nodes] if rest else nodes)
    return Header(label, text, name, links, [el, *nodes], end=end)


def _cell_header(page: Page, el: etree._Element) -> Header | None:
    row = el.getparent()
    if row is None or row.tag != "tr":
        return None
    cells = [c for c in row if isinstance(c.tag, str) and c.tag in CELL_LABEL_TAGS]
    if len(cells) != 2 or cells[0] is not el:
        return None
    raw = inline_text(el)
    label = raw[:-1].strip() if raw.endswith(":") else raw
    if not label or len(label) > MAX_LABEL_CHARS or ":" in label:
        return None
    name = known_label(label)
    if name is None or (name == "" and not raw.endswith(":") and "label" not in
                        (el.get("class") or "")):
        return None
    value = cells[1]
    return Header(label, html_to_text(value), name or None, _links(page, [value]), [el, value],
                  cell_row=row)


def _dt_header(page: Page, el: etree._Element) -> Header | None:
    value = el.getnext()
    if value is None or value.tag != "dd":
        return None
    raw = inline_text(el)
    label = raw[:-1].strip() if raw.endswith(":") else raw
    name = known_label(label) if label and len(label) <= MAX_LABEL_CHARS else None
    if name is None:
        return None
    return Header(label, html_to_text(value), name or None, _links(page, [value]), [el, value])


def remove_header_markup(headers: list[Header]) -> None:
    """Take the headers out of the tree so the story text does not repeat them."""
    rows: dict[etree._Element, int] = {}
    for header in headers:
        if header.cell_row is not None:
            rows[header.cell_row] = rows.get(header.cell_row, 0) + 1
            continue
        for node in header.nodes:
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)  # with its tail: the tail is value text
        if header.end is not None:
            remove_keep_tail(header.end)
    for row in rows:
        table = row.getparent()
        if table is not None:
            table.remove(row)
            _drop_empty_table(table)


def _drop_empty_table(el: etree._Element) -> None:
    while el is not None and el.tag in ("tbody", "thead", "table") and not len(el):
        parent = el.getparent()
        if parent is None:
            return
        parent.remove(el)
        el = parent


def part_heading(text: str) -> tuple[int, str | None] | None:
    """``Part 2: The Road`` -> (2, "The Road")."""
    match = PART_HEADING.match(text)
    if match is None:
        return None
    return int(match.group(1)), (match.group(2) or "").strip() or None
