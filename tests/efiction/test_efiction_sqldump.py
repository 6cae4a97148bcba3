"""The streaming MySQL dump reader: statement forms, literals, escapes, charsets, damage."""

from __future__ import annotations

import gzip
import io
from decimal import Decimal
from pathlib import Path

import pytest
from efiction_helpers import DUMP, dump_text, naive_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from fanarchive.sources.sqldump import (
    CreateTable,
    DumpError,
    DumpReader,
    Row,
    decode_sql_bytes,
    mysql_latin1_encode,
    open_dump,
)


def read(sql: str | bytes, **kwargs: object) -> list[CreateTable | Row]:
    data = sql.encode("utf-8") if isinstance(sql, str) else sql
    return list(DumpReader(io.BytesIO(data), **kwargs))  # type: ignore[arg-type]


def rows(sql: str | bytes, **kwargs: object) -> list[Row]:
    return [e for e in read(sql, **kwargs) if isinstance(e, Row)]


def values(sql: str | bytes, **kwargs: object) -> list[dict[str, object]]:
    return [r.values for r in rows(sql, **kwargs)]


def one_value(literal: str, prefix: str = "") -> object:
    return values(f"{prefix}INSERT INTO t (v) VALUES ({literal});")[0]["v"]


# --- literals and escapes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (r"'it\'s'", "it's"),
        (r"'say \"hi\"'", 'say "hi"'),
        (r"'back\\slash'", "back\\slash"),
        (r"'a\nb'", "a\nb"),
        (r"'a\rb'", "a\rb"),
        (r"'a\tb'", "a\tb"),
        (r"'nul\0'", "nul\x00"),
        (r"'eof\Z'", "eof\x1a"),
        (r"'bs\b'", "bs\x08"),
        ("'doubled '' quote'", "doubled ' quote"),
        (r"'like \% and \_'", r"like \% and \_"),  # MySQL keeps these backslashes
        (r"'unknown \q escape'", "unknown q escape"),
        ('"double ""quoted"" \\" string"', 'double "quoted" " string'),
        ("'semi; colon -- not # a comment /* either */'",
         "semi; colon -- not # a comment /* either */"),
        ("'multi\nline'", "multi\nline"),
        ("''", ""),
    ],
)
def test_string_escapes(literal: str, expected: str) -> None:
    assert one_value(literal) == expected


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("NULL", None),
        ("null", None),
        ("42", 42),
        ("-7", -7),
        ("+3", 3),
        ("3.50", Decimal("3.50")),
        ("-0.5", Decimal("-0.5")),
        ("1e3", Decimal("1E+3")),
        (".25", Decimal("0.25")),
        ("0x414243", b"ABC"),
        ("X'00ff'", b"\x00\xff"),
        ("x''", b""),
        ("0b0100000101000010", b"AB"),
        ("b'01000001'", b"A"),
        ("_binary 'raw\\0bytes'", b"raw\x00bytes"),
        ("_binary 0xC3A9", b"\xc3\xa9"),
        ("_utf8mb4'caf\xc3\xa9'".encode("latin-1").decode("utf-8"), "café"),
        ("_latin1 X'E9'", "é"),
        ("N'national'", "national"),
        ("TRUE", 1),
        ("FALSE", 0),
        ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
        ("NOW()", "NOW()"),
        ("CONCAT('a', 'b)')", "CONCAT('a', 'b)')"),
    ],
)
def test_other_literals(literal: str, expected: object) -> None:
    assert one_value(literal) == expected


def test_comments_between_values_and_statements() -> None:
    sql = """-- a dump header
    # hash comment with 'quote
    /* block comment ; with semicolon */
    INSERT INTO t (a, b) VALUES /* here */ (1, -- trailing
    'x' # also
    ), (2, 'y');
    --
    --no-space is not a comment in MySQL, but it only appears inside statements
    """
    got = values(sql.replace("--no-space is not a comment in MySQL, but it only appears inside "
                             "statements\n", ""))
    assert got == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]


# --- statement forms --------------------------------------------------------------------------


def test_create_table_gives_column_order_for_inserts_without_list() -> None:
    sql = """
    DROP TABLE IF EXISTS `t`;
    CREATE TABLE IF NOT EXISTS `t` (
      `id` int(11) NOT NULL AUTO_INCREMENT,
      `key` varchar(10) DEFAULT 'a,b)',
      `name` varchar(60) CHARACTER SET latin1 COLLATE latin1_general_ci NOT NULL,
      `amount` decimal(10,2) NOT NULL DEFAULT '0.00',
      PRIMARY KEY (`id`),
      UNIQUE KEY `name` (`name`,`key`),
      KEY `amount` (`amount`)
    ) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 COMMENT='x;y';
    INSERT INTO t VALUES (1,'k','n',2.50);
    """
    events = read(sql)
    created = events[0]
    assert isinstance(created, CreateTable)
    assert created.columns == ("id", "key", "name", "amount")
    assert created.charset == "utf8mb4"
    assert created.column_charsets == {"name": "latin1"}
    assert events[1] == Row("t", {"id": 1, "key": "k", "name": "n", "amount": Decimal("2.50")},
                            line=12)


def test_insert_variants() -> None:
    sql = """
    INSERT IGNORE INTO `a` (`x`) VALUES (1);
    REPLACE INTO `a` (`x`) VALUES (2);
    REPLACE `a` (`x`) VALUES (3);
    INSERT LOW_PRIORITY IGNORE INTO a (x) VALUE (4);
    INSERT INTO `db`.`a` (`x`) VALUES (5);
    INSERT INTO `we``ird` (`col``umn`) VALUES (6);
    INSERT INTO a SET x = 7, y = 'seven';
    INSERT INTO a (x) VALUES (8) ON DUPLICATE KEY UPDATE x = VALUES(x);
    INSERT INTO a (x) SELECT x FROM b;
    INSERT INTO a (x) VALUES (9);
    """
    got = rows(sql)
    assert [(r.table, r.values, r.mode) for r in got] == [
        ("a", {"x": 1}, "ignore"),
        ("a", {"x": 2}, "replace"),
        ("a", {"x": 3}, "replace"),
        ("a", {"x": 4}, "ignore"),
        ("a", {"x": 5}, "insert"),
        ("we`ird", {"col`umn": 6}, "insert"),
        ("a", {"x": 7, "y": "seven"}, "insert"),
        ("a", {"x": 8}, "insert"),
        ("a", {"x": 9}, "insert"),
    ]


def test_multi_row_insert_spread_over_lines_and_one_long_line() -> None:
    many = ",".join(f"({i},'v{i}')" for i in range(500))
    sql = ("INSERT INTO t (a, b)\nVALUES\n\t(1, 'one'),\n\t(2,\n 'two');\n"
           f"INSERT INTO u VALUES {many};")
    got = rows(sql, chunk_size=64)
    assert [r.values for r in got[:2]] == [{"a": 1, "b": "one"}, {"a": 2, "b": "two"}]
    assert [r.line for r in got[:2]] == [3, 4]
    assert got[-1].values == {"col1": 499, "col2": "v499"}  # no CREATE TABLE: positional names
    assert len(got) == 502


def test_phpmyadmin_style_dump() -> None:
    sql = """-- phpMyAdmin SQL Dump
-- version 5.2.1
SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";
START TRANSACTION;
SET time_zone = "+00:00";
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;

-- --------------------------------------------------------
--
-- Table structure for table `efic_stories`
--

CREATE TABLE `efic_stories` (
  `sid` int(11) NOT NULL,
  `title` varchar(200) NOT NULL DEFAULT ''
) ENGINE=MyISAM DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;

--
-- Dumping data for table `efic_stories`
--

INSERT INTO `efic_stories` (`sid`, `title`) VALUES
(1, 'Caf\xc3\xa9'),
(2, 'Second');

ALTER TABLE `efic_stories`
  ADD PRIMARY KEY (`sid`);
COMMIT;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
""".encode("latin-1")
    got = rows(sql)
    assert [r.values for r in got] == [{"sid": 1, "title": "Café"}, {"sid": 2, "title": "Second"}]
    assert got[0].notes == ()


def test_mysqldump_style_with_saved_client_charset_and_triggers() -> None:
    sql = b"""-- MySQL dump 10.13
/*!40101 SET NAMES latin1 */;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `t` (
  `id` int NOT NULL,
  `s` text
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
/*!40101 SET character_set_client = @saved_cs_client */;
LOCK TABLES `t` WRITE;
/*!40000 ALTER TABLE `t` DISABLE KEYS */;
INSERT INTO `t` VALUES (1,'caf\xe9 \x93quoted\x94');
/*!40000 ALTER TABLE `t` ENABLE KEYS */;
UNLOCK TABLES;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `t`
FOR EACH ROW BEGIN
  INSERT INTO t VALUES (99, 'from the trigger body; not a row');
END */;;
DELIMITER ;
INSERT INTO `t` VALUES (2,'after');
"""
    got = rows(sql)
    # The client charset is latin1 again when the rows come: cp1252 curly quotes decode.
    assert [r.values for r in got] == [{"id": 1, "s": "café \u201cquoted\u201d"},
                                       {"id": 2, "s": "after"}]


def test_unknown_tables_pass_through_and_filter_skips_rows() -> None:
    sql = """
    CREATE TABLE `keep` (`a` int);
    CREATE TABLE `skip` (`a` text);
    INSERT INTO `skip` VALUES ('has ; semicolons and \\' quotes'), ('two');
    INSERT INTO `keep` VALUES (1);
    INSERT INTO `other` VALUES (2);
    """
    everything = rows(sql)
    assert [r.table for r in everything] == ["skip", "skip", "keep", "other"]
    filtered = read(sql, tables=lambda name: name == "keep")
    assert [e.name for e in filtered if isinstance(e, CreateTable)] == ["keep", "skip"]
    assert [(r.table, r.values) for r in filtered if isinstance(r, Row)] == [("keep", {"a": 1})]


def test_default_columns_for_dumps_without_create_table() -> None:
    sql = "INSERT INTO fanfiction_ratings VALUES (1,'All Ages','0','');"
    got = values(sql, default_columns=lambda t: ("rid", "rating", "ratingwarning", "warningtext"))
    assert got == [{"rid": 1, "rating": "All Ages", "ratingwarning": "0", "warningtext": ""}]


# --- charsets -------------------------------------------------------------------------------


def test_latin1_table_holding_utf8_japanese_is_read_as_utf8_and_noted() -> None:
    japanese = "日本語のテキスト"
    sql = (b"CREATE TABLE `c` (`id` int, `storytext` text) DEFAULT CHARSET=latin1;\n"
           b"INSERT INTO `c` VALUES (1,'" + japanese.encode("utf-8") + b"'),(2,'na\xefve');\n")
    got = rows(sql)
    assert got[0].values["storytext"] == japanese
    assert got[0].notes == ("storytext: valid UTF-8 although latin1 is declared; read as UTF-8",)
    assert got[1].values["storytext"] == "naïve" and got[1].notes == ()


def test_set_names_latin1_beats_the_table_charset() -> None:
    sql = (b"SET NAMES latin1;\nCREATE TABLE `c` (`s` text) DEFAULT CHARSET=utf8;\n"
           b"INSERT INTO `c` VALUES ('\x80 euro');\n")
    assert values(sql) == [{"s": "€ euro"}]


def test_utf8_declared_but_cp1252_bytes() -> None:
    sql = b"SET NAMES utf8;\nINSERT INTO c (s) VALUES ('it\x92s');\n"
    got = rows(sql)
    assert got[0].values == {"s": "it\u2019s"}
    assert "not valid UTF-8" in got[0].notes[0]


def test_column_charset_and_other_charsets() -> None:
    sql = (b"CREATE TABLE `c` (`ru` text CHARACTER SET cp1251, `jp` text CHARSET sjis)"
           b" DEFAULT CHARSET=latin1;\n") + (
        b"INSERT INTO `c` VALUES ('" + "Привет".encode("cp1251") + b"','"
        + "日本".encode("shift_jis") + b"');\n")
    assert values(sql) == [{"ru": "Привет", "jp": "日本"}]


def test_mysql_latin1_round_trip_includes_cp1252_holes() -> None:
    every = bytes(range(256))
    text, note = decode_sql_bytes(every[0x80:], "mysql-latin1")
    assert note is None and len(text) == 128
    assert mysql_latin1_encode(text) == every[0x80:]
    assert mysql_latin1_encode("日本") is None


# --- damage -----------------------------------------------------------------------------------


def test_truncated_dump_yields_complete_rows_then_raises_with_line_and_table() -> None:
    sql = "CREATE TABLE `t` (`a` int, `b` text);\nINSERT INTO `t` VALUES\n(1,'one'),\n(2,'tw"
    reader = DumpReader(io.BytesIO(sql.encode()), source="cut.sql")
    seen: list[Row] = []
    with pytest.raises(DumpError) as info:
        for event in reader:
            if isinstance(event, Row):
                seen.append(event)
    assert [r.values for r in seen] == [{"a": 1, "b": "one"}]
    error = info.value
    assert (error.code, error.line, error.table) == ("truncated", 4, "t")
    assert str(error).startswith("cut.sql line 4 (table `t`): the dump ends inside this row")


def test_truncated_between_rows_and_inside_other_statements() -> None:
    reader = DumpReader(io.BytesIO(b"INSERT INTO t (a) VALUES (1),"), on_error="record")
    assert [r.values for r in reader if isinstance(r, Row)] == [{"a": 1}]
    assert [e.code for e in reader.errors] == ["truncated"]
    reader = DumpReader(io.BytesIO(b"INSERT INTO t (a) VALUES (1);\nCREATE TABLE `x` (`a"),
                        on_error="record")
    assert len([r for r in reader if isinstance(r, Row)]) == 1
    assert [(e.code, e.line) for e in reader.errors] == [("truncated", 2)]


def test_broken_escape_skips_the_row_and_resynchronises() -> None:
    sql = ("INSERT INTO `t` (`a`, `b`) VALUES\n"
           "(1, 'fine'),\n"
           "(2, 'C:\\'),\n"        # the backslash escapes the closing quote
           "(3, 'also fine');\n"
           "INSERT INTO `t` (`a`, `b`) VALUES (4, 'next statement');\n")
    reader = DumpReader(io.BytesIO(sql.encode()), on_error="record", source="bad.sql")
    got = [r.values["a"] for r in reader if isinstance(r, Row)]
    assert got == [1, 3, 4]
    assert [(e.line, e.table, e.code) for e in reader.errors] == [(3, "t", "syntax")]
    with pytest.raises(DumpError, match=r"bad.sql line 3 \(table `t`\)"):
        list(DumpReader(io.BytesIO(sql.encode()), source="bad.sql"))


def test_broken_escape_in_last_row_runs_to_eof() -> None:
    sql = "INSERT INTO `t` (`a`) VALUES ('ok'), ('broken\\');\n"
    reader = DumpReader(io.BytesIO(sql.encode()), on_error="record")
    assert [r.values for r in reader if isinstance(r, Row)] == [{"a": "ok"}]
    assert len(reader.errors) == 1 and reader.errors[0].table == "t"


def test_wrong_value_count_is_an_error_for_that_row_only() -> None:
    sql = "CREATE TABLE `t` (`a` int, `b` int);\nINSERT INTO `t` VALUES (1,2),\n(3),\n(4,5);"
    reader = DumpReader(io.BytesIO(sql.encode()), on_error="record")
    assert [r.values for r in reader if isinstance(r, Row)] == [{"a": 1, "b": 2},
                                                                {"a": 4, "b": 5}]
    assert "1 values for 2 columns" in reader.errors[0].reason


def test_oversized_token_is_reported_not_buffered_forever() -> None:
    sql = b"INSERT INTO t (a) VALUES ('" + b"x" * 200_000
    reader = DumpReader(io.BytesIO(sql), on_error="record", chunk_size=1024,
                        max_token_bytes=50_000)
    assert list(reader) == []
    assert reader.errors and reader.errors[0].code in ("syntax", "too-large")


# --- the sample dump --------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 7, 100, 4096, 1 << 20])
def test_sample_dump_matches_naive_reading_at_any_chunk_size(chunk_size: int) -> None:
    sql = dump_text()
    with open_dump(DUMP) as stream:
        events = list(DumpReader(stream, chunk_size=chunk_size))
    got = [e for e in events if isinstance(e, Row)]
    assert len([e for e in events if isinstance(e, CreateTable)]) == 28
    for table in ("fanfiction_stories", "fanfiction_chapters", "fanfiction_authors",
                  "fanfiction_categories", "fanfiction_challenges", "fanfiction_authorfields",
                  "fanfiction_settings", "fanfiction_messages"):
        assert [r.values for r in got if r.table == table] == naive_rows(sql, table), table
    assert all(r.notes == () for r in got)


def test_gzip_dump(tmp_path: Path) -> None:
    target = tmp_path / "efiction.sql.gz"
    target.write_bytes(gzip.compress(DUMP.read_bytes()))
    with open_dump(target) as stream:
        from_gzip = [e for e in DumpReader(stream) if isinstance(e, Row)]
    with open_dump(DUMP) as stream:
        plain = [e for e in DumpReader(stream) if isinstance(e, Row)]
    assert from_gzip == plain and len(plain) == 270


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def _mysql_escape(value: str) -> str:
    table = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\0": "\\0",
             "\x1a": "\\Z"}
    return "".join(table.get(c, c) for c in value)


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.tuples(_TEXT, st.integers(-(10**12), 10**12) | st.none()), min_size=1,
                max_size=8), st.integers(1, 64))
def test_escaped_strings_round_trip(data: list[tuple[str, int | None]], chunk: int) -> None:
    body = ",\n".join(f"('{_mysql_escape(s)}', {'NULL' if n is None else n})" for s, n in data)
    sql = f"SET NAMES utf8mb4;\nINSERT INTO t (s, n) VALUES {body};"
    assert values(sql, chunk_size=chunk) == [{"s": s, "n": n} for s, n in data]


def test_broken_escape_in_a_skipped_table_does_not_swallow_later_statements() -> None:
    sql = ("INSERT INTO `reviews` (`r`) VALUES\n('nice'),\n('path C:\\'),\n('more');\n"
           "UNLOCK TABLES;\n"
           "INSERT INTO `stories` (`sid`, `title`) VALUES (1, 'Kept');\n"
           "INSERT INTO `stories` (`sid`, `title`) VALUES (2, 'it''s kept too');\n")
    reader = DumpReader(io.BytesIO(sql.encode()), tables=lambda t: t == "stories",
                        on_error="record")
    assert [r.values["title"] for r in reader if isinstance(r, Row)] == ["Kept", "it's kept too"]
    # The line where the string that never closes starts.
    assert [(e.table, e.line) for e in reader.errors] == [("reviews", 4)]


def test_broken_escape_in_a_read_table_stops_at_the_next_statement() -> None:
    sql = ("INSERT INTO `t` (`a`) VALUES ('x\\');\n"
           "INSERT INTO `t` (`a`) VALUES ('y');\n")
    reader = DumpReader(io.BytesIO(sql.encode()), on_error="record")
    assert [r.values for r in reader if isinstance(r, Row)] == [{"a": "y"}]
    assert "runs into the next statement" in reader.errors[0].reason


def test_optimizer_hint_comments_are_comments() -> None:
    sql = "INSERT /*+ NO_RANGE_OPTIMIZATION(t) */ INTO t (a) VALUES (1);\nSELECT /*+ X */ 1;"
    assert values(sql) == [{"a": 1}]
