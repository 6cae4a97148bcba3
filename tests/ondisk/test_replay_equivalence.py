"""A page replayed from a WARC or a wget mirror parses exactly as the live response did.

The "live" document is built the way a crawl sees a response (URL, status, headers, bytes);
the web parsers are run on it and on the replayed copies, and the results must be equal.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_mirror_source import make_wget_mirror
from test_warc_source import write_warc

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.sources.mirror import iter_mirror_documents
from fanarchive.sources.warc import iter_warc_documents

if TYPE_CHECKING:
    from conftest import Page

efiction = pytest.importorskip("fanarchive_parsers.efiction")


def live_document(page: Page) -> Document:
    ctype = page.content_type
    return Document(content=page.body, locator=page.url, url=page.url, http_status=page.status,
                    http_headers=dict(page.headers), media_type=ctype.split(";")[0].strip(),
                    declared_charset=ctype.partition("charset=")[2] or None)


def outcome(doc: Document) -> Any:
    parser = efiction.EfictionParser()
    try:
        result = parser.parse(doc)
    except Exception as exc:  # the same failure on both sides is equivalence too
        return ("error", type(exc).__name__, str(exc))
    return dataclasses.asdict(result)


def test_warc_and_mirror_replay_parse_like_the_live_site(tmp_path: Path, site_pages: list[Page],
                                                         ondisk_config: Config) -> None:
    pages = [p for p in site_pages if "viewstory.php" in p.url]
    warc = tmp_path / "crawl.warc.gz"
    write_warc(warc, pages)
    from_warc = {d.url: d for d in iter_warc_documents(warc, ondisk_config)
                 if isinstance(d, Document)}
    make_wget_mirror(tmp_path / "mirror", pages)
    from_mirror = {d.url: d for d in iter_mirror_documents(tmp_path / "mirror", ondisk_config,
                                                           report_missing=False)
                   if isinstance(d, Document)}
    stories = 0
    for page in pages:
        live = outcome(live_document(page))
        assert outcome(from_warc[page.url]) == live, page.url
        assert outcome(from_mirror[page.url]) == live, page.url
        stories += len(live["stories"]) if isinstance(live, dict) else 0
    assert stories > 0
