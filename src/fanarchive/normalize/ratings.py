"""Map a legacy rating, kept raw, to one of AO3's ratings through configurable scales."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fanarchive.story import Rating

NOT_RATED = "Not Rated"


def _tokens(raw: str) -> str:
    return " ".join(re.findall(r"[a-z0-9+]+", raw.lower()))


def map_rating(raw: str | None, config: Mapping[str, Any]) -> Rating:
    if raw is None or not raw.strip():
        return Rating(raw=None, canonical=NOT_RATED)
    tokens = _tokens(raw)
    for canonical, patterns in config.get("canonical", {}).items():
        for pattern in patterns:
            if re.search(rf"(?<![a-z0-9+]){re.escape(_tokens(pattern))}(?![a-z0-9+])", tokens):
                return Rating(raw=raw, canonical=canonical)
    return Rating(raw=raw, canonical=NOT_RATED)
