"""Cheap member counts for progress bars: headers only, nothing decompressed."""

from __future__ import annotations

import os
import zipfile
from typing import BinaryIO

from fanarchive.errors import ItemError
from fanarchive.sources import names, sniff
from fanarchive.sources.files import open_regular
from fanarchive.sources.limits import Limits


def estimate_file(path: str) -> int | None:
    """Items one file will yield: 1 for a document, the member count for zip and 7z."""
    opened = open_regular(path)
    if isinstance(opened, ItemError):
        return 1
    with opened as fh:
        kind = sniff.archive_kind(fh.read(sniff.HEAD_BYTES), os.path.basename(path))
        fh.seek(0)
        try:
            if kind == "zip":
                return _zip_count(fh)
            if kind == "7z":
                import py7zr

                with py7zr.SevenZipFile(fh, mode="r") as archive:
                    return max(1, sum(1 for f in archive.files if not f.is_directory))
        except Exception:  # a count is only a hint; iter_location reports the real problem
            return 1
        # Tar members are only known by reading the whole stream: not cheap.
        return None if kind is not None else 1


def _zip_count(fh: BinaryIO) -> int:
    from fanarchive.sources.zips import declared_entries

    declared = declared_entries(fh)
    if declared is None or declared > Limits().max_archive_members:
        return 1  # damaged or refused: iter_location reports it as one item
    fh.seek(0)
    with zipfile.ZipFile(fh) as archive:
        infos = archive.infolist()
    return max(1, sum(1 for i in infos if not i.is_dir() and not names.is_hidden(i.filename)))
