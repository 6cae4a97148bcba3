"""Exports: every format reads stored stories through :func:`iter_records` and streams."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fanarchive.errors import UsageError
from fanarchive.export.record import story_record
from fanarchive.store.store import Store


@dataclass(frozen=True)
class ExportOptions:
    source: str | None = None
    include_html: bool = False


def iter_records(store: Store, options: ExportOptions) -> Iterator[dict[str, Any]]:
    for row in store.iter_stories(source=options.source):
        story = store.load_story(row)
        yield story_record(row.uid, story, store.sightings(row.id), options.include_html)


def export(store: Store, fmt: str, output: Path, options: ExportOptions,
           on_record: Callable[[], None] | None = None) -> int:
    """Write every stored story to ``output`` in ``fmt``; returns how many were written."""
    from fanarchive.export import csv_export, jsonl

    writers = {"jsonl": jsonl.write, "csv": csv_export.write}
    writer = writers.get(fmt)
    if writer is None:
        raise UsageError(f"unknown export format {fmt!r} (available: {', '.join(writers)})")
    return writer(iter_records(store, options), output, on_record)
