"""Split chapter HTML that is too long for a target (AO3's chapter size) at paragraph boundaries.

Parts are made of whole top-level blocks (paragraphs, divs, tables), so no tag is ever cut in
two. Only a single block longer than the limit by itself is broken inside, between words; its
inline formatting is then lost and the caller is told so (``formatting_lost``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from lxml import html as lxml_html


@dataclass
class Split:
    parts: list[str]
    formatting_lost: bool = False


def _blocks(fragment: str) -> list[str]:
    wrapper = lxml_html.fragment_fromstring(fragment, create_parent="div")
    blocks = [html.escape(wrapper.text, quote=False)] if wrapper.text and wrapper.text.strip() \
        else []
    for child in wrapper:
        # tostring includes the tail text after the element, which belongs with it.
        blocks.append(lxml_html.tostring(child, encoding="unicode"))
    return blocks


def _break_words(block: str, limit: int) -> list[str]:
    text = lxml_html.fragment_fromstring(block, create_parent="div").text_content()
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    # A "word" longer than a part (a line of 600,000 dashes) is cut too; escaping can make
    # a character five long (& is &amp;), hence the division.
    longest = max(1, (limit - 7) // 5)
    words = [w[i:i + longest] for w in text.split() for i in range(0, len(w), longest)]
    for word in words:
        cost = len(html.escape(word, quote=False)) + 1
        if current and size + cost > limit - 7:  # room for <p></p>
            pieces.append("<p>" + html.escape(" ".join(current), quote=False) + "</p>")
            current, size = [], 0
        current.append(word)
        size += cost
    if current:
        pieces.append("<p>" + html.escape(" ".join(current), quote=False) + "</p>")
    return pieces


def split_html(fragment: str, limit: int) -> Split:
    """``fragment`` as parts of at most ``limit`` characters each (one part when it fits)."""
    if len(fragment) <= limit:
        return Split([fragment])
    result = Split([])
    current: list[str] = []
    size = 0
    for block in _blocks(fragment):
        pieces = [block]
        if len(block) > limit:
            pieces = _break_words(block, limit)
            result.formatting_lost = True
        for piece in pieces:
            if current and size + len(piece) + 1 > limit:
                result.parts.append("\n".join(current))
                current, size = [], 0
            current.append(piece)
            size += len(piece) + 1
    if current:
        result.parts.append("\n".join(current))
    return result
