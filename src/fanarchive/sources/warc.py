"""WARC and ARC files as documents: one :class:`Document` per archived page, streamed.

A web archive replays through the same parsers as a live crawl, so each document carries what a
crawl would have given: the target URL, HTTP status and headers, media type, declared charset,
the payload as warcio decodes it (de-chunked, content-encoding removed) and the capture date.

Only one record is in memory at a time. Revisit records ("same payload as before") are resolved
through a small index of record offsets: the payload is read again from the file when a revisit
needs it, never kept. Damage is reported per record (``corrupt-warc``) and reading resumes at
the next record that can be found, so one bad byte does not lose the rest of a crawl.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError
from fanarchive.sources.limits import Limits

__all__ = ["WARC_SUFFIXES", "iter_warc_documents", "looks_like_warc"]

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
GZIP_MAGIC = b"\x1f\x8b"
READ_CHUNK = 64 * 1024

# What warcio and the gzip/zlib layers raise on damaged input. Anything else is a bug.
_DAMAGE = (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, zlib.error,
           gzip.BadGzipFile, ValueError, IndexError, UnicodeDecodeError)

# warcio raises this (as ArchiveLoadFailed) when a .gz holds many records in one gzip member.
_WHOLE_FILE_GZIP = "non-chunked gzip"


def looks_like_warc(path: Path) -> bool:
    """True for WARC/ARC files, by name or by their first bytes (gzip or not)."""
    if path.name.lower().endswith(WARC_SUFFIXES):
        return True
    return _head(path).startswith((b"WARC/", b"filedesc://"))


def _head(path: Path) -> bytes:
    """The first bytes of the file, decompressed when it is gzipped."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
            if head.startswith(GZIP_MAGIC):
                fh.seek(0)
                with gzip.GzipFile(fileobj=fh) as gz:
                    head = gz.read(64)
    except (OSError, EOFError, zlib.error):
        return b""
    return head


def iter_warc_documents(path: str | Path, config: Config | None = None
                        ) -> Iterator[Document | ItemError]:
    """Documents for the pages in a WARC or ARC file, in file order.

    ``response`` records (and ``resource`` records) become documents; ``revisit`` records are
    replayed with the payload they point to; requests, metadata and warcinfo are skipped, as are
    redirects and non-HTTP captures (``dns:``). A 4xx/5xx capture becomes an ``http-error`` item,
    as it would in a crawl. Payloads over ``max_document_bytes`` become ``too-large`` items.
    """
    yield from _WarcReader(Path(path), Limits.from_config(config)).documents()


@dataclass
class _Payload:
    """One record read in full: its headers and its payload (None when over the size cap)."""

    rec_type: str
    rec_headers: StatusAndHeaders
    http_headers: StatusAndHeaders | None
    content_type: str | None
    content: bytes | None
    size: int
    truncated: bool

    def header(self, name: str) -> str | None:
        value = self.rec_headers.get_header(name)
        return value if value else None


@dataclass
class _Progress:
    start: int = 0  # where the next pass starts reading
    handled: int = 0  # records handled, so a restart as whole-file gzip can skip them
    last_emitted: int = -1  # offset of the last record handled, never handle one twice
    resyncing: bool = False  # errors while hunting for the next record are not reported again
    errors: list[str] = field(default_factory=list)


class _WarcReader:
    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.label = str(path)
        self.cap = limits.max_document_bytes
        with path.open("rb") as fh:
            self.gzipped = fh.read(2) == GZIP_MAGIC
        self.is_arc = _head(path).startswith(b"filedesc://")
        # One gzip member around the whole file: offsets are then offsets in the decompressed
        # stream, and the file is read through gzip.open instead of warcio's member handling.
        self.whole_gzip = False
        # Hashes of record ids, URI+date and payload digests -> record offset. Hashes keep the
        # index small for million-record crawls; a collision is caught by checking the record
        # that is read back.
        self.index: dict[int, int] = {}
        self.pending: list[int] = []  # revisits seen before the record they refer to
        self.seen_urls: set[str] = set()
        self._reread_fh: IO[bytes] | None = None

    # -- the passes over the file ----------------------------------------------------------

    def documents(self) -> Iterator[Document | ItemError]:
        progress = _Progress()
        try:
            while True:
                next_start = yield from self._pass(progress)
                if next_start is None:
                    break
                progress.start = next_start
            for offset in self.pending:
                yield from self._emit(self._late_revisit(offset))
        finally:
            if self._reread_fh is not None:
                self._reread_fh.close()

    def _open(self) -> IO[bytes]:
        if self.whole_gzip:
            return cast(IO[bytes], gzip.open(self.path, "rb"))
        return self.path.open("rb")

    def _pass(self, progress: _Progress) -> Generator[Document | ItemError, None, int | None]:
        """Read records from ``progress.start``; return where to resume after damage, or None."""
        record_start = progress.start
        with self._open() as fh:
            fh.seek(progress.start)
            records = ArchiveIterator(fh, arc2warc=True)
            skip = progress.handled if self.whole_gzip and progress.start == 0 else 0
            try:
                for record in records:
                    record_start = records.offset
                    if skip:  # handled before the switch to whole-file gzip: index only
                        skip -= 1
                        payload = self._read(record)
                        self._index(payload, record_start)
                        if payload.rec_type == "revisit" and self._original(payload) is None:
                            self.pending.append(record_start)
                        continue
                    if record_start <= progress.last_emitted:
                        continue
                    payload = self._read(record)
                    progress.last_emitted = record_start
                    progress.handled += 1
                    if payload.truncated:
                        yield from self._emit(self._damaged(
                            record_start, payload, "record is truncated or its compressed data "
                            "is damaged"))
                        return self._resync_after(record_start, progress)
                    progress.resyncing = False
                    yield from self._emit(self._handle(payload, record_start))
            except _DAMAGE as exc:
                if _WHOLE_FILE_GZIP in str(exc) and not self.whole_gzip:
                    self.whole_gzip = True
                    self.index.clear()  # offsets change meaning: decompressed from now on
                    self.pending.clear()
                    progress.last_emitted = -1
                    return 0
                if not progress.resyncing:
                    offset = max(records.offset, record_start)
                    yield ItemError(f"{self.label}@{offset}", "corrupt-warc",
                                    f"damaged record at offset {offset}: {_reason(exc)}")
                return self._resync_after(record_start, progress)
        return None

    def _resync_after(self, offset: int, progress: _Progress) -> int | None:
        progress.resyncing = True
        return self._next_record_start(offset + 1)

    def _next_record_start(self, pos: int) -> int | None:
        """Where the next record seems to start after ``pos``; None at the end of the file."""
        patterns: tuple[bytes, ...]
        if self.gzipped and not self.whole_gzip:
            patterns, skip = (b"\x1f\x8b\x08",), 0  # the next gzip member
        else:
            # A record header line; ARC records start with their URL, WARC records with WARC/.
            patterns = (b"\nhttp://", b"\nhttps://") if self.is_arc else (b"\nWARC/",)
            skip = 1
        keep = max(len(p) for p in patterns)
        try:
            with self._open() as fh:
                fh.seek(pos)
                base, tail = pos, b""
                while True:
                    chunk = fh.read(READ_CHUNK)
                    if not chunk:
                        return None
                    window = tail + chunk
                    found = [i for i in (window.find(p) for p in patterns) if i >= 0]
                    if found:
                        return base - len(tail) + min(found) + skip
                    tail = window[-keep:]
                    base += len(chunk)
        except _DAMAGE + (OSError,):
            return None

    # -- one record ------------------------------------------------------------------------

    def _read(self, record: Any) -> _Payload:
        """The record's payload, read up to the size cap, and whether the record was complete."""
        content: bytes | None = None
        size = 0
        parts: list[bytes] = []
        stream = record.content_stream()
        while True:
            chunk = stream.read(READ_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > self.cap:
                break
            parts.append(chunk)
        if size <= self.cap:
            content = b"".join(parts)
        raw = record.raw_stream
        while raw.read(READ_CHUNK):
            pass
        # warcio limits each record to its Content-Length; bytes still owed at the end of the
        # stream mean the file (or a gzip member) ended early.
        truncated = getattr(raw, "limit", 0) > 0
        return _Payload(record.rec_type or "", record.rec_headers, record.http_headers,
                        record.content_type, content, size, truncated)

    def _handle(self, payload: _Payload, offset: int) -> Document | ItemError | None:
        if payload.rec_type == "response":
            if payload.http_headers is None:
                return None  # dns:, whois: and other captures that are not web pages
            self._index(payload, offset)
            return self._document(payload, payload)
        if payload.rec_type == "resource":
            self._index(payload, offset)
            return self._document(payload, payload)
        if payload.rec_type == "revisit":
            original = self._original(payload)
            if original is None:
                self.pending.append(offset)
                return None
            return self._document(payload, original)
        return None  # request, metadata, warcinfo, conversion, continuation

    def _emit(self, item: Document | ItemError | None) -> Iterator[Document | ItemError]:
        if item is not None:
            yield item

    def _damaged(self, offset: int, payload: _Payload, reason: str) -> ItemError:
        uri = payload.header("WARC-Target-URI")
        where = f"{uri} at offset {offset}" if uri else f"offset {offset}"
        return ItemError(f"{self.label}#{uri}" if uri else f"{self.label}@{offset}",
                         "corrupt-warc", f"damaged record ({where}): {reason}")

    # -- revisits ----------------------------------------------------------------------------

    def _keys(self, payload: _Payload) -> list[int]:
        keys: list[int] = []
        record_id = payload.header("WARC-Record-ID")
        if record_id:
            keys.append(hash(("id", record_id)))
        uri, date = payload.header("WARC-Target-URI"), payload.header("WARC-Date")
        if uri and date:
            keys.append(hash(("at", uri, date)))
        digest = payload.header("WARC-Payload-Digest")
        if digest:
            keys.append(hash(("digest", digest)))
        return keys

    def _index(self, payload: _Payload, offset: int) -> None:
        if payload.rec_type not in ("response", "resource") or payload.truncated:
            return
        for key in self._keys(payload):
            self.index.setdefault(key, offset)

    def _wanted(self, revisit: _Payload) -> list[tuple[int, tuple[str, ...]]]:
        """Index keys for the record a revisit refers to, best first, with what must match."""
        wanted: list[tuple[int, tuple[str, ...]]] = []
        refers_to = revisit.header("WARC-Refers-To")
        if refers_to:
            wanted.append((hash(("id", refers_to)), ("WARC-Record-ID", refers_to)))
        uri = revisit.header("WARC-Refers-To-Target-URI")
        date = revisit.header("WARC-Refers-To-Date")
        if uri and date:
            wanted.append((hash(("at", uri, date)), ("WARC-Target-URI", uri, "WARC-Date", date)))
        digest = revisit.header("WARC-Payload-Digest")
        if digest:
            wanted.append((hash(("digest", digest)), ("WARC-Payload-Digest", digest)))
        return wanted

    def _original(self, revisit: _Payload) -> _Payload | None:
        for key, expect in self._wanted(revisit):
            offset = self.index.get(key)
            if offset is None:
                continue
            original = self._read_at(offset)
            if original is not None and all(
                original.header(expect[i]) == expect[i + 1] for i in range(0, len(expect), 2)
            ):
                return original
        return None

    def _late_revisit(self, offset: int) -> Document | ItemError | None:
        revisit = self._read_at(offset)
        if revisit is None:
            return ItemError(f"{self.label}@{offset}", "corrupt-warc",
                             f"revisit record at offset {offset} cannot be read again")
        original = self._original(revisit)
        if original is None:
            uri = revisit.header("WARC-Target-URI") or f"offset {offset}"
            refers = (revisit.header("WARC-Refers-To-Target-URI")
                      or revisit.header("WARC-Payload-Digest") or "an unknown record")
            return ItemError(f"{self.label}#{uri}", "revisit-unresolved",
                             f"revisit of {uri} refers to {refers}, which is not in this file")
        return self._document(revisit, original)

    def _read_at(self, offset: int) -> _Payload | None:
        if self._reread_fh is None:
            self._reread_fh = self._open()
        fh = self._reread_fh
        try:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh, arc2warc=True)))
            payload = self._read(record)
        except (StopIteration, *_DAMAGE):
            return None
        return None if payload.truncated else payload

    # -- the document ------------------------------------------------------------------------

    def _document(self, capture: _Payload, body: _Payload) -> Document | ItemError | None:
        """A document for ``capture`` (the record that names the URL and date) with the payload
        of ``body`` (the same record, or the original a revisit points to)."""
        uri = capture.header("WARC-Target-URI") or ""
        date = capture.header("WARC-Date")
        http = capture.http_headers
        if http is None or _status(http) == 304:
            http = body.http_headers  # a revisit without headers, or "not modified"
        status = _status(http) if http is not None else None
        locator = f"{self.label}#{uri}"
        if status is not None and not 200 <= status < 300:
            if status >= 400:
                return ItemError(locator, "http-error", f"archived as HTTP {status} ({uri})")
            return None  # redirects and 1xx: the target page is captured in its own record
        if body.content is None:
            return ItemError(locator, "too-large",
                             f"payload of {uri} is over {self.cap:,} bytes (max_document_bytes)")
        if uri in self.seen_urls:
            locator = f"{locator}@{date}"  # a later capture of the same page
        else:
            self.seen_urls.add(uri)
        headers = _header_dict(http) if http is not None else {}
        content_type = headers.get("Content-Type") if http is not None else body.content_type
        media_type, charset = _split_content_type(content_type)
        return Document(content=body.content, locator=locator, url=uri or None,
                        path=self.label, media_type=media_type, declared_charset=charset,
                        http_status=status, http_headers=headers, fetched_at=_date(date))


def _status(headers: StatusAndHeaders) -> int | None:
    try:
        return int(headers.get_statuscode())
    except (TypeError, ValueError):
        return None


def _header_dict(headers: StatusAndHeaders) -> dict[str, str]:
    """Header names as first written; repeated headers joined with ", " as HTTP allows."""
    out: dict[str, str] = {}
    lower: dict[str, str] = {}
    for name, value in headers.headers:
        known = lower.setdefault(name.lower(), name)
        out[known] = f"{out[known]}, {value}" if known in out else value
    return out


def _split_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'")
    return media.strip().lower() or None, charset


def _date(value: str | None) -> datetime:
    if value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return (text[:200] + "...") if len(text) > 200 else (text or type(exc).__name__)
