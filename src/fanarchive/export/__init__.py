"""Exports: every format reads stored stories through :func:`iter_records` and streams."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from fanarchive.errors import UsageError
from fanarchive.export.record import story_record
from fanarchive.store.store import Store


@dataclass(frozen=True)
class ExportOptions:
    source: str | None = None
    include_html: bool = False
    fandom: str | None = None
    rating: str | None = None
    since: datetime | None = None
    revisions: bool = False
    # AO3 payloads: where the chapter pages will be served; None writes relative URLs.
    base_url: str | None = None


def iter_records(store: Store, options: ExportOptions) -> Iterator[dict[str, Any]]:
    """Export records of the current stories matching ``options``, streamed."""
    from fanarchive.export.items import iter_items

    # iter_items loads stories a batch at a time (three queries per batch, not per story).
    for item in iter_items(store, replace(options, revisions=False)):
        row = item.row
        record = story_record(item.uid, item.story, item.sightings, options.include_html)
        if options.revisions:
            record["revisions"] = [
                {
                    "number": rev.number,
                    "created_at": rev.created_at.isoformat(),
                    "reason": rev.reason,
                    "diff": rev.diff,
                    "record": {k: v for k, v in story_record(
                        row.uid, store.story_from_revision(rev), (), options.include_html
                    ).items() if k not in ("id", "sources")},
                }
                for rev in store.revisions(row)
            ]
        yield record


def export(store: Store, fmt: str, output: Path, options: ExportOptions,
           on_record: Callable[[], None] | None = None) -> int:
    """Write every stored story to ``output`` in ``fmt``; returns how many were written."""
    from fanarchive.export import ao3, csv_export, epub, html_site, jsonl, opendoors

    # JSONL and CSV take contract records; the other formats read stories themselves
    # (raw tag spellings, duplicate links) through export.items with the same filters.
    writers = {"jsonl": jsonl.write, "csv": csv_export.write}
    story_writers = {"opendoors": opendoors.write, "ao3": ao3.write, "epub": epub.write,
                     "html": html_site.write}
    if fmt in story_writers:
        return story_writers[fmt](store, options, output, on_record)
    writer = writers.get(fmt)
    if writer is None:
        known = ", ".join([*writers, *story_writers])
        raise UsageError(f"unknown export format {fmt!r} (available: {known})")
    return writer(iter_records(store, options), output, on_record)
