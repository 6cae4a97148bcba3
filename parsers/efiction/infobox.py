"""eFiction's metadata runs: ``<span class="label">Rated:</span> X<br />`` inside one div.

The values are not wrapped: everything between one label span and the next belongs to the
first, links included. The run is read in one pass over the container (lxml's C walker, so
deep or broken markup cannot recurse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fanarchive_parsers.htmlstory.dom import Page, exact_text, has_class, inline_text
from fanarchive_parsers.htmlstory.text import BLOCK_TAGS
from lxml import etree

MAX_BOLD_LABEL = 30
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")
_LINE_BREAKS = re.compile(r"\s*\n\s*")
# Skins separate one-line values with "|", ";" or bullets: "Words: 900 | Hits: 4".
_SEPARATOR_TAIL = re.compile(r"[\s|;•·]+$")
_LEAD_END = re.compile(r"[\[|•·]")


def _trim(value: str) -> str:
    return _SEPARATOR_TAIL.sub("", value)


@dataclass
class Segment:
    """One label and what follows it up to the next label."""

    label: str  # as written, colon and outer spaces removed: "Word count"
    parts: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (absolute URL or href, text)
    lead_parts: int | None = None  # how many parts came before the first element

    @property
    def lead(self) -> str:
        """The words before any markup: "G" of "G [<a>Reviews</a> - 4]" in a listing title."""
        parts = self.parts if self.lead_parts is None else self.parts[: self.lead_parts]
        return _trim(" ".join(_LEAD_END.split("".join(parts))[0].split()))

    @property
    def text(self) -> str:
        """The value as plain text: ``<br>`` is a line break, ``<br><br>`` a paragraph."""
        lines = [_SPACES.sub(" ", line).strip() for line in "".join(self.parts).split("\n")]
        paragraphs: list[list[str]] = [[]]
        for line in lines:
            if line:
                paragraphs[-1].append(line)
            elif paragraphs[-1]:
                paragraphs.append([])
        return _trim("\n\n".join("\n".join(p) for p in paragraphs if p))

    @property
    def raw(self) -> str:
        """The value as written on one line; link texts kept exactly ("Young Adult  20-29")."""
        flat = _trim(_LINE_BREAKS.sub(" ", "".join(self.parts)).strip())
        names = [text for _, text in self.links]
        if names and " ".join(flat.split()) == " ".join(", ".join(names).split()):
            return ", ".join(names)
        text = self.text
        return text if "\n" in text else flat

    @property
    def values(self) -> list[str]:
        """List items: the link texts when the value is links, else the text split on commas."""
        if self.links:
            return [text for _, text in self.links if text]
        text = " ".join(self.text.split())
        if not text or text.lower() in ("none", "n/a"):
            return []
        return [item.strip() for item in text.split(",") if item.strip()]


def is_label(el: etree._Element) -> bool:
    """``<span class="label">`` in the default skins; ``<b>Rated:</b>`` in some others."""
    if el.tag == "span":
        return has_class(el, "label")
    if el.tag in ("b", "strong"):
        text = inline_text(el)
        return 1 < len(text) <= MAX_BOLD_LABEL and text.endswith(":")
    return False


def label_name(el: etree._Element) -> str:
    return inline_text(el).strip().rstrip(":").strip()


def read_segments(page: Page, container: etree._Element) -> list[Segment]:
    """The label segments of ``container`` in document order."""
    segments: list[Segment] = []
    current: Segment | None = None
    walker = etree.iterwalk(container, events=("start", "end"))
    for event, el in walker:
        if not isinstance(el.tag, str):
            continue
        if event == "start":
            if el is not container and is_label(el):
                current = Segment(label_name(el))
                segments.append(current)
                walker.skip_subtree()  # its end event still comes, and carries the tail
                continue
            if current is None or el is container:
                continue
            if current.lead_parts is None:
                current.lead_parts = len(current.parts)
            if el.tag == "br" or el.tag in BLOCK_TAGS:
                current.parts.append("\n")
            elif el.tag == "a":
                href = el.get("href") or ""
                current.links.append((page.absolute(href) or href, exact_text(el)))
            elif el.tag in ("script", "style"):
                walker.skip_subtree()
                continue
            if el.text:
                current.parts.append(el.text)
        else:
            if current is None or el is container:
                continue
            if el.tag in BLOCK_TAGS:
                current.parts.append("\n")
            if el.tail:
                current.parts.append(el.tail)
    return [s for s in segments if s.label]


def label_count(container: etree._Element, wanted: frozenset[str]) -> int:
    """How many of the ``wanted`` labels (lower case) the container's label spans name."""
    names = {label_name(el).lower() for el in container.iter("span", "b", "strong")
             if is_label(el)}
    return len(names & wanted)
