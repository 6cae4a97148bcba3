"""Helpers for the eFiction tests: the fixture dump, a copy of it to damage, and a second,
deliberately naive reader of its INSERTs to check the real one against.

Imported by name (``from efiction_helpers import ...``): pytest puts this folder on sys.path.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "efiction"
DUMP = FIXTURES / "efiction.sql"
STORIES = FIXTURES / "storiesef"

_ESC = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "Z": "\x1a", "b": "\b"}


def dump_text() -> str:
    return DUMP.read_text(encoding="utf-8")


def site_copy(tmp_path: Path, sql: str | bytes | None = None, name: str = "efiction.sql") -> Path:
    """The dump (or ``sql`` instead of it) with the chapter folder beside it, in ``tmp_path``."""
    target = tmp_path / name
    if sql is None:
        shutil.copy(DUMP, target)
    else:
        target.write_bytes(sql.encode("utf-8") if isinstance(sql, str) else sql)
    if not (tmp_path / "storiesef").exists():
        shutil.copytree(STORIES, tmp_path / "storiesef")
    return target


def create_columns(sql: str, table: str) -> list[str]:
    m = re.search(rf"CREATE TABLE `{table}`\s*\((.*?)\n\)", sql, re.S)
    assert m, table
    return re.findall(r"^\s*`(\w+)`", m.group(1), re.M)


def naive_rows(sql: str, table: str) -> list[dict[str, Any]]:
    """Rows of ``table`` read character by character: strings, NULL and integers only."""
    rows: list[dict[str, Any]] = []
    pattern = rf"INSERT INTO `?{table}`?\s*(?:\(([^)]*)\))?\s*VALUES"
    for m in re.finditer(pattern, sql):
        columns = ([c.strip().strip("`") for c in m.group(1).split(",")] if m.group(1)
                   else create_columns(sql, table))
        i = m.end()
        while True:
            while sql[i] in " \t\r\n,":
                i += 1
            if sql[i] == ";":
                break
            assert sql[i] == "(", sql[i : i + 30]
            i += 1
            values: list[Any] = []
            while True:
                while sql[i] in " \t\r\n":
                    i += 1
                if sql[i] == "'":
                    i += 1
                    out = []
                    while True:
                        c = sql[i]
                        if c == "\\":
                            out.append(_ESC.get(sql[i + 1], sql[i + 1]))
                            i += 2
                        elif c == "'" and sql[i + 1] == "'":
                            out.append("'")
                            i += 2
                        elif c == "'":
                            i += 1
                            break
                        else:
                            out.append(c)
                            i += 1
                    values.append("".join(out))
                else:
                    j = i
                    while sql[j] not in ",)":
                        j += 1
                    token = sql[i:j].strip()
                    values.append(None if token == "NULL" else int(token))
                    i = j
                while sql[i] in " \t\r\n":
                    i += 1
                if sql[i] == ",":
                    i += 1
                    continue
                assert sql[i] == ")"
                i += 1
                break
            rows.append(dict(zip(columns, values, strict=True)))
    return rows


def as_text(value: Any) -> str | None:
    return None if value is None else str(value)
