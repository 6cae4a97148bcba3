"""JSON Lines: one story record per line, exactly the contract's fields."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fanarchive.export.atomic import atomic_text


def write(records: Iterable[dict[str, Any]], output: Path,
          on_record: Callable[[], None] | None = None) -> int:
    count = 0
    with atomic_text(output) as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False))
            fh.write("\n")
            count += 1
            if on_record:
                on_record()
    return count
