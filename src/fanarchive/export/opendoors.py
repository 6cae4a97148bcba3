"""Open Doors working tables, as a MySQL ``.sql`` file (``-o FILE``) or into a database (``--to``).

Layout: the working tables of otwcode/open-doors-code (``test/test_data/test_working_tables.sql``),
same table and column names in the same order: ``authors``, ``chapters``, ``item_authors``,
``item_tags``, ``stories``, ``story_links``, ``tags``. Deliberate differences, so nothing is lost
on the way:

* every table is ``utf8mb4`` and text is written as it is stored: no NFKD folding, no dropped
  bytes, no HTML unescaping;
* columns our data can overflow are wider (``title``, ``url``, author ``name`` and ``email``,
  the comma-joined tag columns, ``import_notes`` and tag names are ``TEXT``, without the
  ``DEFAULT ''`` MySQL refuses on TEXT; ``language_code`` holds any BCP 47 tag); the
  Open Doors scripts copy by column name, so wider columns do not get in their way;
* the ``stories`` tag columns (``fandoms``, ``tags``, ...) are filled with the canonical tags
  joined by ", " as step 06 would; ``item_tags`` + ``tags`` stay the authority (a tag may
  itself contain a comma). ``tags.original_tag`` is the spelling the archive used,
  ``ao3_tag`` our canonical form, ``ao3_tag_type`` the ``stories`` column it belongs to
  (``fandoms``, ``relationships``, ``characters``, ``warnings``, ``categories``, ``tags``,
  ``rating``), as in the Open Doors tag wrangling sheet;
* ``chapters.text`` is sanitized HTML (the chapter's markup, or its text as paragraphs);
  ``chapters.notes`` holds the chapter notes, then the end notes after a labelled line;
* fields the layout has no column for (disclaimer, epigraph, series, status, sources, quality
  flags, revisions, possible duplicates) are labelled lines in ``stories.import_notes``.

``story_links`` holds what Open Doors calls bookmarks: stories whose whole text is a link to
somewhere else (a few words around one URL). Near-duplicates the store found are *not*
story_links (those are external works, not copies); they are listed in ``import_notes`` of both
stories with the other's fanarchive id, for the Open Doors team to decide.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import column, create_engine, insert, select, table, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from fanarchive.errors import UsageError
from fanarchive.export.atomic import atomic_text
from fanarchive.export.items import ExportItem, iter_items
from fanarchive.export.mysql_literal import identifier, literal
from fanarchive.export.sanitize import chapter_html
from fanarchive.store.batch import tag_triples
from fanarchive.store.identity_models import StoryLink
from fanarchive.store.models import StoryRow, table_of
from fanarchive.store.store import Store

# Column definitions; the names and their order are Open Doors'.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "authors": (
        ("id", "int(11) NOT NULL AUTO_INCREMENT"),
        ("name", "text NOT NULL"),
        ("email", "text NOT NULL"),
        ("imported", "tinyint(1) NOT NULL DEFAULT '0'"),
        ("do_not_import", "tinyint(1) NOT NULL DEFAULT '0'"),
        ("to_delete", "tinyint(1) DEFAULT '0'"),
    ),
    "chapters": (
        ("id", "int(11) NOT NULL AUTO_INCREMENT"),
        ("position", "bigint(22) DEFAULT NULL"),
        ("title", "text NOT NULL"),
        ("text", "mediumtext"),
        ("date", "datetime DEFAULT NULL"),
        ("story_id", "int(11) DEFAULT '0'"),
        ("notes", "text"),
        ("url", "varchar(1024) DEFAULT NULL"),
    ),
    "item_authors": (
        ("id", "int(11) NOT NULL AUTO_INCREMENT"),
        ("author_id", "int(11) NOT NULL"),
        ("item_id", "int(11) NOT NULL"),
        ("item_type", "enum('story','story_link','chapter')"),
    ),
    "item_tags": (
        ("id", "int(11) NOT NULL AUTO_INCREMENT"),
        ("item_id", "int(11)"),
        ("item_type", "enum('story','story_link','chapter')"),
        ("tag_id", "int(11)"),
    ),
    "stories": (
        ("id", "int(11) NOT NULL AUTO_INCREMENT"),
        ("title", "text NOT NULL"),
        ("summary", "text"),
        ("notes", "text"),
        ("date", "datetime DEFAULT NULL"),
        ("updated", "datetime DEFAULT NULL"),
        ("categories", "text"),
        ("tags", "text NOT NULL"),
        ("warnings", "text"),
        ("fandoms", "text"),
        ("characters", "text"),
        ("relationships", "text"),
        ("language_code", "varchar(35) DEFAULT NULL"),
        ("url", "text"),
        ("imported", "tinyint(1) NOT NULL DEFAULT '0'"),
        ("do_not_import", "tinyint(1) NOT NULL DEFAULT '0'"),
        ("ao3_url", "varchar(255) DEFAULT NULL"),
        ("import_notes", "text"),
        ("rating", "varchar(255) DEFAULT NULL"),
    ),
    "story_links": (
        ("id", "int(11) NOT NULL AUTO_INCREMENT"),
        ("title", "text NOT NULL"),
        ("summary", "text"),
        ("notes", "text"),
        ("rating", "varchar(255) NOT NULL DEFAULT ''"),
        ("date", "datetime DEFAULT NULL"),
        ("updated", "datetime DEFAULT NULL"),
        ("categories", "text"),
        ("tags", "text NOT NULL"),
        ("warnings", "text"),
        ("fandoms", "text"),
        ("characters", "text"),
        ("relationships", "text"),
        ("language_code", "varchar(35) DEFAULT NULL"),
        ("url", "text"),
        ("imported", "tinyint(1) NOT NULL DEFAULT '0'"),
        ("do_not_import", "tinyint(1) NOT NULL DEFAULT '0'"),
        ("ao3_url", "varchar(255) DEFAULT NULL"),
        ("broken_link", "tinyint(1) NOT NULL DEFAULT '0'"),
        ("import_notes", "text"),
    ),
    "tags": (
        ("id", "int(11) NOT NULL AUTO_INCREMENT"),
        ("original_tagid", "int(11) DEFAULT NULL"),
        ("original_tag", "text"),
        ("original_type", "varchar(255) DEFAULT NULL"),
        ("original_parent", "varchar(255) DEFAULT NULL"),
        ("original_description", "text"),
        ("ao3_tag", "text"),
        ("ao3_tag_type", "varchar(255) DEFAULT NULL"),
        ("ao3_tag_category", "varchar(255) DEFAULT NULL"),
        ("ao3_tag_fandom", "text"),
    ),
}
_KEYS = {"chapters": ", KEY `storyid` (`story_id`)", "item_authors": ", KEY `item_id` (`item_id`)",
         "item_tags": ", KEY `item_id` (`item_id`)"}
# Our tag types → the stories column Open Doors' step 06 fills from them.
TAG_COLUMNS = {"fandom": "fandoms", "relationship": "relationships", "character": "characters",
               "warning": "warnings", "category": "categories", "freeform": "tags",
               "rating": "rating"}
MEDIUMTEXT_BYTES = 16_777_215
_STATEMENT_BYTES = 1_000_000  # well under the default 16 MiB max_allowed_packet
_STAGING = "_fanarchive_new_"
_RETIRED = "_fanarchive_old_"
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def create_table_sql(name: str, real_name: str | None = None) -> str:
    cols = ",\n".join(f"  {identifier(c)} {kind}" for c, kind in TABLES[real_name or name])
    return (f"CREATE TABLE {identifier(name)} (\n{cols},\n  PRIMARY KEY (`id`)"
            f"{_KEYS.get(real_name or name, '')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
            "COLLATE=utf8mb4_unicode_ci;")


# -- what goes where -------------------------------------------------------------------------

def link_only(item: ExportItem, max_other_words: int = 12) -> tuple[str, str] | None:
    """(url, the words around it) when the story's whole text is a pointer elsewhere."""
    chapters = item.story.chapters
    # A pointer is a line or two: skip the regular expressions for every real story.
    if not chapters or sum(len(c.text) for c in chapters) > 2_000:
        return None
    text = "\n".join(c.text for c in chapters).strip()
    html = " ".join(c.html or "" for c in chapters)
    urls = list(dict.fromkeys(_URL.findall(text)))
    if not urls:
        urls = list(dict.fromkeys(re.findall(r'href="(https?://[^"]+)"', html, re.IGNORECASE)))
    if len(urls) != 1:
        return None
    rest = _URL.sub(" ", text)
    if len(rest.split()) > max_other_words:
        return None
    return urls[0].rstrip(".,;)"), " ".join(rest.split())


def _datetime(value: str | None) -> str | None:
    return f"{value} 00:00:00" if value and _ISO_DATE.match(value) else None


def _import_notes(item: ExportItem, duplicates: list[str], extra: list[str]) -> str:
    s = item.story
    lines = [f"fanarchive id: {item.uid}"]
    if not s.authors:
        lines.append("No author is known for this story.")
    for label, value in (("Disclaimer", s.disclaimer), ("Epigraph", s.epigraph),
                         ("Status", s.status)):
        if value:
            lines.append(f"{label}: {value}")
    if s.series:
        part = f", part {s.series.part}" if s.series.part else ""
        part += f" of {s.series.of}" if s.series.of else ""
        lines.append(f"Series: {s.series.title}{part}")
    for value, label in ((s.published, "Published"), (s.updated, "Updated")):
        if value and not _ISO_DATE.match(value):
            lines.append(f"{label} (not a full date): {value}")
    lines += extra
    lines += [f"Possible duplicate: {d}" for d in duplicates]
    for src in item.sightings:
        lines.append(f"Source: {src.url or src.path or src.locator} ({src.parser or 'unknown'})")
    for flag in s.quality_flags:
        lines.append(f"Quality flag {flag.code}" + (f": {flag.detail}" if flag.detail else ""))
    if item.revisions:
        last = item.revisions[-1]
        lines.append(f"Revisions: {len(item.revisions)}, last {last.created_at:%Y-%m-%d}"
                     f" ({last.summary})")
    return "\n".join(lines)


def _chapter_notes(notes: str | None, end_notes: str | None) -> str | None:
    if not end_notes:
        return notes
    return f"{notes}\n\nEnd notes:\n{end_notes}" if notes else f"End notes:\n{end_notes}"


@dataclass
class Counts:
    stories: int = 0
    story_links: int = 0
    chapters: int = 0
    authors: int = 0
    tags: int = 0


Rows = list[tuple[str, dict[str, Any]]]


class RowBuilder:
    """Turns stories into Open Doors rows, numbering them and sharing authors and tags."""

    def __init__(self, duplicates: Callable[[int], list[str]] | None = None) -> None:
        self._duplicates = duplicates or (lambda _id: [])
        self._authors: dict[tuple[str, str], int] = {}
        self._tags: dict[tuple[str, str, str], int] = {}
        self._next = dict.fromkeys(TABLES, 1)
        self.counts = Counts()

    def _id(self, table_name: str) -> int:
        value = self._next[table_name]
        self._next[table_name] = value + 1
        return value

    def rows(self, item: ExportItem) -> Rows:
        s = item.story
        out: Rows = []
        link = link_only(item)
        kind = "story_link" if link else "story"
        item_table = "story_links" if link else "stories"
        item_id = self._id(item_table)
        extra = [f"Text around the link: {link[1]}"] if link and link[1] else []
        row: dict[str, Any] = {
            "id": item_id, "title": s.title or "", "summary": s.summary, "notes": s.notes,
            "date": _datetime(s.published), "updated": _datetime(s.updated),
            "categories": ", ".join(s.categories), "tags": ", ".join(s.tags),
            "warnings": ", ".join(s.warnings), "fandoms": ", ".join(s.fandoms),
            "characters": ", ".join(s.characters), "relationships": ", ".join(s.relationships),
            "language_code": s.language, "url": link[0] if link else item.url,
            "imported": 0, "do_not_import": 0, "ao3_url": None,
            "import_notes": _import_notes(item, self._duplicates(item.story_id), extra),
            "rating": s.rating.canonical,
        }
        if link:
            row["broken_link"] = 0
            self.counts.story_links += 1
        else:
            self.counts.stories += 1
        out.append((item_table, row))
        for author in s.authors:
            key = (author.name.casefold(), (author.email or "").casefold())
            author_id = self._authors.get(key)
            if author_id is None:
                author_id = self._authors[key] = self._id("authors")
                self.counts.authors += 1
                out.append(("authors", {"id": author_id, "name": author.name,
                                        "email": author.email or "", "imported": 0,
                                        "do_not_import": 0, "to_delete": 0}))
            out.append(("item_authors", {"id": self._id("item_authors"), "author_id": author_id,
                                         "item_id": item_id, "item_type": kind}))
        triples = [*tag_triples(s), ("rating", s.rating.raw or s.rating.canonical,
                                     s.rating.canonical)]
        for triple in dict.fromkeys(triples):
            tag_id = self._tags.get(triple)
            if tag_id is None:
                tag_id = self._tags[triple] = self._id("tags")
                self.counts.tags += 1
                tag_type, raw, canonical = triple
                fandom = (s.fandoms[0] if len(s.fandoms) == 1
                          and tag_type in ("character", "relationship") else None)
                out.append(("tags", {
                    "id": tag_id, "original_tagid": tag_id, "original_tag": raw,
                    "original_type": tag_type, "original_parent": None,
                    "original_description": None, "ao3_tag": canonical,
                    "ao3_tag_type": TAG_COLUMNS.get(tag_type, "tags"), "ao3_tag_category": None,
                    "ao3_tag_fandom": fandom}))
            out.append(("item_tags", {"id": self._id("item_tags"), "item_id": item_id,
                                      "item_type": kind, "tag_id": tag_id}))
        if link:
            return out
        for chapter in s.chapters:
            body = chapter_html(chapter)
            if len(body.encode("utf-8")) > MEDIUMTEXT_BYTES:
                raise UsageError(f"story {item.uid} ({s.title!r}) chapter {chapter.position} "
                                 "is larger than a MySQL MEDIUMTEXT (16 MiB)")
            self.counts.chapters += 1
            out.append(("chapters", {
                "id": self._id("chapters"), "position": chapter.position,
                "title": chapter.title or "", "text": body, "date": None, "story_id": item_id,
                "notes": _chapter_notes(chapter.notes, chapter.end_notes), "url": None}))
        return out


def duplicate_finder(store: Store) -> Callable[[int], list[str]]:
    """Near-duplicate links of a story, described with the other story's fanarchive id.

    All links are read once up front: they are few next to the stories, and one query beats
    one per story.
    """
    other = table_of(StoryRow).alias("other")
    found: dict[int, list[str]] = defaultdict(list)
    mine = table_of(StoryRow).alias("mine")
    for story_id, other_id, kind, score, status, mine_uid, other_uid in store.session.execute(
            select(StoryLink.story_id, StoryLink.other_id, StoryLink.kind, StoryLink.score,
                   StoryLink.status, mine.c.uid, other.c.uid)
            .join(mine, mine.c.id == StoryLink.story_id)
            .join(other, other.c.id == StoryLink.other_id)
            .order_by(StoryLink.id)):
        found[story_id].append(f"fanarchive id {other_uid} ({kind}, score {score:.2f}, {status})")
        found[other_id].append(f"fanarchive id {mine_uid} ({kind}, score {score:.2f}, {status})")
    return lambda story_id: found.get(story_id, [])


# -- where the rows go -----------------------------------------------------------------------

class SqlFileSink:
    """Multi-row INSERT statements, each kept well under the server's packet limit."""

    def __init__(self, fh: IO[str]) -> None:
        self._fh = fh
        self._pending: dict[str, list[str]] = {name: [] for name in TABLES}
        self._sizes = dict.fromkeys(TABLES, 0)

    def add(self, rows: Rows) -> None:
        for name, row in rows:
            values = "(" + ",".join(literal(row[c]) for c, _ in TABLES[name]) + ")"
            if self._sizes[name] + len(values) > _STATEMENT_BYTES:
                self._flush(name)
            self._pending[name].append(values)
            self._sizes[name] += len(values) + 2

    def _flush(self, name: str) -> None:
        if not self._pending[name]:
            return
        cols = ", ".join(identifier(c) for c, _ in TABLES[name])
        self._fh.write(f"INSERT INTO {identifier(name)} ({cols}) VALUES\n")
        self._fh.write(",\n".join(self._pending[name]))
        self._fh.write(";\n")
        self._pending[name] = []
        self._sizes[name] = 0

    def close(self) -> None:
        for name in TABLES:
            self._flush(name)


class DatabaseSink:
    """Batched executemany inserts into the staging tables of a live database."""

    def __init__(self, conn: Connection, prefix: str, batch_rows: int = 500) -> None:
        self._conn = conn
        self._tables = {name: table(prefix + name, *[column(c) for c, _ in cols])
                        for name, cols in TABLES.items()}
        self._pending: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self._sizes = dict.fromkeys(TABLES, 0)
        self._batch_rows = batch_rows

    def add(self, rows: Rows) -> None:
        for name, row in rows:
            self._pending[name].append(row)
            self._sizes[name] += sum(len(v) for v in row.values() if isinstance(v, str))
            if (len(self._pending[name]) >= self._batch_rows
                    or self._sizes[name] > _STATEMENT_BYTES):
                self._flush(name)

    def _flush(self, name: str) -> None:
        if self._pending[name]:
            self._conn.execute(insert(self._tables[name]), self._pending[name])
            self._pending[name] = []
            self._sizes[name] = 0

    def close(self) -> None:
        for name in TABLES:
            self._flush(name)


def _fill(sink: SqlFileSink | DatabaseSink, items: Iterable[ExportItem], builder: RowBuilder,
          on_record: Callable[[], None] | None) -> int:
    count = 0
    for item in items:
        sink.add(builder.rows(item))
        count += 1
        if on_record:
            on_record()
    sink.close()
    return count


# -- entry points ----------------------------------------------------------------------------

def write(store: Store, options: Any, output: Path,
          on_record: Callable[[], None] | None = None) -> int:
    """The working tables as a ``.sql`` file to load with ``mysql DATABASE < FILE``."""
    builder = RowBuilder(duplicate_finder(store))
    with atomic_text(output) as fh:
        fh.write("-- Open Doors working tables written by fanarchive.\n"
                 "-- Load into an existing database: mysql -h HOST -u USER DATABASE < FILE\n"
                 "SET NAMES utf8mb4;\n"
                 "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';\n"
                 "SET FOREIGN_KEY_CHECKS = 0;\n")
        for name in TABLES:
            fh.write(f"DROP TABLE IF EXISTS {identifier(name)};\n{create_table_sql(name)}\n")
        fh.write("START TRANSACTION;\n")
        count = _fill(SqlFileSink(fh), iter_items(store, options), builder, on_record)
        c = builder.counts
        fh.write(f"COMMIT;\n-- {c.stories} stories, {c.story_links} story links, "
                 f"{c.chapters} chapters, {c.authors} authors, {c.tags} tags\n")
    return count


def write_database(store: Store, options: Any, url: str,
                   on_record: Callable[[], None] | None = None) -> int:
    """Replace the working tables in the MySQL/MariaDB database ``url`` in one swap.

    Rows go into staging tables first; one ``RENAME TABLE`` (atomic in MySQL and MariaDB)
    then puts all seven in place, so readers see the old tables or the new ones, never half.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UsageError(f"--to {url!r} is not a database URL") from exc
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() not in ("mysql", "mariadb"):
        raise UsageError(f"--to {shown}: Open Doors tables go to MySQL or MariaDB "
                         "(mysql+pymysql://user@host/database)")
    if not parsed.database:
        raise UsageError(f"--to {shown}: name the database in the URL")
    engine = create_engine(parsed, connect_args={"charset": "utf8mb4"})
    builder = RowBuilder(duplicate_finder(store))
    try:
        with engine.connect() as conn:
            conn.execute(text("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'"))
            _refuse_foreign_tables(conn, shown)
            for name in TABLES:
                conn.execute(text(f"DROP TABLE IF EXISTS {identifier(_STAGING + name)}"))
                conn.execute(text(create_table_sql(_STAGING + name, name)))
            count = _fill(DatabaseSink(conn, _STAGING), iter_items(store, options), builder,
                          on_record)
            conn.commit()
            _swap(conn)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise UsageError(f"cannot write Open Doors tables to {shown}: {reason}") from exc
    finally:
        engine.dispose()
    return count


def _refuse_foreign_tables(conn: Connection, shown: str) -> None:
    """Replacing tables is only for Open Doors tables: a ``stories`` table of some other
    application in the same database must not be dropped by a mistyped URL."""
    found: dict[str, set[str]] = defaultdict(set)
    for table_name, column_name in conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = DATABASE()")):
        found[str(table_name)].add(str(column_name).lower())
    for name, cols in TABLES.items():
        if name not in found:
            continue
        ours = {c for c, _ in cols}
        if len(found[name] & ours) * 2 <= len(ours):
            raise UsageError(f"--to {shown}: table {name!r} exists and is not an Open Doors "
                             "table; use a database of its own for the Open Doors tables")


def _swap(conn: Connection) -> None:
    existing = set(conn.execute(text("SHOW TABLES")).scalars())
    renames = []
    for name in TABLES:
        if name in existing:
            conn.execute(text(f"DROP TABLE IF EXISTS {identifier(_RETIRED + name)}"))
            renames.append(f"{identifier(name)} TO {identifier(_RETIRED + name)}")
        renames.append(f"{identifier(_STAGING + name)} TO {identifier(name)}")
    conn.execute(text("RENAME TABLE " + ", ".join(renames)))
    for name in TABLES:
        if name in existing:
            conn.execute(text(f"DROP TABLE {identifier(_RETIRED + name)}"))
    conn.commit()

