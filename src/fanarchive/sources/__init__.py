"""Sources: turn a location (file, folder, archive, URL, dump) into documents.

``iter_location`` is the single entry point the import pipeline uses; each item it yields is a
:class:`~fanarchive.document.Document` or an :class:`~fanarchive.errors.ItemError` for an item
that could not be read (the run records it and goes on).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError, UsageError


def iter_location(location: str, config: Config) -> Iterator[Document | ItemError]:
    path = Path(location)
    if not path.exists():
        raise UsageError(f"{location}: no such file or folder")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            yield ItemError(str(file), "unreadable", f"cannot read file: {exc.strerror}")
            continue
        yield Document(content=data, locator=str(file), path=str(file))


def count_location(location: str) -> int | None:
    path = Path(location)
    if path.is_file():
        return 1
    if path.is_dir():
        return sum(1 for p in path.rglob("*") if p.is_file())
    return None
