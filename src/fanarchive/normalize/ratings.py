"""Map a legacy rating, kept raw, to one of AO3's ratings through configurable scales.

Raw ratings are free text: "Strong PG13", "R for language", "NC-17 (sex)", "FR15", "K+",
"Rating: PG". They are cut into tokens and matched against named scales from
``config/ratings.toml`` (see the comments there for the rules).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fanarchive.errors import UsageError
from fanarchive.story import RATINGS, Rating

__all__ = ["NOT_RATED", "RatingScales", "map_rating", "rating_tokens"]

NOT_RATED = "Not Rated"
# How strong each canonical rating is; when several match, the strongest wins because
# under-rating a story is the worse mistake for readers.
_STRENGTH = {NOT_RATED: 0, "General Audiences": 1, "Teen And Up Audiences": 2, "Mature": 3,
             "Explicit": 4}
_CANONICAL = {name.lower(): name for name in RATINGS}
# Runs of letters and runs of digits are separate tokens, so "PG13" and "PG-13" agree, and "+"
# is a token of its own so that "K+" outranks "K" but "PG13+" still finds "PG 13".
_TOKEN = re.compile(r"[^\W\d_]+|\d+|\+")
# "M/M", "F/F", "M/F" in a rating line are categories, not FictionRatings' M.
_GENDER_PAIRS = re.compile(r"\b[mf](?:\s*/\s*[mf])+\b", re.IGNORECASE)
_NEGATIONS = frozenset({"not", "no", "non", "nothing", "never"})

Key = tuple[str, ...]


def rating_tokens(raw: str) -> Key:
    return tuple(_TOKEN.findall(raw.lower()))


class RatingScales:
    """The scales of one configuration, compiled into token-sequence lookups."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        fallback_names = set(config.get("fallback", []))
        self.primary: dict[Key, str] = {}
        self.fallback: dict[Key, str] = {}
        scales = config.get("scales", {})
        for name, scale in scales.items():
            if not isinstance(scale, Mapping):
                raise UsageError(f"ratings.scales.{name} must be a table of rating = canonical")
            target = self.fallback if name in fallback_names else self.primary
            for raw, canonical in scale.items():
                self._add(target, raw, canonical, f"ratings.scales.{name}")
        # The first shipped layout: [canonical] "Explicit" = ["NC-17", ...].
        for canonical, raws in config.get("canonical", {}).items():
            for raw in raws:
                self._add(self.primary, raw, canonical, "ratings.canonical")
        self.longest = max((len(k) for k in (*self.primary, *self.fallback)), default=1)
        self._cache: dict[str, str] = {}

    @staticmethod
    def _add(target: dict[Key, str], raw: str, canonical: str, where: str) -> None:
        name = _CANONICAL.get(str(canonical).strip().lower())
        if name is None:
            raise UsageError(
                f"{where}: {canonical!r} for {raw!r} is not one of {', '.join(RATINGS)}"
            )
        key = rating_tokens(str(raw))
        if key:
            target[key] = name

    def canonical(self, raw: str) -> str:
        cached = self._cache.get(raw)
        if cached is None:
            if len(self._cache) > 50_000:
                self._cache.clear()
            cached = self._cache[raw] = self._match(rating_tokens(_GENDER_PAIRS.sub(" ", raw)))
        return cached

    def _match(self, tokens: Key) -> str:
        primary = fallback = NOT_RATED
        i = 0
        while i < len(tokens):
            for size in range(min(self.longest, len(tokens) - i), 0, -1):
                key = tokens[i : i + size]
                in_primary = key in self.primary
                if not in_primary and key not in self.fallback:
                    continue
                negated = i > 0 and tokens[i - 1] in _NEGATIONS
                if not negated:
                    if in_primary:
                        primary = max(primary, self.primary[key], key=_STRENGTH.__getitem__)
                    else:
                        fallback = max(fallback, self.fallback[key], key=_STRENGTH.__getitem__)
                i += size
                break
            else:
                i += 1
        return primary if primary != NOT_RATED else fallback


_COMPILED: dict[int, tuple[Mapping[str, Any], RatingScales]] = {}


def _scales(config: Mapping[str, Any]) -> RatingScales:
    # Keyed by identity: the same config section is passed for every story of a run. The
    # section is kept in the entry so its id cannot be reused by another object.
    entry = _COMPILED.get(id(config))
    if entry is None or entry[0] is not config:
        if len(_COMPILED) > 16:
            _COMPILED.clear()
        entry = _COMPILED[id(config)] = (config, RatingScales(config))
    return entry[1]


def map_rating(raw: str | None, config: Mapping[str, Any]) -> Rating:
    """The raw rating exactly as given, and its canonical AO3 rating."""
    if raw is None or not raw.strip():
        return Rating(raw=None, canonical=NOT_RATED)
    return Rating(raw=raw, canonical=_scales(config).canonical(raw))
