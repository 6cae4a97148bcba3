"""Perl data literals read as data, never run: the ``%FILES = ( ... );`` of an ARCHIVE_DB.pl.

Automated Archive keeps its story database as Perl source. Executing it (or ``eval``-ing a
rewrite of it, as some converters do) would run whatever the file contains; this module only
reads literals: single- and double-quoted strings with their escapes, ``q()``/``qq{}``, numbers,
``undef``, barewords before ``=>``, lists ``( )``, hashes ``{ }``, arrays ``[ ]``, comments and
POD. Anything else is a :class:`PerlSyntaxError` naming the line.

Hand-edited archive databases are often not valid Perl; two repairs are made, and reported:

* a quote inside a string that is not followed by what may follow a closing quote
  (``'Buffy's Day'``) is taken as part of the string;
* a statement that cannot be read is skipped up to the next record (``'key' => {``), so one
  broken record does not lose the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PerlSyntaxError", "PerlEntry", "iter_hash_entries", "parse_value"]


class PerlSyntaxError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class PerlEntry:
    """One ``key => value`` of a top-level hash, or a record that could not be read."""

    key: str | None
    value: Any = None
    line: int = 0
    repairs: list[str] = field(default_factory=list)
    error: PerlSyntaxError | None = None


_SPACE = re.compile(r"(?:\s+|#[^\n]*)+")
_NUMBER = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?)")
_BAREWORD = re.compile(r"-?[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*")
_VARIABLE = re.compile(r"(?:my|our|local)?\s*([%@$])([A-Za-z_][A-Za-z0-9_:]*)\s*=(?!=)")
_POD = re.compile(r"^=[a-zA-Z].*?(?:^=cut\b[^\n]*$|\Z)", re.MULTILINE | re.DOTALL)
# What may follow the closing quote of a string inside a literal; anything else means the quote
# was an apostrophe the author forgot to escape.
_AFTER_STRING = re.compile(
    r"""\s*(?:=>|[;)\]}]|$|,(?:\s|\#[^\n]*)*(?:[)\]}]|$|=>|\{|\[|
        (?P<q>['"])(?:[^'"\\\n]|\\.)*(?P=q)\s*(?:=>|,|[)\]}])|
        -?\w+\s*(?:=>|,)|[-+]?\d))""",
    re.VERBOSE,
)
# The start of the next record, for skipping past one that cannot be read.
_RECORD_START = re.compile(r"""\n[ \t]*(?:'[^'\n]*'|"[^"\n]*"|[\w.-]+)[ \t]*=>[ \t]*\{""")
_CLOSERS = {"(": ")", "[": "]", "{": "}", "<": ">"}
_DQ_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "b": "\b", "a": "\a", "e": "\x1b",
               "0": "\0"}


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = _POD.sub(lambda m: "\n" * m.group(0).count("\n"), text)
        end = re.search(r"^__(?:END|DATA)__\b", self.text, re.MULTILINE)
        if end:
            self.text = self.text[: end.start()]
        self.pos = 0
        self.repairs: list[str] = []

    # -- low level -------------------------------------------------------------------------

    def line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def error(self, message: str) -> PerlSyntaxError:
        return PerlSyntaxError(message, self.line())

    def skip_space(self) -> None:
        match = _SPACE.match(self.text, self.pos)
        if match:
            self.pos = match.end()

    def peek(self, n: int = 1) -> str:
        self.skip_space()
        return self.text[self.pos:self.pos + n]

    def expect(self, token: str) -> None:
        if self.peek(len(token)) != token:
            found = self.text[self.pos:self.pos + 20] or "end of file"
            raise self.error(f"expected {token!r}, found {found!r}")
        self.pos += len(token)

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    # -- values ----------------------------------------------------------------------------

    def value(self) -> Any:
        ch = self.peek()
        if ch in ("'", '"'):
            return self.quoted(ch)
        if ch == "{":
            return self.hash_ref()
        if ch == "[":
            self.pos += 1
            return self.items("]")
        if ch == "(":
            self.pos += 1
            return self.items(")")
        if ch == "\\":  # \%hash or \@array: a reference to a literal is the literal
            self.pos += 1
            return self.value()
        match = re.compile(r"qq?(?=\s*[^\w\s,;=])").match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return self.q_string(interpolating=match.group(0) == "qq")
        match = _NUMBER.match(self.text, self.pos)
        if match and match.group(0) not in ("+", "-", "."):
            self.pos = match.end()
            return _number(match.group(0))
        match = _BAREWORD.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            word = match.group(0)
            if word == "undef":
                if self.peek(2) == "()":
                    self.pos += 2
                return None
            if self.peek(2) == "=>":
                return word.lstrip("-")
            raise self.error(f"bareword {word!r} is code, not data")
        raise self.error(f"unexpected {self.text[self.pos:self.pos + 20] or 'end of file'!r}")

    def items(self, closer: str) -> list[Any]:
        out: list[Any] = []
        while True:
            if self.peek() == closer:
                self.pos += 1
                return out
            if self.at_end():
                raise self.error(f"missing {closer!r}")
            out.append(self.value())
            if self.peek(2) == "=>":
                self.pos += 2
            elif self.peek() == ",":
                self.pos += 1
            elif self.peek() != closer:
                raise self.error(f"expected ',' or {closer!r}, found "
                                 f"{self.text[self.pos:self.pos + 20]!r}")

    def hash_ref(self) -> dict[str, Any]:
        self.expect("{")
        return _pairs(self.items("}"), self)

    def quoted(self, quote: str) -> str:
        start = self.pos
        self.pos += 1
        parts: list[str] = []
        text = self.text
        while True:
            end = _find_any(text, self.pos, quote + "\\")
            if end < 0:
                self.pos = start
                raise self.error(f"string never closed (opened here with {quote})")
            parts.append(text[self.pos:end])
            ch = text[end]
            if ch == "\\":
                parts.append(self.escape(end, quote))
                continue
            self.pos = end + 1
            if _AFTER_STRING.match(text, self.pos):
                return "".join(parts)
            parts.append(quote)  # an apostrophe inside the string, not its end
            self.repairs.append(f"line {self.line(end)}: unescaped {quote} kept in the string")

    def escape(self, at: int, quote: str) -> str:
        """The text for the backslash escape at ``at``; moves past it."""
        nxt = self.text[at + 1:at + 2]
        self.pos = at + 2
        if quote == "'":
            return nxt if nxt in ("\\", "'") else "\\" + nxt
        if nxt in _DQ_ESCAPES:
            return _DQ_ESCAPES[nxt]
        if nxt == "x":
            match = re.compile(r"\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{1,2})").match(
                self.text, self.pos)
            if match:
                self.pos = match.end()
                return chr(int(match.group(1) or match.group(2), 16))
        return nxt  # \" \\ \$ \@ and any other character stand for themselves

    def q_string(self, *, interpolating: bool) -> str:
        self.skip_space()
        opener = self.text[self.pos:self.pos + 1]
        closer = _CLOSERS.get(opener, opener)
        depth, i, out = 1, self.pos + 1, []
        while i < len(self.text):
            ch = self.text[i]
            if ch == "\\" and i + 1 < len(self.text):
                nxt = self.text[i + 1]
                if nxt in (opener, closer, "\\"):
                    out.append(nxt)
                elif interpolating:
                    self.pos = i
                    out.append(self.escape(i, '"'))
                    i = self.pos
                    continue
                else:
                    out.append(ch + nxt)
                i += 2
                continue
            if ch == opener and opener != closer:
                depth += 1
            elif ch == closer:
                depth -= 1
                if depth == 0:
                    self.pos = i + 1
                    return "".join(out)
            out.append(ch)
            i += 1
        raise self.error(f"q{'q' if interpolating else ''}{opener} string never closed")


def _find_any(text: str, start: int, chars: str) -> int:
    found = [i for i in (text.find(c, start) for c in chars) if i >= 0]
    return min(found) if found else -1


def _number(token: str) -> int | float:
    clean = token.replace("_", "")
    if clean.lstrip("+-").lower().startswith("0x"):
        return int(clean, 16)
    try:
        return int(clean)
    except ValueError:
        return float(clean)


def _pairs(items: list[Any], reader: _Reader) -> dict[str, Any]:
    if len(items) % 2:
        raise reader.error("odd number of elements in a hash")
    out: dict[str, Any] = {}
    for key, value in zip(items[::2], items[1::2], strict=True):
        out[str(key)] = value
    return out


def parse_value(text: str) -> Any:
    """One Perl literal (``{...}``, ``(...)``, a string...), for tests and small snippets."""
    reader = _Reader(text)
    value = reader.value()
    if reader.peek() == ";":
        reader.pos += 1
    if not reader.at_end():
        raise reader.error("text after the value")
    return value


def iter_hash_entries(text: str, name: str | None = None) -> Iterator[PerlEntry]:
    """The ``key => value`` pairs of the first top-level hash assignment (``%name = (...)``).

    Entries are yielded one at a time; an entry that cannot be read is yielded with ``error``
    set and reading goes on at the next ``'key' => {``. Other statements are skipped.
    """
    reader = _Reader(text)
    start = _hash_start(reader, name)
    if start is None:
        raise PerlSyntaxError(f"no %{name or 'HASH'} = ( ... ) assignment found", 1)
    reader.pos = start
    while True:
        ch = reader.peek()
        if ch == ")" or reader.at_end():
            return
        entry_start = reader.pos
        reader.repairs = []
        try:
            key = reader.value()
            if reader.peek(2) == "=>":
                reader.pos += 2
            else:
                reader.expect(",")
            value = reader.value()
            if reader.peek() == ",":
                reader.pos += 1
            elif reader.peek() != ")":
                raise reader.error(f"expected ',' after the entry for {key!r}")
            yield PerlEntry(str(key), value, reader.line(entry_start), list(reader.repairs))
        except PerlSyntaxError as exc:
            yield PerlEntry(_guess_key(reader.text, entry_start), None,
                            reader.line(entry_start), list(reader.repairs), exc)
            resume = _RECORD_START.search(reader.text, entry_start + 1)
            if resume is None:
                return
            reader.pos = resume.start() + 1


def _hash_start(reader: _Reader, name: str | None) -> int | None:
    for match in _VARIABLE.finditer(reader.text):
        sigil, var = match.groups()
        if sigil != "%" or (name is not None and var != name):
            continue
        if _in_comment_or_string(reader.text, match.start()):
            continue
        reader.pos = match.end()
        if reader.peek() == "(":
            return reader.pos + 1
    return None


def _in_comment_or_string(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    before = text[line_start:pos]
    return "#" in before or before.count("'") % 2 == 1


def _guess_key(text: str, pos: int) -> str | None:
    match = re.compile(r"""\s*(?:'([^'\n]*)'|"([^"\n]*)"|([\w.-]+))\s*=>""").match(text, pos)
    if match is None:
        return None
    return next(g for g in match.groups() if g is not None)
