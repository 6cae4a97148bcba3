"""A static HTML archive and a directory of .txt files, crawled and imported end to end.

The static site chains a story's parts with "Next part" links and varies its label markup
(``<b>``, ``<strong>``, table cells) and charsets; the text site is Apache/nginx autoindex pages
over plain-text files in three encodings. Both are compared with the site model.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fanarchive.store.store import Store
from tests.crawl.test_crawl_support import (
    by_title,
    cli_config,
    cli_import,
    crawl,
    fandoms_of,
    mismatches,
    records,
    run_errors,
    visible_sids,
)
from tests.sites.launch import start_site
from tests.sites.server import ArchiveServer


@pytest.fixture(scope="module")
def static_archive(tmp_path_factory) -> Iterator[tuple[ArchiveServer, Store]]:
    """18 stories of up to 4 parts, imported by the ``fanarchive`` command (read-only)."""
    folder = tmp_path_factory.mktemp("static")
    site = start_site("static", stories=18, max_chapters=4)
    db = f"sqlite:///{folder / 'static.sqlite3'}"
    try:
        done = cli_import(db, site.url + "/", config=cli_config(folder))
        assert done.returncode == 0, done.stderr
        store = Store.open(db)
        yield site, store
        store.close()
    finally:
        site.stop()


@pytest.fixture(scope="module")
def txt_archive() -> Iterator[tuple[ArchiveServer, Store]]:
    """18 stories as text files behind autoindex pages, imported by the pipeline (read-only)."""
    site = start_site("txt", stories=18, max_chapters=4)
    try:
        store = Store.open("sqlite://")
        report = crawl(store, site.url + "/")
        assert report.crawl.complete and report.failed == 0, report.errors
        yield site, store
        store.close()
    finally:
        site.stop()


def _authors_match(found: list[str], penname: str) -> bool:
    # "Kai & Jun" is one pen name on both sites: one mailto link, one shared address.
    return found == [penname]


def _matched(site, store, problems: list[str]):  # noqa: ANN001, ANN202
    """(sid, expected, record) for each visible story found exactly once with the right
    authors; what does not match goes into ``problems``."""
    model = site.model
    found = by_title(records(store))
    for sid in visible_sids(model):
        want = model.expected(sid)
        hits = found.get(model.story(sid).title, [])
        if len(hits) != 1:
            problems.append(f"sid {sid}: {len(hits)} records")
            continue
        record = hits[0]
        authors = [a["name"] for a in record["authors"]]
        if not _authors_match(authors, want["author"]["penname"]):
            problems.append(f"sid {sid} authors {authors}")
        yield sid, want, record


def test_static_archive_titles_authors_ratings_and_joined_parts(static_archive) -> None:
    site, store = static_archive
    model = site.model
    found = by_title(records(store))
    problems: list[str] = []
    for sid, want, record in _matched(site, store, problems):
        # Every part, in order, joined from the "Next part" chain into one story.
        chapters = record["chapters"]
        if [c["text"] for c in chapters] != [c["text"] for c in want["chapters"]]:
            problems.append(f"sid {sid} chapters: {len(chapters)} of {len(want['chapters'])}")
        if len(chapters) > 1 and [c["title"] for c in chapters] != [
                c["title"] for c in want["chapters"]]:
            problems.append(f"sid {sid} part titles {[c['title'] for c in chapters]}")
        if len(chapters) == 1 and chapters[0]["title"] not in (None, model.story(sid).title):
            problems.append(f"sid {sid} one-part title {chapters[0]['title']!r}")
        problems += mismatches(record, model, sid, fields=(
            "title", "rating", "characters", "warnings", "status", "word_count", "notes",
            "chapter notes", "chapter end notes"))
        # Fandoms: the Fandom/Category label's names, canonical where the fandom map knows
        # them, land in fandoms or (under "Category:") categories.
        named = set(record["fandoms"]) | set(record["categories"])
        missing = [c for c in want["categories"] if c not in named
                   and not set(fandoms_of([c])) & named]
        if missing:
            problems.append(f"sid {sid} fandoms missing {missing}")
        assert record["sources"][0]["url"].startswith(site.url + "/stories/")
    assert problems == []
    assert sorted(t for t in found if t) == sorted(s.title for s in model.visible_stories())
    # Each part page was fetched once; site traps are recorded, never stored as stories.
    parts = [p for sid in visible_sids(model) for p in site.part_paths(sid)]
    assert all(site.log.count(p) == 1 for p in parts)
    codes = {code for _, code, _ in run_errors(store)}
    assert codes <= {"http-404", "redirect-loop", "error", "login", "off-scope",
                     "robots-disallowed"}, codes


def test_static_archive_every_field(static_archive) -> None:
    site, store = static_archive
    model = site.model
    found = by_title(records(store))
    problems = []
    for sid in visible_sids(model):
        record = found[model.story(sid).title][0]
        problems += mismatches(record, model, sid, fields=(
            "authors", "series", "summary", "tags"))
    assert problems == []


def test_txt_listing_titles_authors_ratings_and_chapters(txt_archive) -> None:
    site, store = txt_archive
    model = site.model
    problems: list[str] = []
    for sid, want, record in _matched(site, store, problems):
        emails = {a["email"] for a in record["authors"]} - {None}
        if emails != {want["author"]["email"]}:
            problems.append(f"sid {sid} emails {emails}")
        chapters = record["chapters"]
        texts = [c["text"] for c in chapters]  # "Author's note:"/"End note:" taken out
        if texts != [c["text"] for c in want["chapters"]]:
            problems.append(f"sid {sid} chapter texts ({len(chapters)} chapters)")
        if len(chapters) > 1:
            titles = [c["title"] for c in chapters]  # "Chapter 2: " taken off
            if titles != [c["title"] for c in want["chapters"]]:
                problems.append(f"sid {sid} chapter titles {titles}")
        problems += mismatches(record, model, sid, fields=(
            "title", "rating", "characters", "status", "summary"))
        genres = record["categories"] + record["tags"]  # the files' "Category:" line
        if sorted(genres) != sorted(want["genres"]):
            problems.append(f"sid {sid} genres {genres}")
        if record["series"] is not None or want["series"] is not None:
            assert record["series"] is not None and want["series"] is not None, sid
            if (record["series"]["title"], record["series"]["part"]) != (
                    want["series"]["title"], want["series"]["part"]):
                problems.append(f"sid {sid} series {record['series']}")
    assert problems == []
    # Every file was fetched once, each listing (in any sort order) at most once.
    for sid in visible_sids(model):
        assert site.log.count(site.file_path(sid)) == 1
    assert not [p for p in site.log.paths() if "C=" in p and "O=" in p]


def test_txt_listing_every_field(txt_archive) -> None:
    site, store = txt_archive
    model = site.model
    found = by_title(records(store))
    assert None not in found  # nothing but the stories became a story
    problems = []
    for sid in visible_sids(model):
        record = found[model.story(sid).title][0]
        problems += mismatches(record, model, sid, fields=(
            "authors", "warnings", "notes", "word_count", "chapter titles", "chapter texts",
            "chapter notes", "chapter end notes"))
    assert problems == []
