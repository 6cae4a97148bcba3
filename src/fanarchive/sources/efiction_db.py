"""eFiction archives as story bundles, from a MySQL dump file or from a live database.

A *bundle* is one story as a plain JSON-ready dict: the story row, its chapter rows in reading
order (with the chapter text from the database or the raw bytes of ``stories/<uid>/<chapid>.txt``),
and every id the story refers to resolved against the site's lookup tables (authors, co-authors,
rating, categories, characters, classes by class type, series). Values are kept as the strings
the database holds; the ``efiction-db`` parser turns a bundle into a ParsedStory.

Dumps list tables alphabetically, so chapters arrive before stories: the relevant tables are
staged in a temporary SQLite file and bundles are assembled from there, which keeps memory flat
however large the archive is. eFiction 1.x (chapters are rows of ``stories`` linked by ``psid``),
2.x (genre, warning, character and rating *names* in ``gid``/``wid``/``charid``/``rid``) and 3.x
layouts are understood, with any table prefix.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import marshal
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from fanarchive.document import Document
from fanarchive.errors import ItemError, UsageError
from fanarchive.sources.sqldump import (
    CreateTable,
    DumpError,
    DumpReader,
    Row,
    decode_sql_bytes,
    mysql_latin1_encode,
    open_dump,
)

__all__ = [
    "BUNDLE_FORMAT",
    "MEDIA_TYPE",
    "EfictionDatabase",
    "EfictionDump",
    "iter_bundle_documents",
    "iter_bundles",
    "split_table_name",
]

MEDIA_TYPE = "application/vnd.fanarchive.efiction-story+json"
BUNDLE_FORMAT = "fanarchive.efiction-story"
BUNDLE_VERSION = 1

Rec = dict[str, str | None]
Problems = list[dict[str, str]]
Noted = tuple[Rec, tuple[str, ...]]  # a row and the decoding notes of its values

# suffix -> (column that finds the rows of one story, primary key columns)
_TABLES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "stories": ("sid", ("sid",)),
    "chapters": ("sid", ("chapid",)),
    "authors": ("uid", ("uid",)),
    "coauthors": ("sid", ("sid", "uid")),
    "inseries": ("sid", ("seriesid", "sid", "subseriesid")),
    "ratings": (None, ("rid",)),
    "categories": (None, ("catid",)),
    "characters": (None, ("charid",)),
    "classes": (None, ("class_id",)),
    "classtypes": (None, ("classtype_id",)),
    "series": (None, ("seriesid",)),
    "settings": (None, ("sitekey",)),
    "genres": (None, ("gid",)),
    "warnings": (None, ("wid",)),
}

# eFiction 3.5 column order, for INSERTs without a column list in dumps without CREATE TABLE
# (the backups eFiction makes itself look like that).
_EFICTION3_COLUMNS: dict[str, tuple[str, ...]] = {
    "stories": ("sid", "title", "summary", "storynotes", "catid", "classes", "charid", "rid",
                "date", "updated", "uid", "coauthors", "featured", "validated", "completed", "rr",
                "wordcount", "rating", "reviews", "count", "challenges"),
    "chapters": ("chapid", "title", "inorder", "notes", "storytext", "endnotes", "validated",
                 "wordcount", "rating", "reviews", "sid", "uid", "count"),
    "authors": ("uid", "penname", "realname", "email", "website", "bio", "image", "date",
                "admincreated", "password"),
    "coauthors": ("sid", "uid"),
    "inseries": ("seriesid", "sid", "subseriesid", "confirmed", "inorder"),
    "ratings": ("rid", "rating", "ratingwarning", "warningtext"),
    "categories": ("catid", "parentcatid", "category", "description", "image", "locked",
                   "leveldown", "displayorder", "numitems"),
    "characters": ("charid", "catid", "charname", "bio", "image"),
    "classes": ("class_id", "class_type", "class_name"),
    "classtypes": ("classtype_id", "classtype_name", "classtype_title"),
    "series": ("seriesid", "title", "summary", "uid", "isopen", "catid", "classes", "rating",
               "warnings", "genres", "characters", "reviews", "challenges", "numstories"),
}

_ZERO_IDS = {"", "0", "-1"}


def split_table_name(name: str) -> tuple[str, str] | None:
    """``("fanfiction_", "stories")`` for ``fanfiction_stories``; None for other tables."""
    lower = name.lower()
    for suffix in sorted(_TABLES, key=len, reverse=True):
        if lower.endswith(suffix):
            prefix = name[: len(name) - len(suffix)]
            if prefix == "" or prefix.endswith("_"):
                return prefix, suffix
    return None


def _ids(value: str | None) -> list[str]:
    """The items of an eFiction comma list ("3,10,16"), without blanks and "no value" ids."""
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip() not in _ZERO_IDS]


def _as_text(value: Any) -> tuple[str | None, str | None]:
    """Every value in a bundle is a string (or None) whichever way the row was read."""
    if value is None or isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        return str(int(value)), None
    if isinstance(value, int | Decimal):
        return str(value), None
    if isinstance(value, float):
        return repr(value), None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" "), None
    if isinstance(value, dt.date | dt.time):
        return value.isoformat(), None
    if isinstance(value, dt.timedelta):
        return str(value), None
    if isinstance(value, bytes | bytearray | memoryview):
        return decode_sql_bytes(bytes(value), None)
    return str(value), None


# ---------------------------------------------------------------------------------------------
# Where rows come from: a staged dump or a live database


class _Tables(Protocol):
    prefix: str

    def columns(self, suffix: str) -> set[str]: ...

    def all_rows(self, suffix: str) -> list[Rec]: ...

    def rows_for(self, suffix: str, column: str, value: str) -> list[Noted]: ...

    def stories(self, key_column: str) -> Iterator[Noted]: ...


class _Staging:
    """The relevant tables of a dump, as marshalled rows in a throw-away SQLite file."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "CREATE TABLE rows (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, k TEXT, pk TEXT,"
            " data BLOB NOT NULL, notes BLOB);"
            "CREATE UNIQUE INDEX rows_pk ON rows (tbl, pk);"
        )
        self.columns: dict[str, list[str]] = {}
        self._pending: list[tuple[str, str | None, str | None, bytes, bytes | None]] = []
        self._pending_mode = "IGNORE"

    def add(self, suffix: str, row: Row) -> None:
        values: Rec = {}
        notes = list(row.notes)
        for column, raw in row.values.items():
            text, note = _as_text(raw)
            values[column] = text
            if note:
                notes.append(f"{column}: {note}")
        key_column, pk_columns = _TABLES[suffix]
        if suffix == "stories" and "psid" in values:
            key_column = "psid"
        key = values.get(key_column) if key_column else None
        pk = None
        if all(values.get(c) is not None for c in pk_columns):
            pk = "\x1f".join(str(values[c]) for c in pk_columns)
        if row.table not in self.columns:
            self.columns[row.table] = list(values)
        # A REPLACE overwrites an earlier row with the same key; INSERT keeps the first, as
        # MySQL would have refused the duplicate.
        mode = "REPLACE" if row.mode == "replace" else "IGNORE"
        if mode != self._pending_mode or len(self._pending) >= 2000:
            self.flush()
            self._pending_mode = mode
        # marshal, not JSON: the staging file lives and dies with this process, and the
        # conversion is a visible share of reading a dump.
        self._pending.append((row.table, key, pk, marshal.dumps(values),
                              marshal.dumps(notes) if notes else None))

    def flush(self) -> None:
        if self._pending:
            self.db.executemany(
                f"INSERT OR {self._pending_mode} INTO rows (tbl, k, pk, data, notes)"
                " VALUES (?, ?, ?, ?, ?)",
                self._pending,
            )
            self._pending.clear()

    def finish(self) -> None:
        self.flush()
        self.db.execute("CREATE INDEX rows_key ON rows (tbl, k)")
        self.db.commit()

    def table_names(self) -> list[str]:
        names = {r[0] for r in self.db.execute("SELECT DISTINCT tbl FROM rows")}
        return sorted(names | set(self.columns))

    def close(self) -> None:
        self.db.close()


@dataclass
class _StagedTables:
    staging: _Staging
    prefix: str
    names: dict[str, str] = field(default_factory=dict)

    def _table(self, suffix: str) -> str | None:
        return self.names.get(suffix)

    def columns(self, suffix: str) -> set[str]:
        table = self._table(suffix)
        return set(self.staging.columns.get(table, [])) if table else set()

    def all_rows(self, suffix: str) -> list[Rec]:
        table = self._table(suffix)
        if table is None:
            return []
        sql = "SELECT data FROM rows WHERE tbl = ? ORDER BY seq"
        cursor = self.staging.db.execute(sql, (table,))
        return [marshal.loads(data) for (data,) in cursor]

    def rows_for(self, suffix: str, column: str, value: str) -> list[Noted]:
        # Staging indexed each table on the column that finds a story's rows, so ``column`` is
        # implied by the suffix here.
        table = self._table(suffix)
        if table is None:
            return []
        cursor = self.staging.db.execute(
            "SELECT data, notes FROM rows WHERE tbl = ? AND k = ? ORDER BY seq", (table, value)
        )
        return [(marshal.loads(d), tuple(marshal.loads(n)) if n else ()) for d, n in cursor]

    def stories(self, key_column: str) -> Iterator[Noted]:
        table = self._table("stories")
        if table is None:
            return
        cursor = self.staging.db.execute(
            "SELECT data, notes FROM rows WHERE tbl = ? ORDER BY CAST(k AS INTEGER), k, seq",
            (table,),
        )
        for data, notes in cursor:
            row = marshal.loads(data)
            if key_column == "psid" and row.get("sid") != row.get("psid"):
                continue  # eFiction 1.x: a later chapter, not a story
            yield row, tuple(marshal.loads(notes)) if notes else ()


def _choose_prefixes(names: Iterable[str], wanted: str | None) -> dict[str, dict[str, str]]:
    """Table names by suffix for each eFiction install found (a stories and an authors table)."""
    found: dict[str, dict[str, str]] = {}
    for name in names:
        split = split_table_name(name)
        if split is not None:
            found.setdefault(split[0], {})[split[1]] = name
    installs = {p: t for p, t in found.items() if "stories" in t and "authors" in t}
    if wanted is not None:
        if wanted not in found or "stories" not in found[wanted]:
            known = ", ".join(repr(p) for p in sorted(installs)) or "none"
            raise UsageError(f"no eFiction tables with prefix {wanted!r} (found: {known})")
        return {wanted: found[wanted]}
    return installs


# ---------------------------------------------------------------------------------------------
# Bundles


def _find_stories_dir(base: Path | None, storiespath: str | None) -> Path | None:
    """The chapter-file folder next to the dump: the configured name, then any folder of uids."""
    if base is None or not base.is_dir():
        return None
    names = [n for n in (storiespath, "stories", "storiesef") if n]
    for name in names:
        parts = Path(name.strip("/\\")).parts
        if not parts or ".." in parts:
            continue  # the setting comes from the dump: stay inside the dump's folder
        candidate = base.joinpath(*parts)
        if candidate.is_dir():
            return candidate
    for child in sorted(base.iterdir()):
        if child.is_dir() and any(
            sub.is_dir() and any(sub.glob("*.txt")) for sub in child.iterdir()
        ):
            return child
    return None


def _unresolved(problems: Problems, what: str, table: str) -> None:
    problems.append({"code": "unresolved", "detail": f"{what} is not in the {table} table"})


def _safe_name(value: str | None) -> bool:
    if not value or value in (".", ".."):
        return False
    return not any(c in value for c in "/\\\0:")


def _int_or(value: object, default: int) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


class _BundleBuilder:
    def __init__(self, tables: _Tables, *, source: dict[str, str], stories_dir: Path | None,
                 search_base: Path | None) -> None:
        self.t = tables
        self.source = source
        story_columns = tables.columns("stories")
        if "psid" in story_columns and not tables.columns("chapters"):
            self.layout = "1"
        elif "classes" in story_columns or tables.columns("classes"):
            self.layout = "3"
        else:
            self.layout = "2"
        self.story_key = "psid" if self.layout == "1" else "sid"
        settings = tables.all_rows("settings")
        self.settings: Rec = settings[0] if settings else {}
        self.stories_dir = stories_dir or _find_stories_dir(
            search_base, self.settings.get("storiespath")
        )
        self.has_coauthor_table = bool(tables.columns("coauthors"))
        self.ratings = {r.get("rid"): r.get("rating") for r in tables.all_rows("ratings")}
        self.categories = {r.get("catid"): r for r in tables.all_rows("categories")}
        chars = tables.all_rows("characters")
        self.characters = {r.get("charid"): r.get("charname") for r in chars}
        self.character_names = {(r.get("charname") or "").lower(): r.get("charname") for r in chars}
        self.classes = {r.get("class_id"): r for r in tables.all_rows("classes")}
        self.classtypes = {r.get("classtype_id"): r for r in tables.all_rows("classtypes")}
        self.series = {r.get("seriesid"): r for r in tables.all_rows("series")}
        self.genres = {r.get("gid"): r.get("genre") for r in tables.all_rows("genres")}
        self.warnings = {r.get("wid"): r.get("warning") for r in tables.all_rows("warnings")}
        self._authors: dict[str, Rec | None] = {}

    def bundles(self) -> Iterator[dict[str, Any]]:
        for story, notes in self.t.stories(self.story_key):
            yield self.bundle(story, notes)

    # -- lookups ---------------------------------------------------------------------------

    def author(self, uid: str) -> Rec | None:
        if uid not in self._authors:
            if len(self._authors) > 20000:
                self._authors.clear()
            rows = self.t.rows_for("authors", "uid", uid)
            self._authors[uid] = rows[0][0] if rows else None
        return self._authors[uid]

    def _person(self, uid: str, problems: Problems, role: str) -> dict[str, str | None]:
        row = self.author(uid)
        if row is None:
            _unresolved(problems, f"{role} uid {uid}", "authors")
            return {"uid": uid, "penname": None, "realname": None, "email": None}
        return {"uid": uid, "penname": row.get("penname"), "realname": row.get("realname"),
                "email": row.get("email")}

    def bundle(self, story: Rec, row_notes: tuple[str, ...]) -> dict[str, Any]:
        sid = story.get("sid") or ""
        problems: Problems = []
        notes = [f"story {sid} {n}" for n in row_notes]
        uid = story.get("uid") or ""
        authors = [self._person(uid, problems, "author")] if uid not in _ZERO_IDS else []
        # A 1.x story row is also its first chapter: its text belongs to the chapter.
        story_out = {k: v for k, v in story.items() if k != "storytext"}
        bundle = {
            "format": BUNDLE_FORMAT,
            "version": BUNDLE_VERSION,
            "source": self.source,
            "layout": self.layout,
            "efiction_version": self.settings.get("version"),
            "site": {"name": self.settings.get("sitename"), "url": self.settings.get("url"),
                     "sitekey": self.settings.get("sitekey")},
            "sid": sid,
            "story": story_out,
            "authors": authors,
            "coauthors": self.coauthors(story, problems, notes),
            "rating": self.rating(story.get("rid"), problems),
            "categories": self.category_list(story.get("catid"), problems),
            "characters": self.character_list(story.get("charid"), problems),
            "classes": self.class_groups(story, problems),
            "series": self.series_list(sid),
            "chapters": self.chapters(story, problems, notes),
            "problems": problems,
            "notes": notes,
        }
        if not bundle["chapters"]:
            problems.append({"code": "no-chapters", "detail": f"story {sid} has no chapters"})
        return bundle

    def coauthors(self, story: Rec, problems: Problems, notes: list[str]) -> list[dict[str, Any]]:
        sid, main = story.get("sid") or "", story.get("uid")
        column = (story.get("coauthors") or "").strip()
        via: dict[str, list[str]] = {}
        # In eFiction 3 the column is a flag ("1": see the coauthors table); older sites and
        # hand edits keep a comma list of uids there.
        if column and not (self.has_coauthor_table and column == "1"):
            for uid in _ids(column):
                if uid.isdigit():
                    via.setdefault(uid, []).append("column")
        for row, _ in self.t.rows_for("coauthors", "sid", sid):
            uid = row.get("uid") or ""
            if uid not in _ZERO_IDS:
                via.setdefault(uid, []).append("table")
        via.pop(main or "", None)
        if column == "1" and self.has_coauthor_table and not via:
            notes.append(f"story {sid}: coauthors flag is set but the coauthors table lists nobody")
        return [
            {**self._person(uid, problems, "co-author"), "via": how} for uid, how in via.items()
        ]

    def rating(self, rid: str | None, problems: Problems) -> dict[str, str | None] | None:
        if rid is None or rid.strip() in _ZERO_IDS:
            return None
        rid = rid.strip()
        if rid in self.ratings:
            return {"rid": rid, "name": self.ratings[rid]}
        for key, name in self.ratings.items():
            if name and name.lower() == rid.lower():
                return {"rid": key, "name": name}
        if not rid.isdigit():
            return {"rid": None, "name": rid}  # eFiction 1.x/2.x kept the rating's name
        _unresolved(problems, f"rating id {rid}", "ratings")
        return {"rid": rid, "name": None}

    def category_list(self, value: str | None, problems: Problems) -> list[dict[str, str | None]]:
        out = []
        for catid in _ids(value):
            row = self.categories.get(catid)
            if row is None:
                if catid.lstrip("-").isdigit():
                    _unresolved(problems, f"category id {catid}", "categories")
                    out.append({"catid": catid, "name": None, "parent": None})
                else:
                    out.append({"catid": None, "name": catid, "parent": None})
                continue
            parent = self.categories.get(row.get("parentcatid"))
            out.append({"catid": catid, "name": row.get("category"),
                        "parent": parent.get("category") if parent else None})
        return out

    def character_list(self, value: str | None, problems: Problems) -> list[dict[str, str | None]]:
        out = []
        for item in _ids(value):
            if item in self.characters:
                out.append({"charid": item, "name": self.characters[item]})
            elif item.lower() in self.character_names:
                out.append({"charid": None, "name": self.character_names[item.lower()]})
            elif item.isdigit():
                _unresolved(problems, f"character id {item}", "characters")
                out.append({"charid": item, "name": None})
            else:
                out.append({"charid": None, "name": item})
        return out

    def class_groups(self, story: Rec, problems: Problems) -> list[dict[str, Any]]:
        groups: dict[str, dict[str, Any]] = {}

        def add(type_id: str, name: str, title: str, value: str) -> None:
            group = groups.setdefault(type_id, {"type": name, "title": title, "values": []})
            if value not in group["values"]:
                group["values"].append(value)

        for class_id in _ids(story.get("classes")):
            row = self.classes.get(class_id)
            if row is None:
                _unresolved(problems, f"class id {class_id}", "classes")
                continue
            type_id = row.get("class_type") or ""
            ctype = self.classtypes.get(type_id) or {}
            add(type_id, ctype.get("classtype_name") or f"class{type_id}",
                ctype.get("classtype_title") or ctype.get("classtype_name") or f"Class {type_id}",
                row.get("class_name") or "")
        # eFiction 1.x/2.x: genre and warning names (or ids into their own tables).
        for column, table, name, title in (("gid", self.genres, "genres", "Genres"),
                                           ("wid", self.warnings, "warnings", "Warnings")):
            for item in _ids(story.get(column)):
                value = table.get(item) or item
                add(name, name, title, value)
        order = sorted(groups, key=lambda k: (_int_or(k, 1 << 30), k))
        return [groups[k] for k in order]

    def series_list(self, sid: str) -> list[dict[str, Any]]:
        out = []
        for row, _ in self.t.rows_for("inseries", "sid", sid):
            series = self.series.get(row.get("seriesid")) or {}
            position = row.get("inorder")
            out.append({"seriesid": row.get("seriesid"), "title": series.get("title"),
                        "position": _int_or(position, 0) if position is not None else None})
        out.sort(key=lambda s: _int_or(s["seriesid"], 0))
        return out

    # -- chapters ----------------------------------------------------------------------------

    def chapters(self, story: Rec, problems: Problems, notes: list[str]) -> list[dict[str, Any]]:
        sid = story.get("sid") or ""
        if self.layout == "1":
            rows = self.t.rows_for("stories", "psid", sid)
            id_column, title_column = "sid", "chapter"
        else:
            rows = self.t.rows_for("chapters", "sid", sid)
            id_column, title_column = "chapid", "title"
        rows.sort(key=lambda r: (_int_or(r[0].get("inorder"), 0), _int_or(r[0].get(id_column), 0)))
        out = []
        for position, (row, row_notes) in enumerate(rows, start=1):
            chapid = row.get(id_column) or ""
            notes.extend(f"chapter {chapid} {n}" for n in row_notes)
            chapter: dict[str, Any] = {
                "chapid": chapid,
                "position": position,
                "title": row.get(title_column),
                "row": {k: v for k, v in row.items() if k != "storytext"},
                "text": None,
                "text_source": None,
                "file": None,
                "file_base64": None,
            }
            text = row.get("storytext")
            if text and text.strip():
                chapter["text"], chapter["text_source"] = text, "database"
            else:
                self._chapter_file(chapter, story, row, problems)
            out.append(chapter)
        return out

    def _chapter_file(self, chapter: dict[str, Any], story: Rec, row: Rec,
                      problems: Problems) -> None:
        chapid, sid = chapter["chapid"], story.get("sid")
        in_database = (self.settings.get("store") or "").lower() == "mysql"
        if self.stories_dir is None or in_database:
            where = "the database has no text and no chapter folder was found"
            if in_database:
                # The site kept texts in MySQL: an empty text is not a lost file.
                where = "the chapter text in the database is empty"
            problems.append({"code": "missing-chapter", "chapid": chapid, "path": "",
                             "detail": f"chapter {chapid} of story {sid}: {where}"})
            return
        folders = [row.get("uid"), story.get("uid")]
        if self.layout == "1":
            author = self.author(story.get("uid") or "")
            folders.append(author.get("penname") if author else None)
        # Folder and file names come from the dump: never let them leave the chapter folder.
        candidates = [self.stories_dir / f / f"{chapid}.txt" for f in dict.fromkeys(folders)
                      if f and _safe_name(f) and _safe_name(chapid)]
        base = self.stories_dir.parent
        for path in candidates:
            if path.is_file():
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    problems.append({"code": "unreadable-chapter", "chapid": chapid,
                                     "path": path.relative_to(base).as_posix(),
                                     "detail": f"chapter {chapid} of story {sid}: {exc}"})
                    return
                chapter["file"] = path.relative_to(base).as_posix()
                chapter["file_base64"] = base64.b64encode(data).decode("ascii")
                chapter["text_source"] = "file"
                return
        expected = candidates[0].relative_to(base).as_posix() if candidates else ""
        problems.append({"code": "missing-chapter", "chapid": chapid, "path": expected,
                         "detail": f"chapter {chapid} of story {sid}: {expected} not found"})


# ---------------------------------------------------------------------------------------------
# Public entry points


class EfictionDump:
    """A dump staged for bundle iteration; use as a context manager to remove the staging file.

    ``errors`` holds the damage the dump reader recorded (truncation, broken rows); the stories
    that were complete are still available.
    """

    def __init__(self, path: str | Path, *, stories_dir: str | Path | None = None,
                 prefix: str | None = None, chunk_size: int = 1 << 20,
                 workdir: str | Path | None = None) -> None:
        self.path = Path(path)
        self._tmp = tempfile.TemporaryDirectory(prefix="fanarchive-efiction-", dir=workdir)
        self.staging = _Staging(Path(self._tmp.name) / "stage.sqlite3")
        self.errors: list[DumpError] = []
        try:
            self._stage(chunk_size)
            self.installs = _choose_prefixes(self.staging.table_names(), prefix)
        except BaseException:
            self.close()
            raise
        self.stories_dir = Path(stories_dir) if stories_dir else None

    def _stage(self, chunk_size: int) -> None:
        def relevant(table: str) -> bool:
            return split_table_name(table) is not None

        def default_columns(table: str) -> Sequence[str] | None:
            split = split_table_name(table)
            return _EFICTION3_COLUMNS.get(split[1]) if split else None

        with open_dump(self.path) as stream:
            reader = DumpReader(stream, source=self.path.name, tables=relevant,
                                default_columns=default_columns, on_error="record",
                                chunk_size=chunk_size)
            for event in reader:
                if isinstance(event, Row):
                    split = split_table_name(event.table)
                    if split is not None:
                        self.staging.add(split[1], event)
                elif isinstance(event, CreateTable) and split_table_name(event.name):
                    self.staging.columns[event.name] = list(event.columns)
            self.errors = list(reader.errors)
        self.staging.finish()

    @property
    def prefixes(self) -> list[str]:
        return sorted(self.installs)

    def _tables(self, prefix: str) -> _StagedTables:
        return _StagedTables(self.staging, prefix, self.installs[prefix])

    def bundles(self) -> Iterator[dict[str, Any]]:
        for prefix in self.prefixes:
            source = {"kind": "dump", "name": self.path.name, "identity": _dump_identity(self.path),
                      "prefix": prefix}
            builder = _BundleBuilder(self._tables(prefix), source=source,
                                     stories_dir=self.stories_dir, search_base=self.path.parent)
            yield from builder.bundles()

    def orphan_chapters(self) -> dict[str, list[str]]:
        """Story ids that chapters point to but the stories table lacks (a truncated dump)."""
        found: dict[str, list[str]] = {}
        for prefix, names in self.installs.items():
            if "chapters" not in names:
                continue
            cursor = self.staging.db.execute(
                "SELECT DISTINCT c.k FROM rows c WHERE c.tbl = ? AND NOT EXISTS "
                "(SELECT 1 FROM rows s WHERE s.tbl = ? AND s.k = c.k)"
                " ORDER BY CAST(c.k AS INTEGER)",
                (names["chapters"], names["stories"]),
            )
            sids = [k for (k,) in cursor if k is not None]
            if sids:
                found[prefix] = sids
        return found

    def close(self) -> None:
        self.staging.close()
        self._tmp.cleanup()

    def __enter__(self) -> EfictionDump:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _dump_identity(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".bz2", ".xz", ".lzma", ".sql"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


class _LiveTables:
    """The same row access as the staged dump, on a live database through SQLAlchemy Core."""

    def __init__(self, engine: Any, prefix: str, names: dict[str, str],
                 charsets: dict[tuple[str, str], str]) -> None:
        import sqlalchemy

        self.engine = engine
        self.prefix = prefix
        self.names = names
        self.charsets = charsets
        self.quote = engine.dialect.identifier_preparer.quote
        self.text = sqlalchemy.text
        self.inspector = sqlalchemy.inspect(engine)
        self.conn = engine.connect()
        self._columns: dict[str, set[str]] = {}

    def columns(self, suffix: str) -> set[str]:
        table = self.names.get(suffix)
        if table is None:
            return set()
        if table not in self._columns:
            self._columns[table] = {c["name"] for c in self.inspector.get_columns(table)}
        return self._columns[table]

    def _convert(self, table: str, mapping: Any) -> tuple[Rec, tuple[str, ...]]:
        values: Rec = {}
        notes: list[str] = []
        for column, raw in mapping.items():
            text: str | None
            if isinstance(raw, str) and self.charsets.get((table, column)) == "latin1":
                # Read back the bytes the latin1 column holds and decode them the way the dump
                # reader does, so UTF-8 stored in latin1 columns comes out the same either way.
                stored = mysql_latin1_encode(raw)
                text, note = decode_sql_bytes(stored, "mysql-latin1") if stored else (raw, None)
            else:
                text, note = _as_text(raw)
            values[column] = text
            if note:
                notes.append(f"{column}: {note}")
        return values, tuple(notes)

    def _select(self, table: str, where: str = "", params: dict[str, Any] | None = None,
                order: str = "") -> Any:
        sql = f"SELECT * FROM {self.quote(table)}"
        if where:
            sql += f" WHERE {self.quote(where)} = :value"
        if order:
            sql += f" ORDER BY {self.quote(order)}"
        return self.conn.execute(self.text(sql), params or {})

    def all_rows(self, suffix: str) -> list[Rec]:
        table = self.names.get(suffix)
        if table is None:
            return []
        return [self._convert(table, r._mapping)[0] for r in self._select(table)]

    def rows_for(self, suffix: str, column: str, value: str) -> list[Noted]:
        table = self.names.get(suffix)
        if table is None or column not in self.columns(suffix):
            return []
        param: Any = int(value) if value.lstrip("-").isdigit() else value
        result = self._select(table, column, {"value": param})
        return [self._convert(table, r._mapping) for r in result]

    def stories(self, key_column: str) -> Iterator[Noted]:
        table = self.names["stories"]
        # A second connection streams the stories while the first answers the lookups.
        with self.engine.connect() as stream:
            sql = f"SELECT * FROM {self.quote(table)} ORDER BY {self.quote('sid')}"
            result = stream.execution_options(stream_results=True).execute(self.text(sql))
            for r in result:
                row, notes = self._convert(table, r._mapping)
                if key_column == "psid" and row.get("sid") != row.get("psid"):
                    continue
                yield row, notes

    def close(self) -> None:
        self.conn.close()


class EfictionDatabase:
    """A live eFiction database, e.g. ``mysql+pymysql://root@127.0.0.1/efiction``."""

    def __init__(self, url: str, *, stories_dir: str | Path | None = None,
                 prefix: str | None = None) -> None:
        import sqlalchemy

        try:
            parsed = sqlalchemy.make_url(url)
        except sqlalchemy.exc.ArgumentError as exc:
            raise UsageError(f"not a database URL: {url!r}") from exc
        if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        self.url = parsed
        self.stories_dir = Path(stories_dir) if stories_dir else None
        self.errors: list[DumpError] = []
        self._open: list[_LiveTables] = []
        try:
            self.engine = sqlalchemy.create_engine(parsed)
            names = sqlalchemy.inspect(self.engine).get_table_names()
            self.charsets = self._column_charsets()
        except ModuleNotFoundError as exc:
            raise UsageError(f"no database driver for {self.name}: {exc.name} is not installed"
                             " (pip install 'fanarchive[mysql]')") from exc
        except sqlalchemy.exc.SQLAlchemyError as exc:
            raise UsageError(f"cannot read the eFiction database {self.name}: "
                             f"{str(exc).splitlines()[0]}") from exc
        self.installs = _choose_prefixes(names, prefix)

    @property
    def name(self) -> str:
        return self.url.set(password=None).render_as_string(hide_password=True)

    def _column_charsets(self) -> dict[tuple[str, str], str]:
        if self.engine.dialect.name not in ("mysql", "mariadb"):
            return {}
        import sqlalchemy

        sql = sqlalchemy.text(
            "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS"
            " WHERE TABLE_SCHEMA = DATABASE() AND CHARACTER_SET_NAME IS NOT NULL"
        )
        with self.engine.connect() as conn:
            return {(t, c): cs.lower() for t, c, cs in conn.execute(sql)}

    @property
    def prefixes(self) -> list[str]:
        return sorted(self.installs)

    def bundles(self) -> Iterator[dict[str, Any]]:
        for prefix in self.prefixes:
            tables = _LiveTables(self.engine, prefix, self.installs[prefix], self.charsets)
            self._open.append(tables)
            source = {"kind": "database", "name": self.name,
                      "identity": self.url.database or "efiction", "prefix": prefix}
            builder = _BundleBuilder(tables, source=source, stories_dir=self.stories_dir,
                                     search_base=None)
            try:
                yield from builder.bundles()
            finally:
                tables.close()

    def orphan_chapters(self) -> dict[str, list[str]]:
        return {}

    def close(self) -> None:
        for tables in self._open:
            tables.close()
        self.engine.dispose()

    def __enter__(self) -> EfictionDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_url(source: str | Path) -> bool:
    return isinstance(source, str) and re.match(r"^[a-z][a-z0-9+.-]*://", source) is not None


def open_efiction(source: str | Path, *, stories_dir: str | Path | None = None,
                  prefix: str | None = None) -> EfictionDump | EfictionDatabase:
    """A dump file path or a SQLAlchemy URL, ready for ``bundles()``."""
    if _is_url(source):
        return EfictionDatabase(str(source), stories_dir=stories_dir, prefix=prefix)
    return EfictionDump(source, stories_dir=stories_dir, prefix=prefix)


def iter_bundles(source: str | Path, *, stories_dir: str | Path | None = None,
                 prefix: str | None = None) -> Iterator[dict[str, Any]]:
    """Every story bundle of a dump or live database (damage is ignored: see EfictionDump)."""
    with open_efiction(source, stories_dir=stories_dir, prefix=prefix) as archive:
        yield from archive.bundles()


def iter_bundle_documents(source: str | Path, *, stories_dir: str | Path | None = None,
                          prefix: str | None = None) -> Iterator[Document | ItemError]:
    """One Document per story bundle, and an ItemError for each piece of damage found."""
    name: str = Path(source).name if not _is_url(source) else str(source)
    try:
        archive = open_efiction(source, stories_dir=stories_dir, prefix=prefix)
    except OSError as exc:
        yield ItemError(name, "unreadable", str(exc))
        return
    with archive:
        if isinstance(archive, EfictionDatabase):
            name = archive.name
        for error in archive.errors:
            code = "truncated" if error.code == "truncated" else "dump-syntax"
            reason = f"table `{error.table}`: {error.reason}" if error.table else error.reason
            yield ItemError(f"{name}:{error.line}", code, reason)
        if not archive.installs:
            yield ItemError(name, "not-efiction", "no eFiction stories and authors tables found")
            return
        for prefix_found, sids in archive.orphan_chapters().items():
            shown = ", ".join(sids[:20]) + (" ..." if len(sids) > 20 else "")
            reason = f"chapters of {len(sids)} stories missing from {prefix_found}stories: {shown}"
            yield ItemError(name, "orphan-chapters", reason)
        several = len(archive.installs) > 1
        for bundle in archive.bundles():
            prefix_part = bundle["source"]["prefix"] if several else ""
            yield Document(
                content=json.dumps(bundle, ensure_ascii=False).encode("utf-8"),
                locator=f"{name}#{prefix_part}sid={bundle['sid']}",
                path=str(source) if not _is_url(source) else None,
                media_type=MEDIA_TYPE,
                declared_charset="utf-8",
            )
