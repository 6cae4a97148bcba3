"""UTF-16 without a BOM takes evidence: one stray NUL in cp1252 or UTF-8 text is not UTF-16."""

from __future__ import annotations

from pathlib import Path

import pytest

from fanarchive.cli import main
from fanarchive.normalize.encoding import decode_bytes, wide_without_bom
from fanarchive.sources import sniff
from fanarchive.store.store import Store

HEADERS = "Title: Café Night\nAuthor: Zoë\nRating: PG\n\n"
PROSE = "She said “hello” to the naïve barista at the café, and he smiled back. " * 60


def _with_nul(data: bytes, before: bytes = b"barista") -> bytes:
    at = data.index(before)
    return data[:at] + b"\x00" + data[at:]


def _codes(flags: tuple[object, ...] | list[object]) -> list[str]:
    return [flag.code for flag in flags]  # type: ignore[attr-defined]


@pytest.mark.parametrize("codec", ["cp1252", "utf-8"])
def test_one_stray_nul_in_the_first_8k_is_a_control_character(codec: str) -> None:
    data = _with_nul((HEADERS + PROSE).encode(codec))
    assert data.index(b"\x00") < 8192

    assert wide_without_bom(data) is None
    assert not sniff.looks_like_utf16(data[: sniff.HEAD_BYTES])
    assert sniff.refuse(data, "story.txt", "story.txt") is None  # text, not binary
    decoded = decode_bytes(data)
    assert decoded.encoding == codec
    assert decoded.text == HEADERS + PROSE  # the NUL removed, every other character intact
    flags = {flag.code: flag.detail for flag in decoded.flags}
    assert flags["control-chars-removed"] == "U+0000×1"


@pytest.mark.parametrize("text", [
    b"Hi\x00 there",
    b"ab\x00cd\x00ef",  # two NULs on one parity: still no evidence
    b"Title: A\x00\nAuthor: B\n\nShort caf\xe9 story.\n",
])
def test_short_texts_with_a_stray_nul_are_not_wide(text: bytes) -> None:
    assert wide_without_bom(text) is None
    assert not sniff.looks_like_utf16(text)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_real_utf16_without_bom_is_still_found(codec: str) -> None:
    text = HEADERS + PROSE
    data = text.encode(codec)

    assert wide_without_bom(data) == codec
    assert sniff.looks_like_utf16(data[: sniff.HEAD_BYTES])
    decoded = decode_bytes(data)
    assert (decoded.encoding, decoded.text) == (codec, text)
    assert _codes(decoded.flags) == ["encoding-guessed"]


def test_cjk_utf16_without_bom_with_few_ascii_characters() -> None:
    text = ("昔々、ある所にお爺さんとお婆さんが住んでいました。お爺さんは山へ芝刈りに、"
            "お婆さんは川へ洗濯に行きました。\r\n") * 40
    data = text.encode("utf-16-le")

    assert wide_without_bom(data) == "utf-16-le"  # only the line ends carry NULs
    assert sniff.refuse(data, "story.txt", "story.txt") is None
    assert decode_bytes(data).text == text.replace("\r\n", "\n")


def test_binary_with_scattered_nuls_is_still_binary() -> None:
    data = bytes((i * 97 + 13) % 256 for i in range(4096))
    error = sniff.refuse(data, "blob.txt", "blob.txt")
    assert error is not None and error.code == "binary"


def _import(tmp_path: Path, data: bytes, *extra: str) -> tuple[int, str]:
    path = tmp_path / "story.txt"
    path.write_bytes(data)
    url = f"sqlite:///{tmp_path / 'fa.sqlite3'}"
    return main(["--db", url, "import", "-q", *extra, str(path)]), url


def _stored(url: str) -> tuple[str, list[str]]:
    store = Store.open(url)
    try:
        [row] = list(store.iter_stories())
        story = store.load_story(row)
        return story.chapters[0].text, _codes(story.quality_flags)
    finally:
        store.close()


def test_utf16_le_without_bom_imports(tmp_path: Path) -> None:
    code, url = _import(tmp_path, (HEADERS + PROSE).encode("utf-16-le"))
    assert code == 0
    text, flags = _stored(url)
    assert "naïve barista" in text
    assert "encoding-guessed" in flags


def test_cp1252_with_one_nul_imports_intact_with_a_flag(tmp_path: Path) -> None:
    code, url = _import(tmp_path, _with_nul((HEADERS + PROSE).encode("cp1252")),
                        "--parser", "plaintext")
    assert code == 0
    text, flags = _stored(url)
    assert text.strip() == PROSE.strip()
    assert "\x00" not in text
    assert "control-chars-removed" in flags


def test_cp1252_with_one_nul_is_recognised_without_forcing_the_parser(tmp_path: Path) -> None:
    code, url = _import(tmp_path, _with_nul((HEADERS + PROSE).encode("cp1252")))
    assert code == 0
    assert "control-chars-removed" in _stored(url)[1]
