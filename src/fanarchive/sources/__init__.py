"""Sources: turn a location (file, folder, archive, URL, dump) into documents.

``iter_location`` is the single entry point the import pipeline uses; each item it yields is a
:class:`~fanarchive.document.Document` or an :class:`~fanarchive.errors.ItemError` for an item
that could not be read (the run records it and goes on). Locators are absolute paths, with
``!member/path`` appended for each archive level, so the same file is the same item whatever
folder the import was started from.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError, UsageError
from fanarchive.sources.files import iter_file, walk
from fanarchive.sources.limits import Limits

__all__ = ["Limits", "count_location", "iter_location"]

_ARCHIVES = (".zip", ".7z")


def iter_location(location: str, config: Config) -> Iterator[Document | ItemError]:
    """Every document below ``location``: a file, a folder (recursively) or an archive.

    Raises UsageError only when the location itself does not exist; everything that goes wrong
    with one item is yielded as an ItemError and the iteration goes on.
    """
    limits = Limits.from_config(config)
    path = _existing(location)  # raised now, not at the first next()
    return _iter_path(path, limits)


def _iter_path(path: str, limits: Limits) -> Iterator[Document | ItemError]:
    if not os.path.isdir(path):
        yield from iter_file(path, limits)
        return
    for item in walk(path):
        if isinstance(item, ItemError):
            yield item
        else:
            yield from iter_file(item, limits)


def count_location(location: str, config: Config | None = None) -> int | None:
    """About how many items ``iter_location`` will yield, for a progress bar; None if unknown.

    Cheap: folders are listed, zip and 7z member lists are read, nothing is decompressed.
    """
    from fanarchive.sources.counting import estimate_file

    try:
        path = _existing(location)
        if not os.path.isdir(path):
            return estimate_file(path)
        total = 0
        for item in walk(path):
            # Opening every file of a large folder is not cheap; only archives are worth it.
            if isinstance(item, str) and item.lower().endswith(_ARCHIVES):
                total += estimate_file(item) or 1
            else:
                total += 1
        return total
    except (UsageError, OSError):
        return None


def _existing(location: str) -> str:
    if "://" in location:
        raise UsageError(f"{location}: URLs are not supported by this source yet")
    path = os.path.abspath(os.path.expanduser(location))
    if not os.path.lexists(path):
        raise UsageError(f"{location}: no such file or folder")
    return path
