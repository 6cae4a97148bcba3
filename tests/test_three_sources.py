"""One archive rescued three ways — crawled live, replayed from a WARC, read from a wget
mirror — gives the same stories, and together they are one story each with three sources."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from fanarchive.config import Config
from fanarchive.export import ExportOptions, iter_records
from fanarchive.importing import Importer
from fanarchive.store.models import Blob, DocumentRow
from fanarchive.store.store import Store

CRAWL = {"delay": 0, "adult": True, "allow_private": True, "ignore_crawl_delay": True}
VOLATILE = {"id", "sources"}


def _pages(store: Store) -> list[tuple[str, int, dict[str, str], bytes]]:
    """Every page the crawl stored, in fetch order, with its headers and exact bytes."""
    rows = store.session.execute(
        select(DocumentRow.url, DocumentRow.http_status, DocumentRow.http_headers, Blob.data)
        .join(Blob, Blob.sha256 == DocumentRow.sha256)
        .where(DocumentRow.url.is_not(None), DocumentRow.http_status == 200)
        .order_by(DocumentRow.id)).all()
    return [(url, status, dict(headers or {}), data) for url, status, headers, data in rows
            if not url.endswith("/robots.txt")]


def _write_warc(path: Path, pages: list[tuple[str, int, dict[str, str], bytes]]) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, status, headers, body in pages:
            http = StatusAndHeaders(f"{status} OK", [(k, v) for k, v in headers.items()
                                                     if k.lower() != "content-length"],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response",
                                                          payload=io.BytesIO(body),
                                                          http_headers=http))


def _write_wget_mirror(root: Path, pages: list[tuple[str, int, dict[str, str], bytes]]) -> None:
    for url, _status, _headers, body in pages:
        parts = urlsplit(url)
        name = parts.path.lstrip("/") or "index.html"
        if parts.query:
            name += "?" + parts.query
        if not name.endswith((".html", ".htm", ".txt")):
            name += ".html"  # wget -E
        target = root / parts.netloc / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


def _records(store: Store) -> dict[str, dict]:
    records = {}
    for record in iter_records(store, ExportOptions()):
        records[record["title"]] = {k: v for k, v in record.items() if k not in VOLATILE}
    return records


@pytest.fixture
def crawled(site_factory, tmp_path: Path, config: Config):
    site = site_factory("efiction", stories=6, max_chapters=3)
    store = Store.open(f"sqlite:///{tmp_path / 'crawl.sqlite3'}")
    report = Importer(store, config, crawl=CRAWL).run([site.url + "/"])
    assert report.new >= 4 and report.failed == 0
    yield site, store
    store.close()


def test_warc_and_mirror_give_the_crawled_stories(crawled, tmp_path: Path,
                                                  config: Config) -> None:
    _site, crawl_store = crawled
    pages = _pages(crawl_store)
    expected = _records(crawl_store)
    warc = tmp_path / "site.warc.gz"
    _write_warc(warc, pages)
    mirror = tmp_path / "mirror"
    _write_wget_mirror(mirror, pages)

    for name, location in (("warc", warc), ("mirror", mirror)):
        store = Store.open(f"sqlite:///{tmp_path / (name + '.sqlite3')}")
        try:
            report = Importer(store, config).run([str(location)])
            # Pages the crawl never fetched (robots-disallowed, off-site) are the mirror's
            # broken links: reported, nothing else fails.
            assert {code for _, code, _ in report.errors} <= {"missing-page"}, report.errors
            got = _records(store)
        finally:
            store.close()
        assert set(got) == set(expected), name
        for title in expected:
            differs = {k: (got[title].get(k), v) for k, v in expected[title].items()
                       if got[title].get(k) != v}
            assert not differs, f"{name}: {title} differs in {differs}"


def test_three_sources_one_story_each(crawled, tmp_path: Path, config: Config) -> None:
    site, crawl_store = crawled
    pages = _pages(crawl_store)
    count = len(_records(crawl_store))
    warc = tmp_path / "site.warc.gz"
    _write_warc(warc, pages)
    mirror = tmp_path / "mirror"
    _write_wget_mirror(mirror, pages)

    store = Store.open(f"sqlite:///{tmp_path / 'all.sqlite3'}")
    try:
        Importer(store, config, crawl=CRAWL).run([site.url + "/"])
        Importer(store, config).run([str(warc)])
        Importer(store, config).run([str(mirror)])
        records = list(iter_records(store, ExportOptions()))
    finally:
        store.close()
    assert len(records) == count
    for record in records:
        kinds = {"warc" if ".warc" in (s["path"] or "") else
                 "mirror" if s["path"] and "mirror" in s["path"] else "crawl"
                 for s in record["sources"]}
        assert kinds == {"crawl", "warc", "mirror"}, record["title"]
