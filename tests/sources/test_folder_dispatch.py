"""A folder holding WARCs and eFiction dumps: each goes to its own reader, as if named alone."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from fanarchive.cli import main
from fanarchive.config import Config, load_config
from fanarchive.document import Document
from fanarchive.sources.locate import FILES, classify, count, open_location
from fanarchive.store.models import StoryRow
from fanarchive.store.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAGES = {  # an eFiction story: its index page and its one chapter
    "http://archive.example.org/viewstory.php?sid=1": "giantessworld-work.html",
    "http://archive.example.org/viewstory.php?sid=1&chapter=1": "giantessworld-chapter-1.html",
}


def _write_warc(path: Path, *, gz: bool) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gz)
        for url, name in PAGES.items():
            body = (FIXTURES / "efiction-html" / name).read_bytes()
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A .txt story, a WARC and an eFiction dump with its chapter folder (storiesef/)."""
    root = tmp_path / "rescued"
    (root / "site").mkdir(parents=True)
    shutil.copy(FIXTURES / "plaintext" / "seed_following.txt", root / "following.txt")
    _write_warc(root / "crawl.warc.gz", gz=True)
    shutil.copy(FIXTURES / "efiction" / "efiction.sql", root / "site" / "efiction.sql")
    shutil.copytree(FIXTURES / "efiction" / "storiesef", root / "site" / "storiesef")
    return root


def _locators(location: Path, config: Config) -> list[str]:
    return [item.locator for item in open_location(str(location), config)]


def test_folder_members_are_read_like_the_same_files_named_alone(folder: Path) -> None:
    config = load_config()
    assert classify(str(folder)) == FILES
    items = list(open_location(str(folder), config))
    assert all(isinstance(item, Document) for item in items), items

    dump = _locators(folder / "site" / "efiction.sql", config)
    warc = _locators(folder / "crawl.warc.gz", config)
    text = _locators(folder / "following.txt", config)
    assert len(dump) == 15 and len(warc) == 2 and len(text) == 1
    # Dumps first (their chapter files are then known), the rest in walk order.
    assert [item.locator for item in items] == dump + warc + text
    # The dump's chapter files were read through the dump, never as stories of their own.
    assert not any("storiesef" in item.locator for item in items)
    assert [item.url for item in items if item.url] == list(PAGES)
    assert count(str(folder), config) is None  # a WARC or dump holds an unknown number


def test_a_plain_warc_without_gzip_and_an_unknown_sql_file(tmp_path: Path) -> None:
    config = load_config()
    _write_warc(tmp_path / "old.warc", gz=False)
    (tmp_path / "notes.sql").write_text("CREATE TABLE notes (id int);\n")
    items = list(open_location(str(tmp_path), config))

    assert [getattr(item, "code", None) for item in items] == ["not-efiction", None, None]
    assert [item.url for item in items if isinstance(item, Document)] == list(PAGES)


def test_importing_the_folder_stores_every_story(folder: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fa.sqlite3'}"
    assert main(["--db", url, "import", "-q", str(folder)]) == 0
    store = Store.open(url)
    try:
        titles = {row.title for row in store.iter_stories()}
        # 15 from the dump, 1 from the WARC's two pages, 1 plain-text story.
        assert store.count(StoryRow) == 17
        assert {"Following", "The Philosopher Boned"} <= titles
    finally:
        store.close()
