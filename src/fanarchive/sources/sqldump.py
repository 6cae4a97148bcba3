"""Stream rows out of MySQL dump files (mysqldump, Sequel Pro, phpMyAdmin) without loading them.

The reader works on bytes read in chunks and yields :class:`CreateTable` and :class:`Row` events.
String literals are decoded one by one with the charset in force (``SET NAMES`` first, then the
column's or table's ``CHARACTER SET``), because legacy archives routinely store UTF-8 bytes in
``latin1`` tables: when a string is not valid in its declared charset, or is valid multi-byte
UTF-8 in a single-byte charset, UTF-8 wins and the row carries a note saying so.

Damage is reported as :class:`DumpError` with the line and the table. In ``record`` mode the
reader skips the damaged row (resynchronising on the next line that starts a row or statement)
and goes on; in ``raise`` mode it raises after yielding everything that was complete.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, Protocol

from fanarchive.errors import FanarchiveError

__all__ = [
    "CreateTable",
    "DumpError",
    "DumpReader",
    "Row",
    "Value",
    "decode_sql_bytes",
    "mysql_latin1_encode",
    "open_dump",
    "python_codec",
]

Value = str | int | Decimal | bytes | None


@dataclass(frozen=True)
class CreateTable:
    name: str
    columns: tuple[str, ...]
    charset: str | None = None
    column_charsets: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class Row:
    """One row of an INSERT/REPLACE. ``mode`` is "insert", "ignore" or "replace"."""

    table: str
    values: dict[str, Value]
    line: int = 0
    notes: tuple[str, ...] = ()
    mode: str = "insert"


class ByteStream(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class DumpError(FanarchiveError):
    """Damage in a dump: ``code`` is "truncated", "syntax", "columns" or "too-large"."""

    def __init__(self, reason: str, *, line: int, table: str | None = None,
                 source: str = "<dump>", code: str = "syntax") -> None:
        where = f"{source} line {line}"
        if table:
            where += f" (table `{table}`)"
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.line = line
        self.table = table
        self.source = source
        self.code = code


# ---------------------------------------------------------------------------------------------
# Charsets

# MySQL's latin1 is cp1252, except that the five bytes cp1252 leaves undefined map to the C1
# controls; Python's cp1252 codec refuses them, so those are patched in by hand.
_CP1252_HOLES = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
_LATIN1_DECODE = {
    b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in _CP1252_HOLES
}
_LATIN1_TO_MYSQL = str.maketrans({chr(b): c for b, c in _LATIN1_DECODE.items()})
_MYSQL_TO_LATIN1 = str.maketrans({c: chr(b) for b, c in _LATIN1_DECODE.items()})

_CODECS = {
    "latin1": "mysql-latin1", "cp1252": "mysql-latin1", "ascii": "ascii", "binary": None,
    "utf8": "utf-8", "utf8mb3": "utf-8", "utf8mb4": "utf-8",
    "latin2": "iso8859-2", "latin5": "iso8859-9", "latin7": "iso8859-13", "greek": "iso8859-7",
    "hebrew": "iso8859-8", "cp1250": "cp1250", "cp1251": "cp1251", "cp1256": "cp1256",
    "cp1257": "cp1257", "cp850": "cp850", "cp852": "cp852", "cp866": "cp866",
    "koi8r": "koi8-r", "koi8u": "koi8-u", "macroman": "mac-roman", "macce": "mac-latin2",
    "tis620": "cp874", "sjis": "shift_jis", "cp932": "cp932", "ujis": "euc-jp",
    "eucjpms": "euc-jp", "gbk": "gbk", "gb2312": "gb2312", "gb18030": "gb18030", "big5": "big5",
    "euckr": "euc-kr", "ucs2": "utf-16-be", "utf16": "utf-16-be", "utf16le": "utf-16-le",
    "utf32": "utf-32-be",
}


def python_codec(mysql_charset: str | None) -> str | None:
    """The Python codec for a MySQL charset name; None means "undeclared" (guess per string)."""
    if not mysql_charset:
        return None
    name = mysql_charset.strip("'\"`").lower()
    if name in _CODECS:
        return _CODECS[name]
    return "utf-8" if name.startswith("utf8") else None


def _decode_mysql_latin1(raw: bytes) -> str:
    return raw.decode("latin-1").translate(_LATIN1_TO_MYSQL)


def mysql_latin1_encode(text: str) -> bytes | None:
    """The bytes MySQL stores for ``text`` in a latin1 column, or None if it cannot hold it."""
    try:
        return text.translate(_MYSQL_TO_LATIN1).encode("latin-1")
    except UnicodeEncodeError:
        return None


def decode_sql_bytes(raw: bytes, codec: str | None) -> tuple[str, str | None]:
    """Decode one string value; returns the text and a note when the declared charset lost."""
    if raw.isascii():
        return raw.decode("ascii"), None
    if codec is not None and codec.startswith(("utf-16", "utf-32")):
        return raw.decode(codec, errors="replace"), None
    if codec == "utf-8":
        try:
            return raw.decode("utf-8"), None
        except UnicodeDecodeError:
            note = "bytes are not valid UTF-8 although utf8 is declared; read as cp1252"
            return _decode_mysql_latin1(raw), note
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        declared = "latin1" if codec == "mysql-latin1" else codec or "no charset"
        return text, f"valid UTF-8 although {declared} is declared; read as UTF-8"
    if codec is None:
        return _decode_mysql_latin1(raw), "no charset declared and not UTF-8; read as cp1252"
    if codec == "mysql-latin1":
        return _decode_mysql_latin1(raw), None
    try:
        return raw.decode(codec), None
    except (UnicodeDecodeError, LookupError):
        text = raw.decode(codec, errors="replace") if _known(codec) else _decode_mysql_latin1(raw)
        return text, f"bytes are not valid {codec}; undecodable bytes replaced"


def _known(codec: str) -> bool:
    try:
        b"".decode(codec)
    except LookupError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Lexing

# A raw newline followed by one of these never occurs inside a string of a real dump (dumpers
# escape newlines), so strings may not run across it: a string left open by a broken escape then
# stops at the next statement instead of swallowing it.
_STMT = (rb"(?:INSERT\s+(?:IGNORE\s+)?INTO\s|REPLACE\s+INTO\s|CREATE\s+TABLE\s|DROP\s+TABLE\s"
         rb"|LOCK\s+TABLES\s|UNLOCK\s+TABLES|/\*!\d{5}\s)")
_BOUNDARY = re.compile(rb"\n(?=" + _STMT + rb")")
_WS = re.compile(
    rb"(?:\s++|/\*(?!!|M!)(?:[^*]++|\*(?!/))*+\*/|--(?=\s)[^\n]*+(?:\n|\Z)|\#[^\n]*+(?:\n|\Z))*+"
)
_COND_OPEN = re.compile(rb"/\*M?!\d*")
_TOKEN = re.compile(
    rb"""
    (?P<q>'(?:[^'\\\n]++|\\[\s\S]|''|\n(?!%(stmt)s))*+')
   |(?P<dq>"(?:[^"\\\n]++|\\[\s\S]|""|\n(?!%(stmt)s))*+")
   |(?P<bq>`(?:[^`]++|``)*+`)
   |(?P<w>[A-Za-z0-9_$\x80-\xff]++)
   |(?P<p>[^'"`])
    """ % {b"stmt": _STMT},
    re.X,
)
# Everything that can appear in a statement we skip, as one possessive run. Every alternative is
# atomic at a buffer edge (strings need their closing quote, line comments their newline, single
# characters a positive look-ahead), so a match that stops early never splits a token.
_SKIP = re.compile(
    rb"""(?:
        [^;'"`/*\#\-]++
       |'(?:[^'\\\n]++|\\[\s\S]|''|\n(?!%(stmt)s))*+'
       |"(?:[^"\\\n]++|\\[\s\S]|""|\n(?!%(stmt)s))*+"
       |`(?:[^`]++|``)*+`
       |/\*(?!!|M!)(?:[^*]++|\*(?!/))*+\*/
       |(?:--(?=\s)|\#)[^\n]*+\n
       |/(?=[^*])
       |\*(?=[^/])
       |-(?=[^-]|-\S)
    )*+""" % {b"stmt": _STMT},
    re.X,
)
_VALUE = re.compile(
    rb"""
    (?:\s++|/\*(?!!|M!)(?:[^*]++|\*(?!/))*+\*/|(?:--(?=\s)|\#)[^\n]*+\n)*+
    (?:(?P<intro>_[A-Za-z0-9]++|[Nn](?='))\s*+)?
    (?:
        '(?P<s>(?:[^'\\\n]++|\\[\s\S]|''|\n(?!%(stmt)s))*+)'
      | "(?P<d>(?:[^"\\\n]++|\\[\s\S]|""|\n(?!%(stmt)s))*+)"
      | 0[xX](?P<x>[0-9A-Fa-f]*+)
      | [xX]'(?P<x2>[0-9A-Fa-f]*+)'
      | 0[bB](?P<b>[01]++)
      | [bB]'(?P<b2>[01]*+)'
      | (?P<n>[-+]?(?:\d++(?:\.\d*+)?|\.\d++)(?:[eE][-+]?\d++)?)(?![A-Za-z0-9_$])
      | (?P<w>[A-Za-z_][A-Za-z0-9_$]*+)
    )
    (?:\s++|/\*(?!!|M!)(?:[^*]++|\*(?!/))*+\*/|(?:--(?=\s)|\#)[^\n]*+\n)*+
    (?P<sep>[,)])?
    """ % {b"stmt": _STMT},
    re.X,
)
# Something that may be the start of a token cut off by the end of the buffer.
_PENDING = re.compile(
    rb"(?:\s|/\*(?!!|M!)(?:[^*]++|\*(?!/))*+\*/)*+(?:_[A-Za-z0-9]++\s*+|[xXbBnN])?['\"`]"
    rb"|\s*+(?:/\*|--|\#)"
)
_ESCAPES = {
    b"0": b"\x00", b"b": b"\x08", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"Z": b"\x1a",
    b"%": b"\\%", b"_": b"\\_",
}
_SQ_ESCAPE = re.compile(rb"\\([\s\S])|''")
_DQ_ESCAPE = re.compile(rb'\\([\s\S])|""')
_RESYNC = re.compile(
    rb"\n[ \t]*+(?:(?P<row>\()|(?P<stmt>(?i:insert|replace|create|drop|lock|unlock|set|alter|use"
    rb"|delimiter)\b|/\*|--|\#|;))"
)
_DELIMITER_RESET = re.compile(rb"(?im)^[ \t]*DELIMITER[ \t]+;[ \t]*\r?$")


_SIMPLE_ESCAPES = tuple((b"\\" + k, v) for k, v in _ESCAPES.items() if v[:1] != b"\\") + (
    (b"\\'", b"'"), (b'\\"', b'"'))
_OTHER_ESCAPE = re.compile(rb"\\([^%_])")


def _unescape_segment(segment: bytes) -> bytes:
    """Escapes in a segment without ``\\\\``: every backslash starts a two-byte escape, so
    plain replacements cannot overlap."""
    for escape, char in _SIMPLE_ESCAPES:
        if escape in segment:
            segment = segment.replace(escape, char)
    if b"\\" in segment:
        segment = _OTHER_ESCAPE.sub(rb"\1", segment)  # \% and \_ keep their backslash
    return segment


def _unescape(body: bytes, quote: bytes) -> bytes:
    doubled = quote * 2
    if b"\\" not in body:
        return body.replace(doubled, quote) if doubled in body else body
    if doubled not in body:
        # Splitting on escaped backslashes pairs them left to right, as MySQL reads them.
        return b"\\".join(_unescape_segment(s) for s in body.split(b"\\\\"))
    pattern = _SQ_ESCAPE if quote == b"'" else _DQ_ESCAPE

    def repl(m: re.Match[bytes]) -> bytes:
        char = m.group(1)
        if char is None:
            return quote
        return _ESCAPES.get(char, char)

    return pattern.sub(repl, body)


def _ident(token: bytes) -> str:
    if token[:1] == b"`":
        token = token[1:-1].replace(b"``", b"`")
    elif token[:1] in (b"'", b'"'):
        token = token[1:-1]
    return token.decode("utf-8", errors="replace")


class _Truncated(Exception):
    """EOF inside a token or statement."""


class _TooLarge(Exception):
    """A single token grew past the buffer limit (usually an unterminated string)."""


class _Syntax(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_LOOKAHEAD = 4096
_INSERT_MODIFIERS = {"LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "INTO"}
_NOT_COLUMNS = {"PRIMARY", "KEY", "INDEX", "UNIQUE", "CONSTRAINT", "FOREIGN", "FULLTEXT",
                "SPATIAL", "CHECK", "PERIOD"}


class DumpReader:
    """Iterate over the CREATE TABLE and row events of a MySQL dump read from ``stream``.

    ``tables`` filters which tables' rows are decoded; rows of other tables are skipped with a
    fast scan. ``default_columns`` names the columns of tables whose INSERTs have no column list
    and whose CREATE TABLE is not in the dump (eFiction's own backups are like that).
    """

    def __init__(
        self,
        stream: ByteStream,
        *,
        source: str = "<dump>",
        tables: Callable[[str], bool] | None = None,
        default_columns: Callable[[str], Sequence[str] | None] | None = None,
        on_error: Literal["raise", "record"] = "raise",
        chunk_size: int = 1 << 20,
        max_token_bytes: int = 64 << 20,
    ) -> None:
        self.stream = stream
        self.source = source
        self.accept = tables or (lambda name: True)
        self.default_columns = default_columns
        self.on_error = on_error
        self.chunk_size = chunk_size
        self.max_buffer = max_token_bytes + 2 * chunk_size
        self.errors: list[DumpError] = []
        self.tables: dict[str, CreateTable] = {}
        self.client_charset: str | None = None
        self._vars: dict[str, str | None] = {}
        self._buf = b""
        self._pos = 0
        self._eof = False
        self._mark: int | None = None
        self._line_no = 0
        self._line_pos = 0
        self._in_cond = False
        self._damage: str | None = None  # why the stream ended early, if it did

    # -- buffer ----------------------------------------------------------------------------

    def _refill(self, grow: bool = False) -> bool:
        if self._eof:
            return False
        keep = self._pos if self._mark is None else min(self._pos, self._mark)
        if keep:
            if self._line_pos < keep:
                self._line_no += self._buf.count(b"\n", self._line_pos, keep)
                self._line_pos = 0
            else:
                self._line_pos -= keep
            self._buf = self._buf[keep:]
            self._pos -= keep
            if self._mark is not None:
                self._mark -= keep
        size = max(self.chunk_size, len(self._buf)) if grow else self.chunk_size
        if len(self._buf) + size > self.max_buffer:
            raise _TooLarge
        data = self._read(size)
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def _read(self, size: int) -> bytes:
        """Up to ``size`` bytes. A cut or damaged .gz/.bz2/.xz raises mid-read; what was
        decompressed before the damage is kept (``read1`` pieces: ``read`` would lose them)
        and the damage is reported when the reader reaches it."""
        read = getattr(self.stream, "read1", self.stream.read)
        chunks: list[bytes] = []
        got = 0
        try:
            while got < size:
                chunk = read(size - got)
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            self._damage = f"the compressed dump is cut short or damaged ({exc})"
        return b"".join(chunks)

    def _ensure(self) -> None:
        while not self._eof and len(self._buf) - self._pos < _LOOKAHEAD:
            self._refill()

    def _line(self, pos: int | None = None) -> int:
        pos = self._pos if pos is None else pos
        if pos >= self._line_pos:
            self._line_no += self._buf.count(b"\n", self._line_pos, pos)
            self._line_pos = pos
            return self._line_no + 1
        return self._line_no + 1 - self._buf.count(b"\n", pos, self._line_pos)

    def _match(self, pattern: re.Pattern[bytes]) -> re.Match[bytes] | None:
        """Match at the current position, reading more while the token may go on."""
        self._ensure()
        while True:
            m = pattern.match(self._buf, self._pos)
            if self._eof:
                return m
            if m is not None and m.end() < len(self._buf):
                return m
            if m is None and (not _PENDING.match(self._buf, self._pos) or self._runaway_string()):
                return None
            self._refill(grow=True)

    def _runaway_string(self) -> bool:
        """True when the string starting here cannot end before the next statement."""
        pending = _PENDING.match(self._buf, self._pos)
        if pending is None or pending.group()[-1:] not in (b"'", b'"'):
            return False
        return _BOUNDARY.search(self._buf, pending.end()) is not None

    def _skip_ws(self) -> None:
        while True:
            m = self._match(_WS)
            if m is not None:
                self._pos = m.end()
            buf, pos = self._buf, self._pos
            if buf.startswith(b"/*!", pos) or buf.startswith(b"/*M!", pos):
                cond = _COND_OPEN.match(buf, pos)
                assert cond is not None
                self._pos = cond.end()
                self._in_cond = True
                continue
            if self._in_cond and buf.startswith(b"*/", pos):
                self._pos += 2
                self._in_cond = False
                continue
            return

    def _at_eof(self) -> bool:
        self._ensure()
        return self._pos >= len(self._buf)

    def _token(self) -> tuple[str, bytes]:
        self._skip_ws()
        if self._at_eof():
            raise _Truncated
        m = self._match(_TOKEN)
        if m is None or m.lastgroup is None:
            raise _Truncated
        self._pos = m.end()
        return m.lastgroup, m.group()

    def _peek(self) -> bytes:
        self._skip_ws()
        return self._buf[self._pos : self._pos + 1]

    def _word(self) -> str | None:
        """The next bare word, upper-cased, or None (without consuming) if it is not a word."""
        self._skip_ws()
        m = self._match(_TOKEN)
        if m is None or m.lastgroup != "w":
            return None
        self._pos = m.end()
        return m.group().decode("ascii", errors="replace").upper()

    def _name(self) -> str:
        """A possibly qualified identifier (``db.tbl``); returns the last part."""
        kind, tok = self._token()
        if kind not in ("w", "bq", "dq"):
            raise _Syntax(f"expected a name, found {tok!r}")
        name = _ident(tok)
        while self._peek() == b".":
            self._pos += 1
            kind, tok = self._token()
            name = _ident(tok)
        return name

    def _skip_statement(self, table: str | None = None) -> None:
        """Skip to just after the next top-level ``;`` (strings and comments respected)."""
        while True:
            self._ensure()
            m = _SKIP.match(self._buf, self._pos)
            assert m is not None
            self._pos = m.end()
            buf, pos = self._buf, self._pos
            if pos >= len(buf):
                if not self._refill():
                    raise _Truncated
                continue
            char = buf[pos : pos + 1]
            if char == b";":
                self._pos += 1
                return
            if buf.startswith(b"/*!", pos) or buf.startswith(b"/*M!", pos):
                cond = _COND_OPEN.match(buf, pos)
                assert cond is not None
                self._pos = cond.end()
                self._in_cond = True
                continue
            if buf.startswith(b"*/", pos):
                self._pos += 2
                self._in_cond = False
                continue
            if char in (b"'", b'"') and self._runaway_string():
                boundary = _BOUNDARY.search(buf, pos)
                assert boundary is not None
                self._fail("a string runs into the next statement (broken escape?); the rest of"
                           " this statement is skipped", line=self._line(), table=table,
                           code="syntax")
                self._pos = boundary.end()
                return
            # An unfinished token at the buffer edge (string, comment, lone "-" or "/").
            if not self._refill(grow=True):
                if char in (b"/", b"*", b"-"):
                    self._pos += 1
                    continue
                raise _Truncated

    # -- errors ----------------------------------------------------------------------------

    def _fail(self, reason: str, *, line: int, table: str | None, code: str) -> None:
        if code == "truncated" and self._damage:
            reason, self._damage = f"{reason}: {self._damage}", None  # said once, here
        error = DumpError(reason, line=line, table=table, source=self.source, code=code)
        self.errors.append(error)
        if self.on_error == "raise":
            raise error

    # -- statements --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[CreateTable | Row]:
        line = 1
        while True:
            try:
                self._skip_ws()
                if self._at_eof():
                    if self._damage:  # cut between statements: nothing else said so
                        self._fail("the dump ends early", line=line, table=None,
                                   code="truncated")
                    return
                line = self._line()
                if self._buf[self._pos : self._pos + 1] == b";":
                    self._pos += 1
                    continue
                word = self._word()
                if word in ("INSERT", "REPLACE"):
                    yield from self._insert(word, line)
                elif word == "CREATE":
                    created = self._create(line)
                    if created is not None:
                        yield created
                elif word == "SET":
                    self._set()
                elif word == "DELIMITER":
                    self._delimiter()
                else:
                    self._skip_statement()
            except _Truncated:
                self._fail("the dump ends inside a statement (truncated file?)", line=line,
                           table=None, code="truncated")
                return
            except _TooLarge:
                reason = f"a value is larger than {self.max_buffer >> 20} MB (unterminated string?)"
                self._fail(reason, line=line, table=None, code="too-large")
                return
            except _Syntax as exc:
                self._fail(exc.reason, line=line, table=None, code="syntax")
                self._recover_statement()

    def _recover_statement(self) -> None:
        try:
            self._skip_statement()
        except (_Truncated, _TooLarge):
            self._pos = len(self._buf)
            self._eof = True

    def _delimiter(self) -> None:
        self._ensure()
        end = self._buf.find(b"\n", self._pos)
        while end < 0 and self._refill(grow=True):
            end = self._buf.find(b"\n", self._pos)
        end = len(self._buf) if end < 0 else end
        delimiter = self._buf[self._pos : end].strip()
        self._pos = end
        if delimiter in (b";", b""):
            return
        # Custom delimiters only wrap trigger and routine bodies, which hold no rows: skip them.
        while True:
            m = _DELIMITER_RESET.search(self._buf, self._pos)
            if m is not None:
                self._pos = m.end()
                return
            self._pos = max(self._pos, len(self._buf) - 64)
            if not self._refill():
                self._pos = len(self._buf)
                return

    def _set(self) -> None:
        tokens: list[tuple[str, bytes]] = []
        while True:
            kind, tok = self._token()
            if kind == "p" and tok == b";":
                break
            tokens.append((kind, tok))
        words = [_ident(t).upper() if k == "w" else _ident(t) for k, t in tokens]
        if len(words) >= 2 and words[0] == "NAMES":
            self.client_charset = None if words[1] == "DEFAULT" else words[1].lower()
            return
        if len(words) >= 3 and words[:2] == ["CHARACTER", "SET"]:
            self.client_charset = words[2].lower()
            return
        for assignment in _split_commas(tokens):
            text = [_ident(t) for _, t in assignment]
            if "=" not in text and ":" not in text:
                continue
            at = text.index("=") if "=" in text else text.index(":")
            lhs = "".join(text[:at]).lower()
            rhs = "".join(t for t in text[at + 1 :] if t != "=")
            value: str | None
            if rhs.lower().startswith("@@") and rhs.lower().endswith("character_set_client"):
                value = self.client_charset
            elif rhs.startswith("@"):
                value = self._vars.get(rhs.lower())
            else:
                value = rhs.lower()
            if lhs.startswith("@") and not lhs.startswith("@@"):
                self._vars[lhs] = value
            elif lhs.endswith("character_set_client"):
                self.client_charset = value

    def _create(self, line: int) -> CreateTable | None:
        words = []
        while True:
            word = self._word()
            if word is None:
                self._skip_statement()
                return None
            words.append(word)
            if word == "TABLE":
                break
            if word not in ("OR", "REPLACE", "TEMPORARY"):
                self._skip_statement()
                return None
        self._skip_ws()
        m = self._match(_TOKEN)
        if m is not None and m.lastgroup == "w" and m.group().upper() == b"IF":
            self._pos = m.end()
            self._word()  # NOT
            self._word()  # EXISTS
        name = self._name()
        if self._peek() != b"(":
            self._skip_statement()  # CREATE TABLE ... LIKE / AS SELECT: columns unknown
            return None
        self._pos += 1
        columns, column_charsets = self._column_defs()
        charset = self._table_options()
        created = CreateTable(name, tuple(columns), charset, column_charsets, line)
        self.tables[name] = created
        return created

    def _column_defs(self) -> tuple[list[str], dict[str, str]]:
        columns: list[str] = []
        charsets: dict[str, str] = {}
        depth = 0
        item: list[tuple[str, bytes]] = []
        while True:
            kind, tok = self._token()
            if kind == "p" and tok == b"(":
                depth += 1
            elif kind == "p" and tok == b")" and depth > 0:
                depth -= 1
            elif kind == "p" and tok in (b",", b")") and depth == 0:
                self._column_item(item, columns, charsets)
                item = []
                if tok == b")":
                    return columns, charsets
                continue
            item.append((kind, tok))

    @staticmethod
    def _column_item(
        item: list[tuple[str, bytes]], columns: list[str], charsets: dict[str, str]
    ) -> None:
        if not item:
            return
        kind, tok = item[0]
        if kind == "w" and tok.decode("ascii", "replace").upper() in _NOT_COLUMNS:
            return
        name = _ident(tok)
        columns.append(name)
        charset = _charset_in(item[1:])
        if charset:
            charsets[name] = charset

    def _table_options(self) -> str | None:
        tokens: list[tuple[str, bytes]] = []
        while True:
            kind, tok = self._token()
            if kind == "p" and tok == b";":
                break
            if not (kind == "p" and tok == b"="):
                tokens.append((kind, tok))
        return _charset_in(tokens)

    # -- INSERT --------------------------------------------------------------------------------

    def _insert(self, verb: str, line: int) -> Iterator[Row]:
        mode = "replace" if verb == "REPLACE" else "insert"
        while True:
            self._skip_ws()
            m = self._match(_TOKEN)
            if m is None or m.lastgroup != "w":
                break
            word = m.group().decode("ascii", "replace").upper()
            if word == "IGNORE":
                mode = "ignore"
            elif word not in _INSERT_MODIFIERS:
                break
            self._pos = m.end()
        table = self._name()
        if not self.accept(table):
            self._skip_statement(table)
            return
        columns: list[str] | None = None
        if self._peek() == b"(":
            self._pos += 1
            columns = self._column_list()
        keyword = self._word()
        if keyword == "PARTITION":
            self._skip_parens()
            keyword = self._word()
        if keyword in ("VALUES", "VALUE"):
            if columns is None:
                columns = self._known_columns(table)
            yield from self._rows(table, columns, mode, line)
        elif keyword == "SET":
            yield from self._set_row(table, mode, line)
        else:
            self._skip_statement()  # INSERT ... SELECT: nothing literal to read

    def _skip_parens(self) -> None:
        depth = 0
        while True:
            kind, tok = self._token()
            if tok == b"(":
                depth += 1
            elif tok == b")":
                depth -= 1
                if depth <= 0:
                    return

    def _column_list(self) -> list[str]:
        columns: list[str] = []
        while True:
            kind, tok = self._token()
            if kind == "p" and tok == b")":
                return columns
            if kind == "p" and tok == b",":
                continue
            columns.append(_ident(tok))

    def _known_columns(self, table: str) -> list[str] | None:
        if table in self.tables:
            return list(self.tables[table].columns)
        if self.default_columns is not None:
            found = self.default_columns(table)
            if found:
                return list(found)
        return None

    def _codecs(self, table: str, columns: Sequence[str]) -> tuple[list[str | None], str | None]:
        """Codec per column and for columns beyond the list: the client charset wins."""
        if self.client_charset and self.client_charset != "binary":
            codec = python_codec(self.client_charset)
            return [codec] * len(columns), codec
        created = self.tables.get(table)
        table_codec = python_codec(created.charset) if created else None
        col_charsets = created.column_charsets if created else {}
        codecs = [
            python_codec(col_charsets[c]) if c in col_charsets else table_codec for c in columns
        ]
        return codecs, table_codec

    def _rows(self, table: str, columns: list[str] | None, mode: str, line: int) -> Iterator[Row]:
        codecs, default_codec = self._codecs(table, columns or [])
        while True:
            self._skip_ws()
            if self._at_eof():
                raise _Truncated
            row_start = self._pos
            row_line = self._line()
            if self._buf[row_start : row_start + 1] != b"(":
                self._fail(f"expected '(' to start a row of INSERT INTO `{table}`", line=row_line,
                           table=table, code="syntax")
                if not self._resync(table):
                    return
                continue
            # The mark keeps the row's bytes in the buffer so a damaged row can be rewound.
            self._mark = row_start
            self._pos += 1
            try:
                values, notes = self._row_values(columns, codecs, default_codec)
            except (_Truncated, _TooLarge, _Syntax) as exc:
                self._pos = self._mark
                self._mark = None
                if isinstance(exc, _Syntax):
                    reason, code = f"{exc.reason} (row skipped)", "syntax"
                elif isinstance(exc, _Truncated) or self._eof:
                    reason = ("the dump ends inside this row (truncated file, or a string"
                              " left open by a broken escape)")
                    code = "truncated"
                else:
                    reason = "a value in this row never ends (broken escape or unterminated string)"
                    code = "syntax"
                self._fail(reason, line=row_line, table=table, code=code)
                if not self._resync(table):
                    return
                continue
            self._mark = None
            yield Row(table, values, row_line, notes, mode)
            after = self._peek()
            if after == b",":
                self._pos += 1
                continue
            if after == b";":
                self._pos += 1
                return
            if after == b"":
                reason = f"the dump ends before the ';' of INSERT INTO `{table}` (truncated file?)"
                self._fail(reason, line=self._line(), table=table, code="truncated")
                return
            # AS alias / ON DUPLICATE KEY UPDATE: nothing more to read from this statement.
            self._skip_statement()
            return

    def _row_values(self, columns: list[str] | None, codecs: list[str | None],
                    default_codec: str | None) -> tuple[dict[str, Value], tuple[str, ...]]:
        raw: list[Value] = []
        notes: list[str] = []
        while True:
            m = self._match(_VALUE)
            if m is None:
                if self._runaway_string():
                    raise _Syntax("a string runs into the next statement (broken escape?)")
                # At the end with no ')' to come, the row was cut ("-", "1e", blanks), or a
                # token was cut short.
                if self._eof and (b")" not in self._buf[self._pos:]
                                  or _PENDING.match(self._buf, self._pos)):
                    raise _Truncated
                raise _Syntax(f"unreadable value near {self._buf[self._pos:self._pos + 20]!r}")
            index = len(raw)
            value, note = self._value(m, codecs[index] if index < len(codecs) else default_codec)
            if note:
                name = columns[index] if columns and index < len(columns) else f"col{index + 1}"
                notes.append(f"{name}: {note}")
            self._pos = m.end()
            sep = m.group("sep")
            if sep is None:
                if m.group("w") is not None and self._peek() == b"(":
                    value = m.group("w").decode() + self._call_text()
                    sep_char = self._peek()
                    if sep_char not in (b",", b")"):
                        raise _Syntax(f"expected ',' or ')' after {value!r}")
                    self._pos += 1
                    sep = sep_char
                elif self._eof and b")" not in self._buf[self._pos:]:
                    raise _Truncated  # "1.5e-" cut from "1.5e-3": the row ends nowhere
                else:
                    raise _Syntax(
                        f"expected ',' or ')' after value {index + 1}, found "
                        f"{self._buf[self._pos:self._pos + 20]!r}"
                    )
            raw.append(value)
            if sep == b")":
                break
        if columns is None:
            columns = [f"col{i + 1}" for i in range(len(raw))]
        if len(raw) != len(columns):
            raise _Syntax(f"row has {len(raw)} values for {len(columns)} columns")
        return dict(zip(columns, raw, strict=True)), tuple(notes)

    def _call_text(self) -> str:
        """A function call used as a value (``NOW()``), kept as its text."""
        start = self._pos
        self._skip_parens()
        return self._buf[start : self._pos].decode("utf-8", "replace").strip()

    @staticmethod
    def _value(m: re.Match[bytes], codec: str | None) -> tuple[Value, str | None]:
        intro = m.group("intro")
        body = m.group("s")
        quote = b"'"
        if body is None:
            body = m.group("d")
            quote = b'"'
        if body is not None:
            data = _unescape(body, quote)
            if intro is not None and intro.startswith(b"_"):
                name = intro[1:].decode("ascii").lower()
                if name == "binary":
                    return data, None
                codec = python_codec(name) or codec
            return decode_sql_bytes(data, codec)
        number = m.group("n")
        if number is not None:
            if b"." in number or b"e" in number or b"E" in number:
                try:
                    return Decimal(number.decode()), None
                except InvalidOperation:
                    return number.decode(), None
            return int(number), None
        word = m.group("w")
        if word is not None:
            upper = word.upper()
            if upper == b"NULL":
                return None, None
            if upper in (b"TRUE", b"FALSE"):
                return int(upper == b"TRUE"), None
            return word.decode("ascii", "replace"), None
        hexdigits = m.group("x") if m.group("x") is not None else m.group("x2")
        if hexdigits is not None:
            if len(hexdigits) % 2:
                hexdigits = b"0" + hexdigits
            data = bytes.fromhex(hexdigits.decode())
        else:
            bits = m.group("b") if m.group("b") is not None else m.group("b2") or b""
            data = int(bits or b"0", 2).to_bytes((len(bits) + 7) // 8, "big") if bits else b""
        if intro is not None and intro.startswith(b"_") and intro[1:].lower() != b"binary":
            return decode_sql_bytes(data, python_codec(intro[1:].decode("ascii")))
        return data, None

    def _set_row(self, table: str, mode: str, line: int) -> Iterator[Row]:
        values: dict[str, Value] = {}
        notes: list[str] = []
        while True:
            column = _ident(self._token()[1])
            if self._token()[1] != b"=":
                raise _Syntax(f"expected '=' after `{column}` in INSERT ... SET")
            codec = self._codecs(table, [column])[0][0]
            m = self._match(_VALUE)
            if m is None:
                raise _Syntax(f"unreadable value for `{column}`")
            value, note = self._value(m, codec)
            if note:
                notes.append(f"{column}: {note}")
            values[column] = value
            self._pos = m.end() - (1 if m.group("sep") else 0)
            nxt = self._peek()
            if nxt == b",":
                self._pos += 1
                continue
            self._skip_statement()
            yield Row(table, values, line, tuple(notes), mode)
            return

    def _resync(self, table: str) -> bool:
        """After damage inside a row, continue at the next line that starts a row or statement.

        Returns True when positioned on another row of the same INSERT, False when the INSERT is
        over (positioned at a statement start, or at EOF).
        """
        while True:
            m = _RESYNC.search(self._buf, self._pos + 1)
            if m is not None:
                if m.group("row") is not None:
                    self._pos = m.start("row")
                    return True
                self._pos = m.start("stmt")
                return False
            self._pos = max(self._pos, len(self._buf) - 64)
            try:
                more = self._refill()
            except _TooLarge:
                more = False
            if not more:
                self._pos = len(self._buf)
                return False


def _charset_in(tokens: list[tuple[str, bytes]]) -> str | None:
    """The charset named by ``CHARSET x`` or ``CHARACTER SET x`` in a token list."""
    words = [t.upper() if k == "w" else b"" for k, t in tokens]
    for i, word in enumerate(words[:-1]):
        if word == b"CHARSET" or (word == b"SET" and i > 0 and words[i - 1] == b"CHARACTER"):
            return _ident(tokens[i + 1][1]).lower()
    return None


def _split_commas(tokens: list[tuple[str, bytes]]) -> list[list[tuple[str, bytes]]]:
    parts: list[list[tuple[str, bytes]]] = [[]]
    depth = 0
    for kind, tok in tokens:
        if kind == "p" and tok == b"(":
            depth += 1
        elif kind == "p" and tok == b")":
            depth -= 1
        elif kind == "p" and tok == b"," and depth == 0:
            parts.append([])
            continue
        parts[-1].append((kind, tok))
    return parts


def open_dump(path: str | Path) -> io.BufferedIOBase:
    """Open a dump for reading, decompressing ``.gz``, ``.bz2`` and ``.xz`` on the fly."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    if suffix in (".xz", ".lzma"):
        return lzma.open(path, "rb")
    return io.BufferedReader(io.FileIO(path, "rb"), buffer_size=1 << 20)
