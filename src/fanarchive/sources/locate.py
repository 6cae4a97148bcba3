"""Which source reads a location: one place that maps what a user typed to a document stream.

Web URLs are not here: a crawl needs the parsers' links back, so the importer drives the
crawler itself (see :mod:`fanarchive.sources.web`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError, UsageError
from fanarchive.sources.names import printable

WEB, DATABASE, DUMP, WARC, MIRROR, AUTOMATED_ARCHIVE, FILES = (
    "web", "database", "dump", "warc", "mirror", "automated-archive", "files")
AA_DATABASE = "ARCHIVE_DB.pl"


def classify(location: str) -> str:
    lowered = location.lower()
    if lowered.startswith(("http://", "https://")):
        return WEB
    if "://" in lowered and lowered.split("://")[0].startswith(("mysql", "mariadb")):
        return DATABASE
    path = Path(location)
    if not path.exists():
        raise UsageError(f"{location}: no such file or folder")
    if path.is_file():
        if lowered.endswith((".sql", ".sql.gz", ".sql.bz2", ".sql.xz")):
            return DUMP
        if path.name.lower() == AA_DATABASE.lower():
            return AUTOMATED_ARCHIVE
        from fanarchive.sources.warc import looks_like_warc

        if looks_like_warc(path):
            return WARC
        return FILES
    from fanarchive.sources.automated_archive import looks_like_automated_archive

    if looks_like_automated_archive(path):
        return AUTOMATED_ARCHIVE
    from fanarchive.sources.mirror import detect_mirror

    if detect_mirror(path):
        return MIRROR
    return FILES


def open_location(location: str, config: Config,
                  kind: str | None = None) -> Iterator[Document | ItemError]:
    """Documents (or per-item errors) of a non-web location, streamed."""
    for item in _open(location, config, kind or classify(location)):
        yield _printable(item)


def _printable(item: Document | ItemError) -> Document | ItemError:
    """The item with names that were not UTF-8 (``bad\\xff.txt`` on disk, in a tar) escaped,
    so that they can be stored and shown."""
    if isinstance(item, ItemError):
        locator, reason = printable(item.locator), printable(item.reason)
        if locator == item.locator and reason == item.reason:
            return item
        return ItemError(locator, item.code, reason)
    locator = printable(item.locator)
    path = printable(item.path) if item.path is not None else None
    if locator == item.locator and path == item.path:
        return item
    return replace(item, locator=locator, path=path)


def _open(location: str, config: Config, kind: str) -> Iterator[Document | ItemError]:
    if kind in (DATABASE, DUMP):
        from fanarchive.sources.efiction_db import iter_bundle_documents

        yield from iter_bundle_documents(location)
    elif kind == WARC:
        from fanarchive.sources.warc import iter_warc_documents

        yield from iter_warc_documents(location, config)
    elif kind == MIRROR:
        from fanarchive.sources.mirror import iter_mirror_documents

        yield from iter_mirror_documents(location, config)
    elif kind == AUTOMATED_ARCHIVE:
        from fanarchive.sources.automated_archive import iter_automated_archive_documents

        yield from iter_automated_archive_documents(location, config)
    elif kind == WEB:
        raise UsageError(f"{location}: web locations are crawled, not opened as files")
    else:
        from fanarchive.sources import iter_location

        yield from iter_location(location, config)


def count(location: str, config: Config, kind: str | None = None) -> int | None:
    """How many items a progress bar should expect, when that is cheap to know."""
    kind = kind or classify(location)
    if kind != FILES:
        return None
    from fanarchive.sources import count_location

    return count_location(location, config)
