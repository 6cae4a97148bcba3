"""Bytes to clean text: BOM, declared or detected charset, mojibake repair, line ends, NFC.

Legacy archives lie about their encodings, mix them inside one file and double-encode. The
order below follows what is most reliable first:

1. a byte-order mark;
2. UTF-16/32 without a BOM, recognised by its NUL-byte pattern (a stray NUL is not one);
3. valid UTF-8 — a random single-byte text is almost never valid UTF-8, so this beats any label;
4. UTF-8 with a few stray single-byte characters (a Word paste into a UTF-8 file);
5. the declared charset (HTTP header, then ``<meta>`` for HTML), latin-1 labels read as cp1252;
6. a guess: cp1252 when the text reads as Western prose, else charset-normalizer;
7. cp1252, which decodes anything.

The decoded text then goes through :func:`fanarchive.normalize.repairs.repair_text`; every
guess and repair is recorded as a :class:`QualityFlag`. Most stories are ASCII or clean UTF-8,
so each step first checks cheaply whether it has anything to do.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from fanarchive.normalize.repairs import repair_text
from fanarchive.parsed import QualityFlag

__all__ = ["DecodedText", "codec_for_label", "decode_bytes", "repair_text",
           "wide_without_bom"]


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    flags: tuple[QualityFlag, ...] = ()


_BOMS = (
    # UTF-32 first: the UTF-32-LE BOM starts with the UTF-16-LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels that in practice mean windows-1252 (the WHATWG encoding standard does the same):
# pages declaring ISO-8859-1 use curly quotes from the 0x80-0x9F range all the time.
_CP1252_ALIASES = {"iso8859-1", "ascii", "cp1252", "latin-1"}


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; read them as latin-1 (the C1
    # controls) like browsers do, so a cp1252 decode never fails. They are stripped later.
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("fanarchive.latin1", _latin1_fallback)


def _cp1252(data: bytes) -> str:
    return data.decode("cp1252", errors="fanarchive.latin1")


def codec_for_label(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when the label is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in ("x-user-defined", "unicode", "none"):
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name in _CP1252_ALIASES else name


_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]{0,100}?encoding\s*=\s*["']([A-Za-z0-9._\-]+)""")


def _html_declared(data: bytes) -> str | None:
    head = data[:4096]
    found = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return found.group(1).decode("ascii") if found else None


# How much of the start of a text is looked at for the NUL pattern of UTF-16/32 (as much as the
# sources' sniffer reads).
WIDE_SAMPLE = 8192
# UTF-16 without a BOM needs evidence: NULs on one parity in at least _WIDE_SHARE of the code
# units (mostly-Latin text has them in nearly all; CJK text in its line ends, digits and ASCII
# punctuation), at least _MIN_WIDE_NULS of them, and next to none on the other parity. A stray
# NUL or a few in single-byte text are not UTF-16: they are control characters, removed later.
_WIDE_SHARE = 0.02
_MIN_WIDE_NULS = 4
_OTHER_PARITY_SHARE = 0.01


def wide_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` or ``utf-32-le``/``-be`` when the first bytes show that encoding's
    NUL pattern, else None. There is no BOM to go by, so it takes evidence: NULs on one parity
    in a good share of the sample, and the sample then decoding to text, not controls."""
    sample = data[:WIDE_SAMPLE]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    wide = _wide_pattern(sample)
    if wide is None:
        return None
    unit = 4 if wide.startswith("utf-32") else 2
    # The sample may end inside a character or a surrogate pair: drop the last unit or two.
    cut = len(sample) - len(sample) % unit
    if cut == len(data):
        text = sample.decode(wide, errors="replace")
    else:
        text = sample[: max(cut - 2 * unit, unit)].decode(wide, errors="replace")
    junk = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
    return wide if junk <= len(text) // 20 else None


def _wide_pattern(sample: bytes) -> str | None:
    quads = len(sample) // 4
    if quads >= 2:
        quad = sample[: quads * 4]
        zeros = [quad[i::4].count(0) / quads for i in range(4)]
        if zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] > 0.9 and zeros[0] < 0.1:
            return "utf-32-le"
        if zeros[0] > 0.9 and zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] < 0.1:
            return "utf-32-be"
    pairs = sample[: len(sample) & ~1]
    units = len(pairs) // 2
    even, odd = pairs[0::2].count(0), pairs[1::2].count(0)
    most, least = max(even, odd), min(even, odd)
    if most < max(_MIN_WIDE_NULS, units * _WIDE_SHARE):
        return None
    if least > units * _OTHER_PARITY_SHARE or 4 * least > most:
        return None
    return "utf-16-le" if odd > even else "utf-16-be"


_ESCAPED = re.compile("[\udc80-\udcff]+")
_HIGH_BYTES = bytes(range(0x80, 0x100))


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 with a few invalid bytes, each read as cp1252; None when it is not mostly UTF-8.

    In single-byte text an accented letter is almost never followed by the continuation bytes
    UTF-8 needs, so valid multi-byte sequences outnumbering the invalid bytes mean UTF-8.
    """
    # Counted with C-level bytes operations: this runs for every non-UTF-8 file.
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    valid = data.decode("utf-8", errors="ignore")
    ascii_count = len(data) - high
    good = len(valid) - ascii_count
    bad = high - (len(valid.encode("utf-8")) - ascii_count)
    if good < 2 or good < bad:
        return None
    text = data.decode("utf-8", errors="surrogateescape")
    fixed = _ESCAPED.sub(lambda m: _cp1252(bytes(ord(c) - 0xDC00 for c in m.group(0))), text)
    return fixed, bad


def _byte_classes() -> bytes:
    """A translate table: ASCII -> "a", cp1252 letters -> "L", other -> "P", rare -> "R"."""
    # Characters Western prose rarely uses; Cyrillic, Greek or Shift-JIS bytes read as cp1252
    # produce them, or produce runs of accented letters.
    rare = "‚ƒ†‡ˆ‰Š‹ŽšžŸ¤¦¨¬¯´¸¹²³¼½¾×÷ðþÐÞ"
    table = bytearray(b"a" * 256)
    for byte in range(0x80, 0x100):
        ch = bytes([byte]).decode("cp1252", errors="replace")
        table[byte] = ord("R") if ch in rare or ch == "\ufffd" else (
            ord("L") if ch.isalpha() else ord("P"))
    return bytes(table)


_CLASSES = _byte_classes()


def _reads_as_western(data: bytes) -> bool:
    """Do these single-byte bytes read as English or Western European prose in cp1252?"""
    classes = data[:100_000].translate(_CLASSES)
    letters, other, rare = classes.count(b"L"), classes.count(b"P"), classes.count(b"R")
    total = letters + other + rare
    # "LL": accented letters side by side, rare in Western text, constant in Cyrillic read
    # as cp1252 ("Ïðèâåò").
    return total == 0 or (rare + 2 * classes.count(b"LL")) / total < 0.2


def _guess(data: bytes) -> tuple[str, str]:
    """Decode unlabeled non-UTF-8 bytes; returns (text, encoding)."""
    text = _cp1252(data)
    if _reads_as_western(data):
        return text, "cp1252"
    from charset_normalizer import from_bytes  # imported lazily: slow import, rare path

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        encoding = codec_for_label(best.encoding) or best.encoding
        return data.decode(encoding, errors="replace"), encoding
    return text, "cp1252"


def decode_bytes(data: bytes, *, declared: str | None = None, is_html: bool = False) -> DecodedText:
    """Decode ``data`` to clean text.

    ``declared`` is a charset from outside the bytes (HTTP ``Content-Type``, a database's
    charset); for HTML the ``<meta>`` charset is read as well. Either is trusted only when the
    bytes are not valid UTF-8: legacy pages often declare ISO-8859-1 over UTF-8 bytes.
    Entities are decoded only when ``is_html`` is false (an HTML parser does that itself).
    """
    flags: list[QualityFlag] = []
    text, encoding = _decode(data, declared, is_html, flags)
    return DecodedText(repair_text(text, flags, decode_entities=not is_html), encoding,
                       tuple(flags))


def _decode(
    data: bytes, declared: str | None, is_html: bool, flags: list[QualityFlag]
) -> tuple[str, str]:
    wide = wide_without_bom(data)
    if wide is None and data.isascii():
        return data.decode("ascii"), "utf-8"  # the same in every label we accept
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace"), name
    if wide is not None:
        flags.append(QualityFlag("encoding-guessed", f"{wide} (no byte-order mark)"))
        return data.decode(wide, errors="replace"), wide

    labels = [declared] + ([_html_declared(data)] if is_html else [])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        for label in labels:
            codec = codec_for_label(label)
            if codec and codec != "utf-8":
                flags.append(QualityFlag("charset-mislabelled",
                                         f"declared {label}, bytes are valid UTF-8"))
                break
        return text, "utf-8"

    mixed = _mostly_utf8(data)
    if mixed is not None:
        text, bad = mixed
        flags.append(QualityFlag("encoding-mixed",
                                 f"UTF-8 with {bad} stray byte(s) read as cp1252"))
        return text, "utf-8"

    for label in labels:
        codec = codec_for_label(label)
        if codec is None or codec.startswith("utf-8"):
            continue
        if codec == "cp1252":
            return _cp1252(data), codec
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            flags.append(QualityFlag("charset-mislabelled", f"declared {label}, bytes are not"))

    text, encoding = _guess(data)
    flags.append(QualityFlag("encoding-guessed", encoding))
    return text, encoding
