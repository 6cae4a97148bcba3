"""Bytes to text: BOMs, UTF-16 without BOM, mislabelled pages, cp1252, mojibake, controls."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from fanarchive.normalize.encoding import codec_for_label, decode_bytes, repair_text
from fanarchive.parsed import QualityFlag

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "html"
SPECIALS = "Ä Ö Ü é è È É ü ö ä ß ñ"


def codes(flags: tuple[QualityFlag, ...] | list[QualityFlag]) -> list[str]:
    return [f.code for f in flags]


def test_utf8_page_declaring_utf8() -> None:
    data = (FIXTURES / "work_import_special_characters_auto_utf.html").read_bytes()
    decoded = decode_bytes(data, is_html=True)
    assert decoded.encoding == "utf-8"
    assert "<title>Das Maß aller Dinge</title>" in decoded.text
    assert SPECIALS in decoded.text
    assert decoded.flags == ()


def test_mislabelled_page_utf8_bytes_with_latin1_meta() -> None:
    data = (FIXTURES / "work_import_special_characters_man_utf.html").read_bytes()
    decoded = decode_bytes(data, is_html=True)
    assert decoded.encoding == "utf-8"
    assert "Das Maß aller Dinge" in decoded.text
    assert SPECIALS in decoded.text
    assert "Ã" not in decoded.text
    assert codes(decoded.flags) == ["charset-mislabelled"]
    assert "ISO-8859-1" in decoded.flags[0].detail


def test_mislabelled_page_with_http_header_label_too() -> None:
    data = (FIXTURES / "work_import_special_characters_man_utf.html").read_bytes()
    decoded = decode_bytes(data, declared="iso-8859-1", is_html=True)
    assert "Das Maß aller Dinge" in decoded.text


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_byte_order_marks_are_honoured_and_removed(bom: bytes, codec: str) -> None:
    text = "Lořem ipsúm dolor — “quoted”"
    decoded = decode_bytes(bom + text.encode(codec), declared="iso-8859-1")
    assert decoded.text == text
    assert decoded.encoding == codec
    assert not decoded.text.startswith("\ufeff")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_encodings_without_bom_are_found_by_their_nul_bytes(codec: str) -> None:
    text = "Title: Following\nAuthor: Katjen\n\nHe has left a groove in the tree, café."
    decoded = decode_bytes(text.encode(codec))
    assert decoded.text == text
    assert decoded.encoding == codec
    assert codes(decoded.flags) == ["encoding-guessed"]


def test_ascii_is_fast_path_without_flags() -> None:
    decoded = decode_bytes(b"Title: Plain\n\nJust ASCII.\n")
    assert decoded == decode_bytes(b"Title: Plain\n\nJust ASCII.\n")
    assert decoded.text == "Title: Plain\n\nJust ASCII.\n"
    assert decoded.encoding == "utf-8"
    assert decoded.flags == ()


def test_unlabelled_cp1252_is_guessed_as_cp1252() -> None:
    text = "“I don’t know,” she said. The café was closed — again… Naïve résumé."
    decoded = decode_bytes(text.encode("cp1252"))
    assert decoded.text == text
    assert decoded.encoding == "cp1252"
    assert decoded.flags == (QualityFlag("encoding-guessed", "cp1252"),)


def test_declared_latin1_is_read_as_cp1252() -> None:
    # 0x93/0x94/0x92 are curly quotes in cp1252 but C1 controls in real ISO-8859-1.
    data = "“Das Maß” isn’t".encode("cp1252")
    decoded = decode_bytes(data, declared="ISO-8859-1")
    assert decoded.text == "“Das Maß” isn’t"
    assert decoded.encoding == "cp1252"
    assert decoded.flags == ()


def test_latin1_meta_in_html_is_used_when_bytes_are_not_utf8() -> None:
    page = '<html><head><meta charset="iso-8859-1"><title>Das Maß</title></head></html>'
    decoded = decode_bytes(page.encode("latin-1"), is_html=True)
    assert "<title>Das Maß</title>" in decoded.text
    assert decoded.encoding == "cp1252"


def test_http_equiv_meta_names_a_non_latin_charset() -> None:
    page = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
            "</head><body>Привет, как дела?</body></html>")
    decoded = decode_bytes(page.encode("cp1251"), is_html=True)
    assert "Привет, как дела?" in decoded.text
    assert decoded.encoding == "cp1251"


def test_undefined_cp1252_bytes_do_not_fail() -> None:
    decoded = decode_bytes(b"caf\xe9 \x81 end", declared="windows-1252")
    assert decoded.text == "café  end"
    assert "control-chars-removed" in codes(decoded.flags)


def test_unlabelled_cyrillic_goes_to_charset_detection() -> None:
    text = "Привет, как дела? Это история о вампирах и охотниках на вампиров."
    decoded = decode_bytes(text.encode("cp1251"))
    assert decoded.text == text
    assert decoded.flags == (QualityFlag("encoding-guessed", "cp1251"),)


def test_unlabelled_shift_jis_goes_to_charset_detection() -> None:
    text = "日本語の文章です。これは物語です。彼は走った。"
    decoded = decode_bytes(text.encode("shift_jis"))
    assert decoded.text == text
    assert codes(decoded.flags) == ["encoding-guessed"]


def test_utf8_with_a_stray_cp1252_byte_keeps_the_utf8() -> None:
    data = "Soufflé and jícama — twice: Soufflé, jícama.".encode() + b" Don\x92t."
    decoded = decode_bytes(data)
    assert decoded.text == "Soufflé and jícama — twice: Soufflé, jícama. Don’t."
    assert decoded.encoding == "utf-8"
    assert codes(decoded.flags) == ["encoding-mixed"]


def test_japanese_utf8_and_czech_are_left_alone() -> None:
    for text in ("日本語のテキスト。ＡＢＣ全角", "Lořem ipsúm dolor sit ąmet"):
        decoded = decode_bytes(text.encode())
        assert decoded.text == text
        assert decoded.flags == ()


def test_mojibake_is_repaired_and_flagged_with_an_example() -> None:
    broken = "He said â€œhelloâ€\x9d and didnâ€™t stay. Das MaÃŸ aller Dinge.\nClean line."
    decoded = decode_bytes(broken.encode())
    assert decoded.text == "He said “hello” and didn’t stay. Das Maß aller Dinge.\nClean line."
    (flag,) = decoded.flags
    assert flag.code == "mojibake-repaired"
    assert "â€œhello" in flag.detail and "“hello”" in flag.detail


def test_mojibake_repair_keeps_curly_quotes_ligatures_and_entities() -> None:
    text = "“Curly” ’quotes’ stay, ﬁne ligatures stay, &amp; stays in HTML. Ã©"
    decoded = decode_bytes(text.encode(), is_html=True)
    assert decoded.text.startswith("“Curly” ’quotes’ stay, ﬁne ligatures stay, &amp; stays")
    assert decoded.text.endswith("é")


def test_line_ends_become_lf() -> None:
    decoded = decode_bytes(b"one\r\ntwo\rthree\n\r\nfour")
    assert decoded.text == "one\ntwo\nthree\n\nfour"
    assert decoded.flags == ()


def test_control_characters_are_removed_and_counted() -> None:
    decoded = decode_bytes(b"a\x00b\x07c\td\x1be\x7ff\x0bg\x0ch")
    assert decoded.text == "abc\tdef\ng\nh"
    (flag,) = decoded.flags
    assert flag.code == "control-chars-removed"
    assert "U+0000×1" in flag.detail and "U+000B×1" in flag.detail


def test_stray_bom_in_the_middle_is_removed() -> None:
    decoded = decode_bytes("first file\n\ufeffsecond file".encode())
    assert decoded.text == "first file\nsecond file"
    assert codes(decoded.flags) == ["control-chars-removed"]


def test_text_is_nfc() -> None:
    decoded = decode_bytes("cafe\u0301 and A\u0308".encode())
    assert decoded.text == "café and Ä"
    assert decoded.flags == ()


def test_invalid_bytes_are_counted() -> None:
    text = "Already lost: \ufffd and \ufffd"
    decoded = decode_bytes(text.encode())
    assert decoded.text == text
    assert decoded.flags == (QualityFlag("invalid-bytes",
                                         "2 undecodable character(s) replaced by U+FFFD"),)


def test_invalid_bytes_under_a_bad_label() -> None:
    decoded = decode_bytes(b"\x82\xa0\x82\xa2 broken \xff\xfe\xfd", declared="shift_jis")
    assert "charset-mislabelled" in codes(decoded.flags)


def test_entities_in_plain_text_are_decoded_but_a_lone_ampersand_stays() -> None:
    decoded = decode_bytes(b"caf&eacute; it&#8217;s Buffy &amp; Spike, B&S, AT&T, Q & A, &foo;")
    assert decoded.text == "café it’s Buffy & Spike, B&S, AT&T, Q & A, &foo;"
    (flag,) = decoded.flags
    assert flag.code == "html-entities-decoded"
    assert flag.detail.startswith("3:")


def test_entities_in_html_documents_are_left_to_the_html_parser() -> None:
    page = b"<html><body><p>caf&eacute; &amp; &lt;b&gt;</p></body></html>"
    assert decode_bytes(page, is_html=True).text == page.decode()


def test_entity_producing_mojibake_is_repaired_too() -> None:
    decoded = decode_bytes(b"Das Ma&#195;&#159; aller Dinge")
    assert decoded.text == "Das Maß aller Dinge"
    assert codes(decoded.flags) == ["html-entities-decoded", "mojibake-repaired"]


def test_repair_text_is_usable_on_strings() -> None:
    flags: list[QualityFlag] = []
    assert repair_text("caf&eacute;\r\n", flags) == "café\n"
    assert codes(flags) == ["html-entities-decoded"]


@pytest.mark.parametrize(
    ("label", "codec"),
    [("ISO-8859-1", "cp1252"), ("latin1", "cp1252"), ("us-ascii", "cp1252"),
     ("windows-1252", "cp1252"), ("UTF-8", "utf-8"), ("'utf8'", "utf-8"),
     ("Shift_JIS", "shift_jis"), ("x-nonsense", None), (None, None)],
)
def test_codec_for_label(label: str | None, codec: str | None) -> None:
    assert codec_for_label(label) == codec
