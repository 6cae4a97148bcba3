"""Repairs on decoded text: line ends, entities, NFC, mojibake, control characters.

Each repair is recorded as a :class:`QualityFlag` with a short detail. Most stories need none
of them, so every step first checks cheaply (on the UTF-8 bytes, with memchr and
bytes.translate) whether it has anything to do.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from html.entities import html5 as _HTML5_ENTITIES

import ftfy

from fanarchive.parsed import QualityFlag

__all__ = ["repair_text"]

_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,  # entities are handled below, and only outside HTML documents
    uncurl_quotes=False,  # curly quotes are the author's typography
    fix_latin_ligatures=False,
    fix_character_width=False,  # fullwidth forms are legitimate in CJK text
    fix_line_breaks=False,  # done here, so that a line-end change is not called mojibake
    remove_control_chars=False,  # done here, and counted
    normalization="NFC",
    explain=False,
)

# A UTF-8 lead byte read as cp1252 followed by as many continuation characters as that lead
# needs ("Ã©", "â€™"), "Ã " (a lost NBSP), C1 controls, lone surrogates, terminal escapes.
# Requiring the full sequence keeps ftfy away from ordinary accents ("café’s"). The patterns
# run over the UTF-8 bytes: one that starts with a literal byte is scanned by a fast prefix
# search, many times quicker than a string pattern on accented prose.
#
# _CONT_UTF8: what cp1252/latin-1 make of UTF-8 continuation bytes 0x80-0xBF, in UTF-8.
_CONT_UTF8 = (rb"(?:\xc2[\x80-\xbf]|\xc5[\x92\x93\xa0\xa1\xb8\xbd\xbe]|\xc6\x92|\xcb[\x86\x9c]"
              rb"|\xe2\x80[\x93\x94\x98-\x9e\xa0-\xa2\xa6\xb0\xb9\xba]|\xe2\x82\xac|\xe2\x84\xa2)")
_LEAD_HINT_UTF8 = re.compile(
    rb"\xc3(?:[\x82-\x9f]" + _CONT_UTF8 + rb"|[\xa0-\xaf]" + _CONT_UTF8 + rb"{2}|[\xb0-\xb4]"
    + _CONT_UTF8 + rb"{3}|\x83 )"
)
_OTHER_HINT_UTF8 = re.compile(rb"\xc2[\x80-\x9f]|\xed[\xa0-\xbf]|\x1b")
# C0 controls but tab and newline, DEL, C1 controls, stray byte-order marks, lone surrogates.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ud800-\udfff]")
_C0_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_C1_OR_SURROGATE = re.compile(rb"\xc2[\x80-\x9f]|\xed[\xa0-\xbf]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)")


def repair_text(text: str, flags: list[QualityFlag], *, decode_entities: bool = True) -> str:
    """Line ends, entities, NFC, mojibake, control characters; each repair appended to flags."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if decode_entities and "&" in text:
        text = _decode_entities(text, flags)
    ascii_only = text.isascii()
    if ascii_only:
        raw = text.encode("ascii")
    else:
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        raw = text.encode("utf-8", errors="surrogatepass")
        fixed = _fix_mojibake(text, raw, flags)
        if fixed is not text:
            text = fixed
            raw = text.encode("utf-8", errors="surrogatepass")
    # Control characters are looked for in the UTF-8 bytes: bytes.translate and memchr are
    # an order of magnitude faster than a regex over the string.
    if (len(raw.translate(None, _C0_BYTES)) != len(raw) or b"\xef\xbb\xbf" in raw
            or ((b"\xc2" in raw or b"\xed" in raw) and _C1_OR_SURROGATE.search(raw))):
        text = _strip_controls(text, flags)
    if not ascii_only:
        invalid = text.count("\ufffd")
        if invalid:
            flags.append(QualityFlag("invalid-bytes",
                                     f"{invalid} undecodable character(s) replaced by U+FFFD"))
    return text


@lru_cache(maxsize=4096)
def _entity_value(entity: str) -> str | None:
    if entity[1] != "#" and entity[1:] not in _HTML5_ENTITIES:
        return None  # "&foo;" is not an entity: the author's text stays
    return html.unescape(entity)


def _decode_entities(text: str, flags: list[QualityFlag]) -> str:
    # Walk the ampersands with str.find: prose has few, and a regex pass over the whole
    # text would cost more than all of them.
    pieces: list[str] = []
    found: list[str] = []
    last = 0
    pos = text.find("&")
    while pos >= 0:
        match = _ENTITY.match(text, pos)
        value = _entity_value(match.group(0)) if match else None
        if match and value is not None:
            pieces += (text[last:pos], value)
            found.append(match.group(0))
            last = match.end()
            pos = text.find("&", last)
        else:
            pos = text.find("&", pos + 1)
    if not found:
        return text
    pieces.append(text[last:])
    examples = ", ".join(dict.fromkeys(found[:40]))
    flags.append(QualityFlag("html-entities-decoded", f"{len(found)}: {_cap(examples)}"))
    return "".join(pieces)


def _fix_mojibake(text: str, raw: bytes, flags: list[QualityFlag]) -> str:
    """``text`` with mojibake lines repaired (the same object when nothing changed)."""
    hits = list(_LEAD_HINT_UTF8.finditer(raw)) if b"\xc3" in raw else []
    if b"\xc2" in raw or b"\xed" in raw or b"\x1b" in raw:
        hits += _OTHER_HINT_UTF8.finditer(raw)
    if not hits:
        return text
    # ftfy works line by line anyway; handing it only the suspicious lines keeps a story with
    # one bad line from paying for all the others. Lines split the same in bytes and text.
    suspicious = sorted({raw.count(b"\n", 0, hit.start()) for hit in hits})
    lines = text.split("\n")
    changed: list[tuple[str, str]] = []
    for i in suspicious:
        line = lines[i]
        fixed = ftfy.fix_text(line, _FTFY)
        if fixed != line:
            changed.append((line, fixed))
            lines[i] = fixed
    if not changed:
        return text
    before, after = _first_difference(*changed[0])
    flags.append(QualityFlag("mojibake-repaired",
                             f"{len(changed)} line(s), e.g. {before!r} -> {after!r}"))
    return "\n".join(lines)


def _first_difference(old: str, new: str) -> tuple[str, str]:
    """The word around the first change, before and after, for a readable example."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    left = old.rfind(" ", 0, start) + 1

    def word(text: str) -> str:
        right = text.find(" ", start)
        return text[left : right if right >= 0 else None][:40]

    return word(old), word(new)


def _strip_controls(text: str, flags: list[QualityFlag]) -> str:
    removed: dict[str, int] = {}

    def replace(match: re.Match[str]) -> str:
        ch = match.group(0)
        removed[ch] = removed.get(ch, 0) + 1
        # A vertical tab is Word's manual line break and a form feed a page break: keep the
        # break so the words on either side do not run together.
        return "\n" if ch in "\x0b\x0c" else ""

    text = _CONTROLS.sub(replace, text)
    detail = ", ".join(f"U+{ord(ch):04X}×{n}" for ch, n in sorted(removed.items()))
    flags.append(QualityFlag("control-chars-removed", _cap(detail)))
    return text


def _cap(detail: str, size: int = 200) -> str:
    return detail if len(detail) <= size else detail[: size - 1] + "…"
