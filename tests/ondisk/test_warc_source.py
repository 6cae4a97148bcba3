"""WARC/ARC files built with warcio from pages the test archive served over HTTP."""

from __future__ import annotations

import gzip
import io
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError
from fanarchive.sources.warc import iter_warc_documents, looks_like_warc

if TYPE_CHECKING:
    from conftest import Page  # the ondisk conftest's captured page


def _http_headers(page: Page) -> StatusAndHeaders:
    return StatusAndHeaders(f"{page.status} {page.reason}", list(page.headers),
                            protocol="HTTP/1.1")


def write_warc(path: Path, pages: list[Page], *, gz: bool = True, requests: bool = True,
               revisit_every: int = 0) -> dict[str, str]:
    """A WARC like a crawler writes: warcinfo, then request + response per page.

    With ``revisit_every`` each N-th page is captured a second time as a revisit record of the
    identical payload. Returns the payload digest of each URL.
    """
    digests: dict[str, str] = {}
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gz)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for i, page in enumerate(pages):
            if requests:
                req = StatusAndHeaders("GET " + page.url.split("/", 3)[-1], [("Host", "x")],
                                       protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(
                    page.url, "request", payload=io.BytesIO(b""), http_headers=req))
            record = writer.create_warc_record(page.url, "response",
                                               payload=io.BytesIO(page.body),
                                               http_headers=_http_headers(page))
            writer.write_record(record)
            digests[page.url] = record.rec_headers.get_header("WARC-Payload-Digest")
            if revisit_every and i % revisit_every == 0:
                revisit = writer.create_revisit_record(
                    page.url, digests[page.url], page.url,
                    record.rec_headers.get_header("WARC-Date"),
                    http_headers=_http_headers(page))
                writer.write_record(revisit)
    return digests


def documents(items: list[Document | ItemError]) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


def errors(items: list[Document | ItemError]) -> list[ItemError]:
    return [i for i in items if isinstance(i, ItemError)]


def check_pages(docs: list[Document], pages: list[Page]) -> None:
    by_url = {d.url: d for d in docs}
    assert set(by_url) == {p.url for p in pages}
    for page in pages:
        doc = by_url[page.url]
        assert doc.content == page.body
        assert doc.http_status == 200
        assert doc.media_type == page.content_type.split(";")[0].strip()
        assert doc.http_headers["Content-Type"] == page.content_type
        assert doc.locator.endswith("#" + page.url)


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "plain"])
def test_every_page_comes_back_with_url_and_bytes(tmp_path: Path, site_pages: list[Page],
                                                  ondisk_config: Config, gz: bool) -> None:
    warc = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    write_warc(warc, site_pages, gz=gz)
    items = list(iter_warc_documents(warc, ondisk_config))
    assert errors(items) == []
    docs = documents(items)
    assert len(docs) == len(site_pages)  # requests and warcinfo are not documents
    check_pages(docs, site_pages)
    html = next(d for d in docs if d.url.endswith("sid=1"))
    assert html.declared_charset == "utf-8"
    assert html.fetched_at.tzinfo is not None and html.path == str(warc)
    assert looks_like_warc(warc)


def test_whole_file_gzip(tmp_path: Path, site_pages: list[Page], ondisk_config: Config) -> None:
    plain = tmp_path / "crawl.warc"
    write_warc(plain, site_pages, gz=False)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    items = list(iter_warc_documents(whole, ondisk_config))
    assert errors(items) == []
    check_pages(documents(items), site_pages)


def test_revisits_replay_the_original_payload(tmp_path: Path, site_pages: list[Page],
                                              ondisk_config: Config) -> None:
    warc = tmp_path / "revisits.warc.gz"
    write_warc(warc, site_pages, revisit_every=3)
    docs = documents(list(iter_warc_documents(warc, ondisk_config)))
    revisited = [p for i, p in enumerate(site_pages) if i % 3 == 0]
    assert len(docs) == len(site_pages) + len(revisited)
    later = [d for d in docs if "@" in d.locator.rsplit("#", 1)[1]]
    assert {d.url for d in later} == {p.url for p in revisited}
    for doc in later:
        page = next(p for p in site_pages if p.url == doc.url)
        assert doc.content == page.body and doc.http_status == 200


def test_revisit_by_digest_before_its_original_and_unresolved(tmp_path: Path,
                                                             site_pages: list[Page],
                                                             ondisk_config: Config) -> None:
    first, second = site_pages[0], site_pages[1]
    warc = tmp_path / "order.warc"
    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        original = writer.create_warc_record(first.url, "response",
                                             payload=io.BytesIO(first.body),
                                             http_headers=_http_headers(first))
        digest = original.rec_headers.get_header("WARC-Payload-Digest")
        # Revisit written before the record it refers to (a merged crawl), found by digest only.
        early = writer.create_revisit_record(first.url + "&copy=2", digest, "x", "x")
        early.rec_headers.remove_header("WARC-Refers-To-Target-URI")
        early.rec_headers.remove_header("WARC-Refers-To-Date")
        writer.write_record(early)
        writer.write_record(original)
        lost = writer.create_revisit_record(second.url, "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                            second.url, "2001-01-01T00:00:00Z")
        writer.write_record(lost)
    items = list(iter_warc_documents(warc, ondisk_config))
    docs = documents(items)
    assert [d.url for d in docs] == [first.url, first.url + "&copy=2"]
    assert docs[1].content == first.body and docs[1].http_status == 200
    (err,) = errors(items)
    assert err.code == "revisit-unresolved" and second.url in err.reason


def test_truncated_file_keeps_every_complete_record(tmp_path: Path, site_pages: list[Page],
                                                    ondisk_config: Config) -> None:
    for gz in (False, True):
        warc = tmp_path / f"cut{int(gz)}.warc{'.gz' if gz else ''}"
        write_warc(warc, site_pages[:-1], gz=gz, requests=False)
        complete = warc.stat().st_size
        write_warc(warc, site_pages, gz=gz, requests=False)
        data = warc.read_bytes()
        warc.write_bytes(data[: complete + (len(data) - complete) // 2])  # cut the last record
        items = list(iter_warc_documents(warc, ondisk_config))
        check_pages(documents(items), site_pages[:-1])
        (err,) = errors(items)
        assert err.code == "corrupt-warc"
        assert site_pages[-1].url in err.reason and "offset" in err.reason


def test_corrupt_record_in_the_middle_is_reported_and_the_rest_continues(
        tmp_path: Path, site_pages: list[Page], ondisk_config: Config) -> None:
    # Plain WARC: the header of one record is overwritten with garbage.
    warc = tmp_path / "bad.warc"
    write_warc(warc, site_pages, gz=False, requests=False)
    data = bytearray(warc.read_bytes())
    victim = site_pages[4]
    at = data.find(f"WARC-Target-URI: {victim.url}\r\n".encode())
    start = data.rfind(b"WARC/1.", 0, at)
    data[start:start + 8] = b"GARBAGE!"
    warc.write_bytes(bytes(data))
    items = list(iter_warc_documents(warc, ondisk_config))
    check_pages(documents(items), [p for p in site_pages if p is not victim])
    (err,) = errors(items)
    assert err.code == "corrupt-warc" and str(start) in err.reason

    # gzip per record: the compressed bytes of one member are damaged.
    warc = tmp_path / "bad.warc.gz"
    members = []
    for page in site_pages:
        one = tmp_path / "one.warc.gz"
        write_warc(one, [page], requests=False)
        members.append(one.read_bytes())
    victim_index = 5
    broken = bytearray(members[victim_index])
    for i in range(len(broken) // 2, len(broken) // 2 + 40):
        broken[i] ^= 0x5A
    members[victim_index] = bytes(broken)
    warc.write_bytes(b"".join(members))
    items = list(iter_warc_documents(warc, ondisk_config))
    docs = documents(items)
    good = [p for i, p in enumerate(site_pages) if i != victim_index]
    assert {p.url for p in good} <= {d.url for d in docs}
    for page in good:
        assert next(d for d in docs if d.url == page.url).content == page.body
    assert [e.code for e in errors(items)] == ["corrupt-warc"] * len(errors(items))
    assert len(errors(items)) >= 1


def test_size_cap_and_status_codes(tmp_path: Path, site_pages: list[Page]) -> None:
    big = max(site_pages, key=lambda p: len(p.body))
    missing = replace(big, url=big.url + "&gone=1", status=404, reason="Not Found",
                      headers=[("Content-Type", "text/html")], body=b"<h1>Not Found</h1>")
    moved = replace(big, url=big.url + "&moved=1", status=301, reason="Moved",
                    headers=[("Location", big.url)], body=b"")
    warc = tmp_path / "mixed.warc.gz"
    small = min(site_pages, key=lambda p: len(p.body))
    write_warc(warc, [big, missing, moved, small], requests=False)
    config = Config(data={"fanarchive": {"limits": {"max_document_bytes": len(big.body) - 1}}})
    items = list(iter_warc_documents(warc, config))
    assert [(type(i).__name__, getattr(i, "code", None)) for i in items] == [
        ("ItemError", "too-large"), ("ItemError", "http-error"), ("Document", None)]


def test_resource_records_and_dns(tmp_path: Path, ondisk_config: Config) -> None:
    warc = tmp_path / "res.warc"
    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        writer.write_record(writer.create_warc_record(
            "dns:example.org", "response", payload=io.BytesIO(b"20010101 example.org 1.2.3.4"),
            warc_content_type="text/dns"))
        writer.write_record(writer.create_warc_record(
            "file:///stories/following.txt", "resource",
            payload=io.BytesIO(b"Title: Following\n\nText."),
            warc_content_type="text/plain; charset=windows-1252"))
    (doc,) = list(iter_warc_documents(warc, ondisk_config))
    assert isinstance(doc, Document)
    assert doc.url == "file:///stories/following.txt" and doc.http_status is None
    assert doc.media_type == "text/plain" and doc.declared_charset == "windows-1252"


ARC_HEADER = b"1 0 fanarchive tests\nURL IP-address Archive-date Content-type Archive-length\n"


def write_arc(path: Path, pages: list[Page]) -> None:
    """An ARC 1.0 file (the Internet Archive's pre-WARC format), written by hand."""
    out = io.BytesIO()
    out.write(b"filedesc://" + path.name.encode() + b" 0.0.0.0 20040101000000 text/plain "
              + str(len(ARC_HEADER)).encode() + b"\n" + ARC_HEADER + b"\n")
    for page in pages:
        head = f"HTTP/1.0 {page.status} {page.reason}\r\n".encode() + b"".join(
            f"{k}: {v}\r\n".encode() for k, v in page.headers) + b"\r\n"
        block = head + page.body
        ctype = page.content_type.split(";")[0] or "text/html"
        out.write(f"{page.url} 127.0.0.1 20040315120000 {ctype} {len(block)}\n".encode())
        out.write(block + b"\n")
    path.write_bytes(out.getvalue())


def test_arc_files(tmp_path: Path, site_pages: list[Page], ondisk_config: Config) -> None:
    arc = tmp_path / "old.arc"
    write_arc(arc, site_pages[:5])
    items = list(iter_warc_documents(arc, ondisk_config))
    assert errors(items) == []
    docs = documents(items)
    check_pages(docs, site_pages[:5])
    assert docs[0].fetched_at.year == 2004
    assert looks_like_warc(arc)

    # gzip per record, as the Internet Archive stored them
    members = []
    for page in site_pages[:5]:
        single = tmp_path / "single.arc"
        write_arc(single, [page])
        data = single.read_bytes()
        if not members:
            members.append(gzip.compress(data[: data.index(b"\n\n") + 2]))
        members.append(gzip.compress(data[data.index(b"\n\n") + 2:]))
    arcgz = tmp_path / "old.arc.gz"
    arcgz.write_bytes(b"".join(members))
    check_pages(documents(list(iter_warc_documents(arcgz, ondisk_config))), site_pages[:5])


def test_not_a_warc(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text("Title: x\n")
    assert not looks_like_warc(story)
