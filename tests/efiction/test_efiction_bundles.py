"""Story bundles from eFiction dumps, checked against the dump's own rows."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from efiction_helpers import DUMP, STORIES, as_text, dump_text, naive_rows, site_copy

from fanarchive.document import Document
from fanarchive.errors import ItemError, UsageError
from fanarchive.sources.efiction_db import (
    MEDIA_TYPE,
    EfictionDatabase,
    EfictionDump,
    iter_bundle_documents,
    iter_bundles,
    split_table_name,
)

PRESENT = {"1": "2/1.txt", "3": "4/3.txt", "4": "4/4.txt", "51": "2/51.txt", "52": "2/52.txt",
           "53": "2/53.txt", "4265": "5/4265.txt", "4290": "2/4290.txt"}


@pytest.fixture(scope="module")
def bundles() -> dict[str, dict[str, Any]]:
    return {b["sid"]: b for b in iter_bundles(DUMP)}


def _rows(table: str) -> list[dict[str, Any]]:
    return naive_rows(dump_text(), f"fanfiction_{table}")


def _without_source(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in b.items() if k != "source"} for b in found]


def test_split_table_name() -> None:
    assert split_table_name("fanfiction_stories") == ("fanfiction_", "stories")
    assert split_table_name("efic_inseries") == ("efic_", "inseries")
    assert split_table_name("site_fanfiction_coauthors") == ("site_fanfiction_", "coauthors")
    assert split_table_name("stories") == ("", "stories")
    assert split_table_name("fanfiction_favstories") is None
    assert split_table_name("fanfiction_reviews") is None


def test_every_story_resolved_against_the_dump_rows(bundles: dict[str, dict[str, Any]]) -> None:
    stories = _rows("stories")
    assert sorted(bundles, key=int) == [str(s["sid"]) for s in stories]
    assert len(bundles) == 15
    authors = {r["uid"]: r for r in _rows("authors")}
    ratings = {r["rid"]: r["rating"] for r in _rows("ratings")}
    categories = {r["catid"]: r for r in _rows("categories")}
    characters = {r["charid"]: r["charname"] for r in _rows("characters")}
    classes = {r["class_id"]: r for r in _rows("classes")}
    classtypes = {r["classtype_id"]: r for r in _rows("classtypes")}
    series = {r["seriesid"]: r["title"] for r in _rows("series")}
    inseries = _rows("inseries")
    for story in stories:
        bundle = bundles[str(story["sid"])]
        assert bundle["story"] == {k: as_text(v) for k, v in story.items()}
        author = authors[story["uid"]]
        assert [(a["uid"], a["penname"], a["email"]) for a in bundle["authors"]] == [
            (str(author["uid"]), author["penname"], author["email"])]
        assert bundle["rating"] == {"rid": story["rid"], "name": ratings[int(story["rid"])]}
        expected_categories = []
        for catid in map(int, story["catid"].split(",")):
            row = categories[catid]
            parent = categories.get(row["parentcatid"])
            expected_categories.append({"catid": str(catid), "name": row["category"],
                                        "parent": parent["category"] if parent else None})
        assert bundle["categories"] == expected_categories
        assert bundle["characters"] == [{"charid": c, "name": characters[int(c)]}
                                        for c in story["charid"].split(",")]
        groups: dict[str, list[str]] = {}
        for class_id in map(int, story["classes"].split(",")):
            ctype = classtypes[classes[class_id]["class_type"]]["classtype_name"]
            groups.setdefault(ctype, []).append(classes[class_id]["class_name"])
        assert {g["type"]: g["values"] for g in bundle["classes"]} == groups
        assert bundle["series"] == [
            {"seriesid": str(r["seriesid"]), "title": series[r["seriesid"]],
             "position": r["inorder"]}
            for r in inseries if r["sid"] == story["sid"]]
        assert bundle["site"]["name"] == "Efiction Test"
        assert bundle["layout"] == "3" and bundle["efiction_version"] == "3.5.3"


def test_specific_values_from_the_readme(bundles: dict[str, dict[str, Any]]) -> None:
    bacon = bundles["1"]
    assert bacon["story"]["title"] == "Bacon ipsum"
    assert bacon["story"]["summary"] == "&nbsp;<p> &nbsp;</p>Meat-related text."
    assert bacon["rating"]["name"] == "Teen"
    assert bacon["authors"][0]["penname"] == "B Author 2"
    assert bacon["classes"] == [{"type": "genres", "title": "Genres",
                                 "values": ["Angst", "Drama", "Hurt/Comfort", "Smarm"]}]
    assert [c["name"] for c in bacon["characters"]] == ["Bob Billson", "Bill O'Connell"]
    assert bacon["story"]["date"] == "2006-02-09 22:21:35"
    assert bundles["835"]["classes"][1] == {"type": "warnings", "title": "Warnings",
                                            "values": ["Adult Themes"]}
    assert bundles["3721"]["classes"][1]["values"] == ["Violence"]
    assert bundles["3745"]["categories"] == [{"catid": "27", "name": "Bob/Don",
                                              "parent": "Het Pairings"}]
    assert [(s["title"], s["position"]) for s in bundles["838"]["series"]] == [("Windows 1252", 2)]
    assert [(s["title"], s["position"]) for s in bundles["3721"]["series"]] == [
        ("Japanese series", 5)]


def test_coauthors_from_the_column_and_the_table(bundles: dict[str, dict[str, Any]]) -> None:
    def coauthors(sid: str) -> list[tuple[str, str, list[str]]]:
        return [(c["uid"], c["penname"], c["via"]) for c in bundles[sid]["coauthors"]]

    assert coauthors("1") == [("3", "C Author 3", ["column"]),
                              ("5", "E Author 5", ["column", "table"])]
    assert coauthors("108") == [("5", "E Author 5", ["table"])]
    # "1" in the column is eFiction 3's "has co-authors" flag, not uid 1.
    for sid in ("3519", "3721", "3745", "3785", "4035", "3", "50"):
        assert coauthors(sid) == [], sid
    assert any("coauthors flag" in n for n in bundles["3721"]["notes"])


def test_chapters_in_order_with_text_or_a_missing_file_problem(
        bundles: dict[str, dict[str, Any]]) -> None:
    chapter_rows = _rows("chapters")
    assert sum(len(b["chapters"]) for b in bundles.values()) == len(chapter_rows) == 17
    for sid, bundle in bundles.items():
        mine = sorted((r for r in chapter_rows if str(r["sid"]) == sid),
                      key=lambda r: (r["inorder"], r["chapid"]))
        assert [c["chapid"] for c in bundle["chapters"]] == [str(r["chapid"]) for r in mine]
        assert [c["position"] for c in bundle["chapters"]] == list(range(1, len(mine) + 1))
        missing = {p["chapid"]: p for p in bundle["problems"] if p["code"] == "missing-chapter"}
        for chapter, row in zip(bundle["chapters"], mine, strict=True):
            assert chapter["title"] == row["title"]
            assert chapter["row"]["notes"] == row["notes"]
            assert chapter["row"]["endnotes"] == row["endnotes"]
            if chapter["chapid"] in PRESENT:
                assert chapter["file"] == f"storiesef/{PRESENT[chapter['chapid']]}"
                raw = (STORIES / PRESENT[chapter["chapid"]]).read_bytes()
                assert base64.b64decode(chapter["file_base64"]) == raw  # kept raw, BOM and all
                assert chapter["text_source"] == "file"
            else:
                problem = missing[chapter["chapid"]]
                assert problem["path"] == f"storiesef/{row['uid']}/{row['chapid']}.txt"
                assert chapter["chapid"] in problem["detail"]
                assert problem["path"] in problem["detail"]
                assert chapter["file_base64"] is None
    titles = [c["title"] for c in bundles["51"]["chapters"]]
    assert titles == ["Chapter 1", "Chapter 3", "Chapter 2"]
    bom_chapter = bundles["3745"]["chapters"][0]
    assert base64.b64decode(bom_chapter["file_base64"]).startswith(b"\xef\xbb\xbf")
    assert bundles["4"]["chapters"] == []
    assert bundles["4"]["problems"] == [{"code": "no-chapters",
                                         "detail": "story 4 has no chapters"}]
    assert sum(p["code"] == "missing-chapter" for b in bundles.values() for p in b["problems"]) == 9


def test_bundles_are_plain_json(bundles: dict[str, dict[str, Any]]) -> None:
    for bundle in bundles.values():
        assert json.loads(json.dumps(bundle)) == bundle


def test_documents(tmp_path: Path) -> None:
    items = list(iter_bundle_documents(DUMP))
    assert all(isinstance(i, Document) for i in items) and len(items) == 15
    first = items[0]
    assert isinstance(first, Document)
    assert first.locator == "efiction.sql#sid=1"
    assert first.media_type == MEDIA_TYPE
    assert first.path == str(DUMP)
    assert json.loads(first.content)["story"]["title"] == "Bacon ipsum"


def test_truncated_dump_keeps_complete_stories_and_reports_the_cut(tmp_path: Path) -> None:
    sql = dump_text()
    cut = sql.index("(3745, 'Accented lorem ipsum'") + 20
    line = sql.count("\n", 0, cut) + 1
    items = list(iter_bundle_documents(site_copy(tmp_path, sql[:cut])))
    documents = [i for i in items if isinstance(i, Document)]
    errors = [i for i in items if isinstance(i, ItemError)]
    sids = [json.loads(d.content)["sid"] for d in documents]
    assert sids == ["1", "3", "4", "50", "51", "54", "108", "741", "835", "838", "3519", "3721"]
    assert [(e.code, e.locator) for e in errors] == [("truncated", f"efiction.sql:{line}"),
                                                      ("orphan-chapters", "efiction.sql")]
    assert "fanfiction_stories" in errors[0].reason and "truncated" in errors[0].reason
    assert "3745, 3785, 4035" in errors[1].reason
    japanese = json.loads(documents[-1].content)
    assert japanese["chapters"][0]["file"] == "storiesef/5/4265.txt"


def test_broken_escape_loses_one_story_and_names_its_line(tmp_path: Path) -> None:
    sql = dump_text()
    broken = sql.replace("'Zombie-related lorem ipsum.'", "'Zombie-related lorem ipsum.\\'")
    line = sql.count("\n", 0, sql.index("(3785, 'Zombies'")) + 1
    items = list(iter_bundle_documents(site_copy(tmp_path, broken)))
    sids = [json.loads(i.content)["sid"] for i in items if isinstance(i, Document)]
    assert "3785" not in sids and "4035" in sids and len(sids) == 14
    errors = [i for i in items if isinstance(i, ItemError)]
    assert errors[0].code == "dump-syntax" and errors[0].locator == f"efiction.sql:{line}"
    assert "fanfiction_stories" in errors[0].reason


def test_unknown_tables_change_nothing(tmp_path: Path, bundles: dict[str, dict[str, Any]]) -> None:
    extra = ("CREATE TABLE `wp_posts` (`ID` int, `post_title` text);\n"
             "INSERT INTO `wp_posts` VALUES (1, 'Hello; world'), (2, 'it''s');\n"
             "CREATE TABLE `forum_warnings` (`wid` int, `warning` text);\n"
             "INSERT INTO `forum_warnings` VALUES (1, 'not eFiction');\n")
    sql = dump_text().replace("# Dump of table fanfiction_authorfields", extra + "#", 1)
    found = list(iter_bundles(site_copy(tmp_path, sql)))
    assert _without_source(found) == _without_source(list(bundles.values()))


@pytest.mark.parametrize("prefix", ["efic_", "mysite_fanfiction_", ""])
def test_other_table_prefixes(tmp_path: Path, prefix: str,
                              bundles: dict[str, dict[str, Any]]) -> None:
    sql = dump_text().replace("fanfiction_", prefix)
    with EfictionDump(site_copy(tmp_path, sql)) as archive:
        assert archive.prefixes == [prefix]
        found = list(archive.bundles())
    assert found[0]["source"]["prefix"] == prefix
    assert _without_source(found) == _without_source(list(bundles.values()))


def test_two_installs_in_one_dump(tmp_path: Path) -> None:
    sql = dump_text()
    second = sql.replace("fanfiction_", "old_").replace("'Efiction Test'", "'Old Site'")
    path = site_copy(tmp_path, sql + "\n" + second)
    with EfictionDump(path) as archive:
        assert archive.prefixes == ["fanfiction_", "old_"]
        sites = [b["site"]["name"] for b in archive.bundles()]
    assert sites.count("Efiction Test") == sites.count("Old Site") == 15
    only_old = list(iter_bundles(path, prefix="old_"))
    assert {b["site"]["name"] for b in only_old} == {"Old Site"} and len(only_old) == 15
    locators = [i.locator for i in iter_bundle_documents(path) if isinstance(i, Document)]
    assert "efiction.sql#old_sid=1" in locators and "efiction.sql#fanfiction_sid=1" in locators
    with pytest.raises(UsageError, match="no eFiction tables with prefix 'nope_'"):
        EfictionDump(path, prefix="nope_")


def test_eficton_backup_without_create_table_or_column_lists(
        tmp_path: Path, bundles: dict[str, dict[str, Any]]) -> None:
    sql = dump_text()
    for table in ("stories", "chapters", "authors"):
        sql = re.sub(rf"CREATE TABLE `fanfiction_{table}`.*?;\n", "", sql, flags=re.S)
        sql = re.sub(rf"(INSERT INTO `fanfiction_{table}`) \(.*?\)\s*VALUES", r"\1 VALUES", sql,
                     flags=re.S)
    assert "(`sid`, `title`" not in sql
    found = list(iter_bundles(site_copy(tmp_path, sql)))
    assert _without_source(found) == _without_source(list(bundles.values()))


def test_gzip_dump_and_explicit_stories_dir(tmp_path: Path,
                                            bundles: dict[str, dict[str, Any]]) -> None:
    target = tmp_path / "elsewhere" / "site.sql.gz"
    target.parent.mkdir()
    target.write_bytes(gzip.compress(DUMP.read_bytes()))
    found = list(iter_bundles(target, stories_dir=STORIES))
    assert found[0]["source"]["identity"] == "site"
    assert _without_source(found) == _without_source(list(bundles.values()))


def test_no_chapter_folder_makes_every_file_chapter_missing(tmp_path: Path) -> None:
    lonely = tmp_path / "efiction.sql"
    lonely.write_bytes(DUMP.read_bytes())
    found = list(iter_bundles(lonely))
    problems = [p for b in found for p in b["problems"] if p["code"] == "missing-chapter"]
    assert len(problems) == 17
    assert "no chapter folder was found" in problems[0]["detail"]


# --- other layouts ------------------------------------------------------------------------


_V3_DB_TEXT = """SET NAMES latin1;
CREATE TABLE `fanfiction_authors` (`uid` int, `penname` varchar(200), `email` varchar(200))
  DEFAULT CHARSET=latin1;
INSERT INTO `fanfiction_authors` VALUES (7,'Kumiko','k@example.jp');
CREATE TABLE `fanfiction_settings` (`sitekey` varchar(50), `sitename` varchar(200),
  `store` varchar(5)) DEFAULT CHARSET=latin1;
INSERT INTO `fanfiction_settings` VALUES ('k','Mysql Site','mysql');
CREATE TABLE `fanfiction_chapters` (`chapid` int, `title` varchar(250), `inorder` int,
  `notes` text, `storytext` text, `endnotes` text, `sid` int, `uid` int) DEFAULT CHARSET=latin1;
INSERT INTO `fanfiction_chapters` VALUES
  (1,'Ichi',1,'','JAPANESE<br />Line two.','',1,7),
  (2,'Ni',2,'','','',1,7);
CREATE TABLE `fanfiction_stories` (`sid` int, `title` varchar(200), `summary` text,
  `uid` int, `rid` varchar(25), `classes` varchar(200)) DEFAULT CHARSET=latin1;
INSERT INTO `fanfiction_stories` VALUES (1,'Caf\xe9 story','S',7,'9','');
"""


def test_database_text_in_a_latin1_dump(tmp_path: Path) -> None:
    japanese = "日本語の本文"
    sql = _V3_DB_TEXT.encode("latin-1").replace(b"JAPANESE", japanese.encode("utf-8"))
    (bundle,) = iter_bundles(site_copy(tmp_path, sql))
    first, second = bundle["chapters"]
    assert first["text"] == f"{japanese}<br />Line two." and first["text_source"] == "database"
    assert bundle["story"]["title"] == "Café story"
    assert "chapter 1 storytext: valid UTF-8 although latin1 is declared; read as UTF-8" in (
        bundle["notes"])
    assert [p["code"] for p in bundle["problems"]] == ["unresolved", "missing-chapter"]
    assert bundle["problems"][0]["detail"] == "rating id 9 is not in the ratings table"
    # The site keeps text in MySQL, so an empty chapter is not a missing file.
    assert bundle["problems"][1]["path"] == "" and "empty" in bundle["problems"][1]["detail"]


_V2 = """
CREATE TABLE `fanfiction_authors` (`uid` int, `penname` varchar(200), `email` varchar(200));
INSERT INTO `fanfiction_authors` VALUES (1,'Twopointoh','two@example.com');
CREATE TABLE `fanfiction_characters` (`charid` int, `catid` int, `charname` varchar(60));
INSERT INTO `fanfiction_characters` VALUES (1,-1,'Bill'),(2,-1,'Bob');
CREATE TABLE `fanfiction_genres` (`gid` int, `genre` varchar(60));
INSERT INTO `fanfiction_genres` VALUES (1,'Angst'),(2,'Humor');
CREATE TABLE `fanfiction_warnings` (`wid` int, `warning` varchar(60));
INSERT INTO `fanfiction_warnings` VALUES (1,'Violence');
CREATE TABLE `fanfiction_ratings` (`rid` int, `rating` varchar(60));
INSERT INTO `fanfiction_ratings` VALUES (1,'PG'),(2,'R');
CREATE TABLE `fanfiction_chapters` (`chapid` int, `title` varchar(250), `inorder` int,
  `notes` text, `storytext` text, `sid` int, `uid` int);
INSERT INTO `fanfiction_chapters` VALUES (5,'One',1,'n','Text.',3,1);
CREATE TABLE `fanfiction_stories` (`sid` int, `title` varchar(200), `summary` text,
  `catid` varchar(100), `gid` varchar(250), `wid` varchar(250), `charid` varchar(250),
  `rid` varchar(25), `uid` int, `completed` char(1));
INSERT INTO `fanfiction_stories` VALUES (3,'Two','S','','Angst,2','Violence','Bob,Bill','R',1,'0');
"""


def test_efiction_2_names_in_story_columns(tmp_path: Path) -> None:
    (bundle,) = iter_bundles(site_copy(tmp_path, _V2))
    assert bundle["layout"] == "2"
    assert bundle["classes"] == [
        {"type": "genres", "title": "Genres", "values": ["Angst", "Humor"]},
        {"type": "warnings", "title": "Warnings", "values": ["Violence"]},
    ]
    assert [c["name"] for c in bundle["characters"]] == ["Bob", "Bill"]
    assert bundle["rating"] == {"rid": "2", "name": "R"}
    assert bundle["chapters"][0]["text"] == "Text."
    assert bundle["problems"] == []


_V1 = """
CREATE TABLE `fanfiction_authors` (`uid` int, `penname` varchar(200), `email` varchar(200));
INSERT INTO `fanfiction_authors` VALUES (1,'Old Timer','old@example.com');
CREATE TABLE `fanfiction_stories` (`sid` int, `psid` int, `title` varchar(200),
  `chapter` varchar(200), `inorder` int, `summary` text, `storytext` text, `catid` int,
  `gid` varchar(250), `wid` varchar(250), `charid` varchar(250), `rid` varchar(25), `uid` int);
INSERT INTO `fanfiction_stories` VALUES
  (11,10,'Old Story','Middle',1,'Sum','Second text.',0,'Angst','','','PG',1),
  (10,10,'Old Story','Beginning',0,'Sum','First text.',0,'Angst','','','PG',1),
  (12,12,'File Story','Only',0,'Sum2','',0,'','','','R',1);
"""


def test_efiction_1_chapters_are_story_rows(tmp_path: Path) -> None:
    path = site_copy(tmp_path, _V1)
    (path.parent / "stories" / "Old Timer").mkdir(parents=True)
    (path.parent / "stories" / "Old Timer" / "12.txt").write_bytes(b"From the file.")
    first, second = iter_bundles(path)
    assert first["layout"] == "1"
    assert [(c["chapid"], c["title"], c["text"]) for c in first["chapters"]] == [
        ("10", "Beginning", "First text."), ("11", "Middle", "Second text.")]
    assert "storytext" not in first["story"]
    assert first["rating"] == {"rid": None, "name": "PG"}
    assert first["classes"] == [{"type": "genres", "title": "Genres", "values": ["Angst"]}]
    assert second["chapters"][0]["file"] == "stories/Old Timer/12.txt"
    assert base64.b64decode(second["chapters"][0]["file_base64"]) == b"From the file."


def test_not_an_efiction_dump(tmp_path: Path) -> None:
    sql = "CREATE TABLE `wp_posts` (`id` int);\nINSERT INTO wp_posts VALUES (1);"
    path = site_copy(tmp_path, sql)
    items = list(iter_bundle_documents(path))
    assert [(type(i), getattr(i, "code", None)) for i in items] == [(ItemError, "not-efiction")]


def test_chapter_paths_cannot_leave_the_chapter_folder(tmp_path: Path) -> None:
    sql = _V2.replace("(5,'One',1,'n','Text.',3,1)", "(5,'One',1,'n','',3,'..')")
    path = site_copy(tmp_path, sql)
    (tmp_path / "5.txt").write_text("outside the chapter folder")  # storiesef/../5.txt
    (bundle,) = iter_bundles(path)
    assert bundle["chapters"][0]["file_base64"] is None
    assert bundle["problems"] == [{
        "code": "missing-chapter", "chapid": "5", "path": "storiesef/1/5.txt",
        "detail": "chapter 5 of story 3: storiesef/1/5.txt not found"}]


def test_live_reading_through_sqlalchemy_on_sqlite(tmp_path: Path,
                                                   bundles: dict[str, dict[str, Any]]) -> None:
    """The live-database path without a server: the dump's eFiction tables copied to SQLite."""
    import sqlite3

    from fanarchive.sources.sqldump import CreateTable, DumpReader, Row, open_dump

    db = sqlite3.connect(tmp_path / "site.sqlite3")
    with open_dump(DUMP) as stream:
        for event in DumpReader(stream, tables=lambda t: split_table_name(t) is not None):
            if isinstance(event, CreateTable) and split_table_name(event.name):
                db.execute(f"CREATE TABLE {event.name} ({', '.join(event.columns)})")
            elif isinstance(event, Row):
                marks = ", ".join("?" * len(event.values))
                db.execute(f"INSERT INTO {event.table} ({', '.join(event.values)}) "
                           f"VALUES ({marks})", list(event.values.values()))
    db.commit()
    db.close()
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    found = list(iter_bundles(url, stories_dir=STORIES))
    assert found[0]["source"]["kind"] == "database"
    assert _without_source(found) == _without_source(list(bundles.values()))


def test_unreachable_database_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="cannot read the eFiction database"):
        list(iter_bundles("mysql+pymysql://root@127.0.0.1:1/nothing"))
    with pytest.raises(UsageError, match="nonsense"):
        EfictionDatabase("nonsense://")
