"""Open Doors working tables: a .sql file loaded with the mysql client, and --to a database.

The round trip compares what MariaDB gives back with the stored stories, field by field.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from export_stories import (
    HOSTILE,
    empty_story,
    expected_text,
    fill,
    full_story,
    hostile_story,
    html_to_text,
    link_story,
    near_duplicates,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fanarchive.export import ExportOptions, export
from fanarchive.export.items import ExportItem
from fanarchive.export.mysql_literal import identifier, literal
from fanarchive.export.opendoors import TABLES, link_only
from fanarchive.export.sanitize import clean_html
from fanarchive.store.models import StoryRow
from fanarchive.store.store import Store
from fanarchive.story import Chapter, Story
from tests.databases import fresh_database

OPEN_DOORS_COLUMNS = {  # otwcode/open-doors-code test/test_data/test_working_tables.sql
    "authors": ["id", "name", "email", "imported", "do_not_import", "to_delete"],
    "chapters": ["id", "position", "title", "text", "date", "story_id", "notes", "url"],
    "item_authors": ["id", "author_id", "item_id", "item_type"],
    "item_tags": ["id", "item_id", "item_type", "tag_id"],
    "stories": ["id", "title", "summary", "notes", "date", "updated", "categories", "tags",
                "warnings", "fandoms", "characters", "relationships", "language_code", "url",
                "imported", "do_not_import", "ao3_url", "import_notes", "rating"],
    "story_links": ["id", "title", "summary", "notes", "rating", "date", "updated",
                    "categories", "tags", "warnings", "fandoms", "characters", "relationships",
                    "language_code", "url", "imported", "do_not_import", "ao3_url",
                    "broken_link", "import_notes"],
    "tags": ["id", "original_tagid", "original_tag", "original_type", "original_parent",
             "original_description", "ao3_tag", "ao3_tag_type", "ao3_tag_category",
             "ao3_tag_fandom"],
}
TAG_FIELDS = {"fandoms": "fandoms", "relationships": "relationships",
              "characters": "characters", "warnings": "warnings", "categories": "categories",
              "tags": "tags"}


def test_layout_is_open_doors_working_tables() -> None:
    assert {name: [c for c, _ in cols] for name, cols in TABLES.items()} == OPEN_DOORS_COLUMNS


def test_literals_escape_any_text() -> None:
    assert literal(None) == "NULL" and literal(3) == "3" and literal(True) == "1"
    assert literal("it's \\ \"x\"") == "'it\\'s \\\\ \\\"x\\\"'"
    assert literal("a\x00b\nc\rd\x1ae") == "'a\\0b\\nc\\rd\\Ze'"
    assert literal("🦊 %s") == "'🦊 %s'"
    with pytest.raises(ValueError):
        identifier("x`; DROP")


def _item(story: Story) -> ExportItem:
    return ExportItem(uid="u", story_id=1, story=story, sightings=[], row=StoryRow(id=1, uid="u"))


def test_link_only_stories_are_story_links() -> None:
    assert link_only(_item(link_story())) == ("http://author.example.net/fic.html",
                                              "Read it here:")
    html_link = Story(chapters=[Chapter(1, "Go read it", html='<a href="https://x.example/'
                                        'a">Go read it</a>', word_count=3)])
    assert link_only(_item(html_link)) == ("https://x.example/a", "Go read it")
    assert link_only(_item(full_story())) is None
    long_text = Story(chapters=[Chapter(1, "word " * 50 + "http://x.example/", word_count=51)])
    assert link_only(_item(long_text)) is None
    two = Story(chapters=[Chapter(1, "http://a.example/ http://b.example/", word_count=2)])
    assert link_only(_item(two)) is None


def _mysql_load(url: str, sql_file: Path) -> None:
    client = shutil.which("mysql") or shutil.which("mariadb")
    if client is None:
        if os.environ.get("CI"):
            pytest.fail("the mysql client is not installed")
        pytest.skip("the mysql client is not installed")
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["MYSQL_PWD"] = str(u.password)
    with sql_file.open("rb") as fh:
        done = subprocess.run(
            [client, "-h", u.host or "127.0.0.1", "-P", str(u.port or 3306),
             "-u", u.username or "root", u.database or ""],
            stdin=fh, capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode()


def read_back(url: str) -> dict[str, dict[str, Any]]:
    """Stories and story links as MariaDB returns them, keyed by title."""
    engine = create_engine(url, connect_args={"charset": "utf8mb4"})
    out: dict[str, dict[str, Any]] = {}
    try:
        with engine.connect() as conn:
            def rows(sql: str, **params: Any) -> list[Any]:
                return list(conn.execute(text(sql), params).mappings())

            for table, kind in (("stories", "story"), ("story_links", "story_link")):
                for row in rows(f"SELECT * FROM {table} ORDER BY id"):
                    record = dict(row)
                    record["kind"] = kind
                    record["authors"] = [(a["name"], a["email"]) for a in rows(
                        "SELECT a.name, a.email FROM item_authors ia JOIN authors a "
                        "ON a.id = ia.author_id WHERE ia.item_id = :id AND ia.item_type = :k "
                        "ORDER BY ia.id", id=row["id"], k=kind)]
                    tags: dict[str, list[str]] = defaultdict(list)
                    raw: dict[str, list[str]] = defaultdict(list)
                    for t in rows("SELECT t.* FROM item_tags it JOIN tags t ON t.id = it.tag_id "
                                  "WHERE it.item_id = :id AND it.item_type = :k ORDER BY it.id",
                                  id=row["id"], k=kind):
                        tags[t["ao3_tag_type"]].append(t["ao3_tag"])
                        raw[t["ao3_tag_type"]].append(t["original_tag"])
                    record["tag_lists"] = tags
                    record["raw_tags"] = raw
                    record["chapters"] = rows("SELECT * FROM chapters WHERE story_id = :id "
                                              "ORDER BY position", id=row["id"]) \
                        if kind == "story" else []
                    out[record["title"]] = record
    finally:
        engine.dispose()
    return out


def compare(store: Store, back: dict[str, dict[str, Any]]) -> None:
    """Every stored story against its row, field by field."""
    for row in store.iter_stories():
        s = store.load_story(row)
        got = back[s.title or ""]
        assert got["summary"] == s.summary, s.title
        assert got["notes"] == s.notes
        assert got["rating"] == s.rating.canonical
        assert got["raw_tags"]["rating"] == [s.rating.raw or s.rating.canonical]
        assert got["language_code"] == s.language
        assert got["authors"] == [(a.name, a.email or "") for a in s.authors]
        for column, field in TAG_FIELDS.items():
            assert list(dict.fromkeys(got["tag_lists"].get(column, []))) == getattr(s, field)
            assert got[column] == ", ".join(getattr(s, field))
        for column, value in (("date", s.published), ("updated", s.updated)):
            assert got[column] == (datetime.fromisoformat(value) if value else None)
        assert f"fanarchive id: {row.uid}" in got["import_notes"]
        if got["kind"] == "story_link":
            continue
        assert len(got["chapters"]) == len(s.chapters)
        for mine, theirs in zip(s.chapters, got["chapters"], strict=True):
            assert theirs["position"] == mine.position
            assert theirs["title"] == (mine.title or "")
            if mine.html:
                assert theirs["text"] == clean_html(mine.html)
            else:
                assert html_to_text(theirs["text"]) == expected_text(mine.text)


@pytest.mark.mariadb
def test_sql_file_loads_into_mariadb_and_equals_the_source(store: Store,
                                                           tmp_path: Path) -> None:
    fill(store, [full_story(), hostile_story(), link_story(), empty_story(), *near_duplicates()])
    sql_file = tmp_path / "opendoors.sql"
    assert export(store, "opendoors", sql_file, ExportOptions(revisions=True)) == 6
    assert "\x00" not in sql_file.read_text("utf-8")  # the mysql client refuses raw NUL
    with fresh_database("mariadb") as url:
        _mysql_load(url, sql_file)
        back = read_back(url)
    compare(store, back)
    assert sorted(back) == sorted(["The Long Night 0", hostile_story().title, "Offsite Fic",
                                   "Lost Words", "Copy One", "Copy Two"])
    hostile = back[hostile_story().title]
    assert hostile["summary"] == HOSTILE  # NUL, CR LF, Ctrl-Z, backslashes, emoji: exact
    assert "\x00" in hostile["summary"] and "🦊🏳️‍🌈" in hostile["summary"]
    assert hostile["raw_tags"]["tags"] == [HOSTILE[:60]]
    markup = hostile["chapters"][1]["text"].lower()
    assert "<script" not in markup and "onerror" not in markup and "evil.example" not in markup

    link = back["Offsite Fic"]
    assert link["kind"] == "story_link" and link["url"] == "http://author.example.net/fic.html"
    assert link["broken_link"] == 0 and "Text around the link: Read it here:" in \
        link["import_notes"]
    full = back["The Long Night 0"]
    notes = full["import_notes"]
    for line in ("Disclaimer: Not mine; Joss's.", "Epigraph: Out of the night that covers me.",
                 "Series: Winter, part 2 of 3", "Status: complete",
                 "Quality flag mojibake-repaired: fixed 3 sequences", "Revisions: 1"):
        assert line in notes
    assert full["chapters"][0]["notes"] == "Chapter one notes.\n\nEnd notes:\nSee you next time."
    assert full["raw_tags"]["rating"] == ["Strong PG13"]
    assert back["Lost Words"]["chapters"] == []
    one, two = back["Copy One"]["import_notes"], back["Copy Two"]["import_notes"]
    assert "Possible duplicate: fanarchive id" in one and "near-duplicate" in one
    assert "Possible duplicate: fanarchive id" in two


@pytest.mark.mariadb
def test_to_database_url_writes_and_replaces_the_tables(store: Store, sqlite_url: str,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    from fanarchive.cli import main

    fill(store, [full_story(), hostile_story(), link_story()])
    with fresh_database("mariadb") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE unrelated (id int)"))
        for _ in range(2):  # the second run replaces the first, it does not add to it
            assert main(["--db", sqlite_url, "export", "--format", "opendoors",
                         "--to", url]) == 0
        assert "Exported 3 stories to" in capsys.readouterr().out
        back = read_back(url)
        with engine.connect() as conn:
            tables = set(conn.execute(text("SHOW TABLES")).scalars())
            stories = conn.execute(text("SELECT COUNT(*) FROM stories")).scalar()
        engine.dispose()
    compare(store, back)
    assert stories == 2
    assert tables == {*TABLES, "unrelated"}  # no staging tables left behind


@pytest.mark.mariadb
def test_to_leaves_another_applications_tables_alone(store: Store, sqlite_url: str,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    from fanarchive.cli import main

    fill(store, [full_story()])
    with fresh_database("mariadb") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE authors (id int, name text, email text, bio text)"))
            conn.execute(text("INSERT INTO authors VALUES (1, 'Someone', 's@x', 'mine')"))
        assert main(["--db", sqlite_url, "export", "--format", "opendoors", "--to", url]) == 1
        assert "'authors' exists and is not an Open Doors table" in capsys.readouterr().err
        with engine.connect() as conn:
            assert conn.execute(text("SELECT bio FROM authors")).scalar() == "mine"
            assert set(conn.execute(text("SHOW TABLES")).scalars()) == {"authors"}
        engine.dispose()


def test_to_needs_mysql_and_opendoors(sqlite_url: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from fanarchive.cli import main

    assert main(["--db", sqlite_url, "export", "--format", "opendoors", "--to",
                 f"sqlite:///{tmp_path / 'x.db'}"]) == 1
    assert "MySQL or MariaDB" in capsys.readouterr().err
    assert main(["--db", sqlite_url, "export", "--format", "jsonl", "--to",
                 "mysql+pymysql://root@127.0.0.1/x"]) == 1
    assert "--to works with --format opendoors only" in capsys.readouterr().err
    assert main(["--db", sqlite_url, "export", "--format", "opendoors", "--to",
                 "mysql+pymysql://nobody:secret@127.0.0.1:1/x"]) == 1
    err = capsys.readouterr().err
    assert "cannot write Open Doors tables" in err and "secret" not in err


def test_filters_select_the_same_stories(store: Store, tmp_path: Path) -> None:
    fill(store, [full_story(), hostile_story()])
    out = tmp_path / "od.sql"
    assert export(store, "opendoors", out, ExportOptions(rating="Explicit")) == 1
    sql = out.read_text("utf-8")
    assert "-- 1 stories, 0 story links, 2 chapters" in sql
    assert "The Long Night" not in sql


def _nasty_strings(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    pool = list("\\'\"\x00\n\r\x1a\t%_`;-#/*") + ["\r\n", "🦊", "🏳️‍🌈", "é", "\u202e",
                                                     "\ufeff", "\uffff", "\U0010ffff", "𝕏"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 40)):
            if rng.random() < 0.6:
                parts.append(rng.choice(pool))
            else:  # any code point but the surrogates, which UTF-8 cannot carry
                cp = rng.choice([rng.randint(0x20, 0x7e), rng.randint(0x80, 0xd7ff),
                                 rng.randint(0xe000, 0x10ffff)])
                parts.append(chr(cp))
        out.append("".join(parts))
    return out


@pytest.mark.mariadb
def test_any_text_survives_the_sql_file(store: Store, tmp_path: Path) -> None:
    texts = _nasty_strings(200)
    fill(store, [Story(title=f"n{i}", summary=t, notes=t[::-1],
                       chapters=[Chapter(1, "x", title=t, word_count=1)])
                 for i, t in enumerate(texts)])
    sql_file = tmp_path / "nasty.sql"
    export(store, "opendoors", sql_file, ExportOptions())
    with fresh_database("mariadb") as url:
        _mysql_load(url, sql_file)
        engine = create_engine(url, connect_args={"charset": "utf8mb4"})
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT s.title, s.summary, s.notes, c.title AS ct FROM "
                                     "stories s JOIN chapters c ON c.story_id = s.id")).all()
        engine.dispose()
    got = {r.title: (r.summary, r.notes, r.ct) for r in rows}
    for i, t in enumerate(texts):
        assert got[f"n{i}"] == (t, t[::-1], t), i
