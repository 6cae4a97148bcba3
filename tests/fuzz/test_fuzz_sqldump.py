"""The MySQL dump reader against dumps written here, with a small escaper of our own.

Round trip: generated tables and rows (strings with quotes, backslashes, NUL, newlines, ^Z,
any Unicode; integers; NULL; binary values), written as mysqldump would write them, read back
identical. Truncation: the same dump cut at any byte never raises from the reader in
``record`` mode, returns every row that was complete before the cut, and calls the damage
"truncated", never anything else.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanarchive.sources.sqldump import CreateTable, DumpError, DumpReader, Row, Value

DEPTH = float(os.environ.get("FANARCHIVE_FUZZ_SCALE", "1"))  # 20: a deeper nightly pass
FUZZ = settings(max_examples=int(60 * DEPTH), deadline=None, derandomize=True, database=None)

# MySQL's own escaping (mysql_real_escape_string); "%" and "_" are left alone on purpose.
_BACKSLASH = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\x00": "\\0",
              "\x1a": "\\Z"}


def sql_string(value: str, quote: str, doubled: bool) -> str:
    """A string literal; ``doubled`` writes the quote character doubled ('') instead of \\'."""
    table = dict(_BACKSLASH)
    if doubled:
        table[quote] = quote * 2
    return quote + "".join(table.get(c, c) for c in value) + quote


def sql_value(value: Value, quote: str, doubled: bool, hex_bytes: bool) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"0x{value.hex().upper()}" if hex_bytes else f"X'{value.hex()}'"
    assert isinstance(value, str)
    return sql_string(value, quote, doubled)


def ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                min_size=1, max_size=12)
VALUES = st.one_of(TEXT, st.integers(-(2**63), 2**63 - 1), st.none(),
                   st.decimals(-(10**12), 10**12, places=4, allow_nan=False),
                   st.binary(min_size=1, max_size=12),
                   st.sampled_from(["", "'", "\\", "\\'", "''", "\\\\'", "\n", "a\nINSERT INTO x",
                                    "\x00", "\x1a", "%_", "\\%", "*/", "/*", "--", "#", ";",
                                    "é", "日本", "\U0001f600", "\r\n"]))


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[list[Value]]


@st.composite
def tables(draw: st.DrawFn) -> list[Table]:
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique_by=str.lower))
    out = []
    for name in names:
        columns = draw(st.lists(NAMES, min_size=1, max_size=4, unique_by=str.lower))
        rows = draw(st.lists(st.lists(VALUES, min_size=len(columns), max_size=len(columns)),
                             max_size=5))
        out.append(Table(name, columns, rows))
    return out


@dataclass
class Dump:
    data: bytes
    rows: list[tuple[str, dict[str, Value]]]
    row_ends: list[int]  # byte offset just past each row's closing parenthesis


@st.composite
def dumps(draw: st.DrawFn) -> Dump:
    """A dump of generated tables, in a randomly chosen but valid mysqldump style."""
    quote = draw(st.sampled_from(["'", '"']))
    doubled = draw(st.booleans())
    hex_bytes = draw(st.booleans())
    column_list = draw(st.booleans())
    per_insert = draw(st.integers(1, 3))
    out = io.BytesIO()
    rows: list[tuple[str, dict[str, Value]]] = []
    ends: list[int] = []

    def write(text: str) -> None:
        out.write(text.encode("utf-8"))

    write("-- MySQL dump 10.13\n/*!40101 SET NAMES utf8mb4 */;\n")
    for table in draw(tables()):
        columns = ", ".join(f"{ident(c)} text" for c in table.columns)
        write(f"DROP TABLE IF EXISTS {ident(table.name)};\n/* a comment */\n"
              f"CREATE TABLE {ident(table.name)} (\n  {columns}\n) DEFAULT CHARSET=utf8mb4;\n")
        for start in range(0, len(table.rows), per_insert):
            head = f"INSERT INTO {ident(table.name)}"
            if column_list:
                head += " (" + ", ".join(ident(c) for c in table.columns) + ")"
            write(head + " VALUES ")
            batch = table.rows[start : start + per_insert]
            for i, row in enumerate(batch):
                write("(" + ",".join(sql_value(v, quote, doubled, hex_bytes) for v in row) + ")")
                ends.append(out.tell())
                rows.append((table.name, dict(zip(table.columns, row, strict=True))))
                write(",\n" if i + 1 < len(batch) else ";\n")
    return Dump(out.getvalue(), rows, ends)


def read(data: bytes, chunk: int) -> tuple[list[tuple[str, dict[str, Value]]], DumpReader]:
    reader = DumpReader(io.BytesIO(data), on_error="record", chunk_size=chunk)
    got = [(e.table, e.values) for e in reader if isinstance(e, Row)]
    return got, reader


@FUZZ
@given(dumps(), st.integers(1, 64))
def test_generated_dump_round_trips(dump: Dump, chunk: int) -> None:
    got, reader = read(dump.data, chunk)
    assert reader.errors == []
    assert got == dump.rows


@FUZZ
@given(dumps(), st.data())
def test_cut_at_any_byte_keeps_the_complete_rows(dump: Dump, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(dump.data)), label="cut")
    chunk = data.draw(st.integers(1, 64), label="chunk")
    got, reader = read(dump.data[:cut], chunk)
    complete = sum(1 for end in dump.row_ends if end <= cut)
    assert got == dump.rows[: len(got)], "rows read from a cut dump must be rows of the dump"
    assert len(got) >= complete, f"lost complete rows: {len(got)} < {complete}"
    for error in reader.errors:
        assert error.code == "truncated", (error, dump.data[max(0, cut - 40) : cut])


@FUZZ
@given(dumps(), st.data())
def test_raise_mode_raises_only_after_the_complete_rows(dump: Dump, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(dump.data)), label="cut")
    expected, recorder = read(dump.data[:cut], 16)
    got = []
    try:
        for event in DumpReader(io.BytesIO(dump.data[:cut]), chunk_size=16):
            if isinstance(event, Row):
                got.append((event.table, event.values))
    except DumpError as exc:
        assert exc.code == "truncated"
        assert recorder.errors
    else:
        assert not recorder.errors
    assert got == expected


@FUZZ
@given(dumps())
def test_create_table_gives_the_columns(dump: Dump) -> None:
    events = list(DumpReader(io.BytesIO(dump.data)))
    created = {e.name: e.columns for e in events if isinstance(e, CreateTable)}
    for table, values in dump.rows:
        assert created[table] == tuple(values)


@pytest.mark.parametrize("tail", [b"-", b"+", b"1e", b"-.", b"1.5e-", b" ", b"0x", b"NUL",
                                  b"_utf8'a", b"'a' 'b", b"'it\\'s"])
def test_a_row_cut_inside_a_value_is_truncated_not_a_syntax_error(tail: bytes) -> None:
    # Found by the cut-anywhere property: "-" and "1.5e-" (a number cut after its sign or
    # exponent) and a cut after ", " were reported as syntax errors.
    data = b"INSERT INTO `t` (`a`, `b`) VALUES ('x',1),\n('y'," + tail
    rows, reader = read(data, 7)
    assert rows == [("t", {"a": "x", "b": 1})]
    assert [e.code for e in reader.errors] == ["truncated"]

