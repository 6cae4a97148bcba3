"""Which source reads a location: one place that maps what a user typed to a document stream.

Web URLs are not here: a crawl needs the parsers' links back, so the importer drives the
crawler itself (see :mod:`fanarchive.sources.web`).
"""

from __future__ import annotations

import json
import os
import stat
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

        if os.path.isdir(os.path.expanduser(location)):
            yield from _iter_folder(location, config)
        else:
            yield from iter_location(location, config)


_DUMP_SUFFIXES = (".sql", ".sql.gz", ".sql.bz2", ".sql.xz")
_STORY_SUFFIXES = (".txt", ".text", ".htm", ".html", ".xhtml", ".shtml", ".php", ".asp", ".rtf")


def _member_kind(path: str) -> str:
    """DUMP, WARC or FILES for a file found in a folder, judged as if it had been named alone
    (a FIFO or device is never opened here: the file reader reports it)."""
    if path.lower().endswith(_STORY_SUFFIXES):
        return FILES  # the common case, decided without opening the file
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return FILES
    except OSError:
        return FILES  # reported by the file reader
    if path.lower().endswith(_DUMP_SUFFIXES):
        return DUMP
    from fanarchive.sources.warc import looks_like_warc

    return WARC if looks_like_warc(Path(path)) else FILES


def _iter_folder(location: str, config: Config) -> Iterator[Document | ItemError]:
    """A folder walk in which WARC/ARC files and eFiction SQL dumps go to their own readers.

    Dumps are read first, so that the chapter files they took their text from (``storiesef/``
    next to the dump) are not imported a second time as stories of their own. Everything else
    follows in walk order.
    """
    from fanarchive.sources.efiction_db import iter_bundle_documents
    from fanarchive.sources.files import iter_file, walk
    from fanarchive.sources.limits import Limits
    from fanarchive.sources.warc import iter_warc_documents

    root = os.path.abspath(os.path.expanduser(location))
    limits = Limits.from_config(config)
    dumps = [item for item in walk(root) if isinstance(item, str)
             and item.lower().endswith(_DUMP_SUFFIXES) and _member_kind(item) == DUMP]
    consumed: dict[str, set[str]] = {}
    for dump in dumps:
        files = consumed.setdefault(os.path.dirname(dump), set())
        for found in iter_bundle_documents(dump):
            if isinstance(found, Document):
                files.update(_chapter_files(found))
            yield found
    for member in walk(root):
        if isinstance(member, ItemError):
            yield member
        elif member in dumps or _consumed(member, consumed):
            continue
        elif _member_kind(member) == WARC:
            yield from iter_warc_documents(member, config)
        else:
            yield from iter_file(member, limits)


def _chapter_files(bundle: Document) -> set[str]:
    """The chapter files (relative to the dump's folder) a bundle took its text from."""
    try:
        data = json.loads(bundle.content)
    except ValueError:
        return set()
    return {str(c["file"]) for c in data.get("chapters") or []
            if isinstance(c, dict) and c.get("file")}


def _consumed(path: str, consumed: dict[str, set[str]]) -> bool:
    for folder, files in consumed.items():
        if not files or not path.startswith(folder + os.sep):
            continue
        parts = os.path.relpath(path, folder).split(os.sep)
        # Usually the whole relative path; a nested storiespath ("data/stories") leaves a
        # longer one, whose tail is what the bundle names.
        if any("/".join(parts[i:]) in files for i in range(len(parts))):
            return True
    return False


def count(location: str, config: Config, kind: str | None = None) -> int | None:
    """How many items a progress bar should expect, when that is cheap to know."""
    kind = kind or classify(location)
    if kind != FILES:
        return None
    from fanarchive.sources import count_location

    if os.path.isdir(os.path.expanduser(location)):
        from fanarchive.sources.files import walk
        from fanarchive.sources.warc import WARC_SUFFIXES

        many = _DUMP_SUFFIXES + WARC_SUFFIXES  # one file, many documents: no cheap count
        root = os.path.abspath(os.path.expanduser(location))
        if any(isinstance(m, str) and m.lower().endswith(many) for m in walk(root)):
            return None
    return count_location(location, config)
