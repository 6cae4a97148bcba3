"""CSV: one row per story, lists joined with "; ", chapters left out (use JSONL for text)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fanarchive.export.atomic import atomic_text

COLUMNS = (
    "id", "title", "authors", "author_emails", "rating", "rating_raw", "fandoms",
    "relationships", "characters", "warnings", "categories", "tags", "summary", "notes",
    "disclaimer", "series", "series_part", "language", "status", "published", "updated",
    "word_count", "chapters", "quality_flags", "sources",
)


def _row(r: dict[str, Any]) -> dict[str, Any]:
    def join(values: list[Any]) -> str:
        return "; ".join(str(v) for v in values if v)

    series = r.get("series") or {}
    return {
        "id": r["id"], "title": r["title"],
        "authors": join([a["name"] for a in r["authors"]]),
        "author_emails": join([a["email"] for a in r["authors"]]),
        "rating": r["rating"]["canonical"], "rating_raw": r["rating"]["raw"],
        "fandoms": join(r["fandoms"]), "relationships": join(r["relationships"]),
        "characters": join(r["characters"]), "warnings": join(r["warnings"]),
        "categories": join(r["categories"]), "tags": join(r["tags"]),
        "summary": r["summary"], "notes": r["notes"], "disclaimer": r["disclaimer"],
        "series": series.get("title"), "series_part": series.get("part"),
        "language": r["language"], "status": r["status"], "published": r["published"],
        "updated": r["updated"], "word_count": r["word_count"], "chapters": len(r["chapters"]),
        "quality_flags": join([f["code"] for f in r["quality_flags"]]),
        "sources": join([s["url"] or s["path"] for s in r["sources"]]),
    }


def write(records: Iterable[dict[str, Any]], output: Path,
          on_record: Callable[[], None] | None = None) -> int:
    count = 0
    with atomic_text(output, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for record in records:
            writer.writerow(_row(record))
            count += 1
            if on_record:
                on_record()
    return count
