"""Automated Archive: ``ARCHIVE_DB.pl`` and the story files its records point to.

Automated Archive (a Perl fan fiction archive script of the late 1990s) keeps every story's
metadata in one Perl file::

    %FILES = (
    'buffy01' => {
        'Title' => 'Following', 'Author' => 'Katjen', 'Email' => 'k@example.com',
        'Rating' => 'PG-13', 'Category' => 'BtVS', 'Pairing' => 'B/S',
        'Summary' => '...', 'Location' => 'archive/katjen/following', 'FileType' => 'html',
        'Date' => '01/30/00', ...
    },
    ...);

The file is read as data (:mod:`fanarchive.sources.perl_data`), never executed. Each record
becomes one self-contained document (media type :data:`AA_MEDIA_TYPE`): JSON with the record's
fields exactly as written, and the raw bytes of its story file(s) in base64, so the stored
document preserves the original bytes and the ``automated-archive`` parser needs nothing else.

``Location`` is looked up below the folder of ``ARCHIVE_DB.pl`` (or ``stories_root``): as written,
with ``.FileType`` appended, under ``archive/``, by its last path components when it is an old
server path or URL, and case-insensitively. A file that cannot be found is listed under
``missing`` in the record; records that point off-site (``LocationURL``) are bookmarks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError, UsageError
from fanarchive.normalize.encoding import decode_bytes
from fanarchive.sources.limits import Limits
from fanarchive.sources.perl_data import PerlSyntaxError, iter_hash_entries

__all__ = ["AA_MEDIA_TYPE", "DATABASE_NAME", "iter_automated_archive_documents",
           "looks_like_automated_archive"]

AA_MEDIA_TYPE = "application/vnd.fanarchive.aa-record+json"
DATABASE_NAME = "ARCHIVE_DB.pl"
RECORD_FORMAT = "fanarchive/aa-record"
RECORD_VERSION = 1
# Fields that hold where the story is; compared case-insensitively.
LOCATION_FIELDS = ("location", "file", "filename")
EXTERNAL_FIELDS = ("locationurl", "storyurl", "url", "offsiteurl")
_MEDIA_TYPES = {".html": "text/html", ".htm": "text/html", ".shtml": "text/html",
                ".txt": "text/plain", ".text": "text/plain"}


def looks_like_automated_archive(path: Path) -> bool:
    """An ``ARCHIVE_DB.pl``, or a folder holding one."""
    if path.is_dir():
        return _database_in(path) is not None
    if path.name.lower() == DATABASE_NAME.lower():
        return True
    if path.suffix.lower() != ".pl":
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return False
    return b"%FILES" in head and b"=>" in head


def iter_automated_archive_documents(path: str | Path, config: Config | None = None, *,
                                     stories_root: str | Path | None = None
                                     ) -> Iterator[Document | ItemError]:
    """One record document per story in an Automated Archive database.

    ``path`` is ``ARCHIVE_DB.pl`` or the folder that holds it. Records that cannot be read are
    ``aa-record`` items; the other records still import.
    """
    location = Path(path)
    database = _database_in(location) if location.is_dir() else location
    if database is None or not database.is_file():
        raise UsageError(f"{path}: no {DATABASE_NAME} found")
    limits = Limits.from_config(config)
    root = Path(stories_root) if stories_root is not None else database.parent
    data = database.read_bytes()
    decoded = decode_bytes(data)
    finder = _StoryFinder(root)
    label = str(database)
    try:
        entries = list(iter_hash_entries(decoded.text, "FILES"))
    except PerlSyntaxError:
        try:
            entries = list(iter_hash_entries(decoded.text))  # an archive that renamed %FILES
        except PerlSyntaxError as exc:
            yield ItemError(label, "aa-database", f"not an Automated Archive database: {exc}")
            return
    stamp = datetime.fromtimestamp(database.stat().st_mtime, UTC)
    for entry in entries:
        where = f"{label}#{entry.key}" if entry.key else f"{label}@line{entry.line}"
        if entry.error is not None:
            yield ItemError(where, "aa-record", f"record cannot be read: {entry.error}")
            continue
        if not isinstance(entry.value, dict):
            yield ItemError(where, "aa-record", f"record at line {entry.line} is not a hash")
            continue
        yield _record_document(entry.key or "", entry.value, entry.repairs, where, label,
                               finder, limits, stamp, decoded.encoding)


def _database_in(folder: Path) -> Path | None:
    for candidate in sorted(folder.iterdir()):
        if candidate.is_file() and candidate.name.lower() == DATABASE_NAME.lower():
            return candidate
    return None


def _field(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    for key, value in record.items():
        if key.lower() in names and value not in (None, ""):
            return value
    return None


def _record_document(key: str, record: dict[str, Any], repairs: list[str], where: str,
                     label: str, finder: _StoryFinder, limits: Limits, stamp: datetime,
                     encoding: str) -> Document | ItemError:
    cap = limits.max_document_bytes
    locations = _field(record, LOCATION_FIELDS)
    if isinstance(locations, str | int | float):
        locations = [locations]
    filetype = _field(record, ("filetype",))
    external = _field(record, EXTERNAL_FIELDS)
    files: list[dict[str, Any]] = []
    missing: list[dict[str, str]] = []
    total = 0
    for loc in locations or []:
        found = finder.find(str(loc), str(filetype) if filetype else None)
        if found is None:
            missing.append({"location": str(loc), "reason": "no such file below "
                            f"{finder.root}"})
            continue
        size = found.stat().st_size
        total += size
        if total > cap:
            return ItemError(where, "too-large", f"story file {found} makes the record over "
                             f"max_document_bytes ({cap:,})")
        raw = found.read_bytes()
        files.append({
            "location": str(loc),
            "path": found.relative_to(finder.root).as_posix(),
            "media_type": _MEDIA_TYPES.get(found.suffix.lower(), "text/html"),
            "size": len(raw),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "content_base64": base64.b64encode(raw).decode("ascii"),
        })
    body = {
        "format": RECORD_FORMAT,
        "version": RECORD_VERSION,
        "database": Path(label).name,
        "database_encoding": encoding,
        "key": key,
        "fields": {k: _jsonable(v) for k, v in record.items()},
        "files": files,
        "missing": missing,
        "external_url": str(external) if external and str(external).startswith("http")
        else None,
        "repairs": repairs,
    }
    content = json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    first = finder.root / files[0]["path"] if files else None
    return Document(content=content, locator=where, path=str(first) if first else label,
                    media_type=AA_MEDIA_TYPE, declared_charset="utf-8",
                    fetched_at=datetime.fromtimestamp(first.stat().st_mtime, UTC)
                    if first else stamp)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class _StoryFinder:
    """Finds the file a record's ``Location`` names, never outside ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._lower: dict[str, Path] | None = None

    def find(self, location: str, filetype: str | None) -> Path | None:
        for rel in self._candidates(location, filetype):
            found = self._safe(self.root / rel)
            if found is not None:
                return found
        lower = self._lower_index()
        for rel in self._candidates(location, filetype):
            hit = lower.get(rel.lower())
            if hit is not None:
                return self._safe(hit)
        return None

    def _candidates(self, location: str, filetype: str | None) -> Iterator[str]:
        loc = location.strip().replace("\\", "/")
        if "://" in loc:
            loc = unquote(urlsplit(loc).path)
        parts = [p for p in loc.split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            return
        ext = f".{filetype.strip().lstrip('.')}" if filetype and filetype.strip() else None
        # An old server path (/home/fic/public_html/archive/x) is tried by its tail.
        for start in range(len(parts)):
            rel = "/".join(parts[start:])
            for prefix in ("", "archive/"):
                yield prefix + rel
                if ext and not rel.lower().endswith(ext.lower()):
                    yield prefix + rel + ext
                if not posixpath.splitext(rel)[1]:
                    for suffix in (".html", ".htm", ".txt"):
                        yield prefix + rel + suffix

    def _safe(self, path: Path) -> Path | None:
        try:
            resolved = path.resolve()
        except OSError:
            return None
        if resolved.is_file() and resolved.is_relative_to(self.root):
            return resolved
        return None

    def _lower_index(self) -> dict[str, Path]:
        if self._lower is None:
            self._lower = {}
            for path in self.root.rglob("*"):
                if path.is_file():
                    rel = path.relative_to(self.root).as_posix().lower()
                    self._lower.setdefault(rel, path)
        return self._lower
