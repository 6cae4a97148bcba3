"""Fandom names and abbreviations, and pairing initials expanded per fandom, from config."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fanarchive.normalize.text import split_list


class FandomMap:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self._fandoms: dict[str, dict[str, Any]] = dict(config.get("fandom", {}))
        self._alias: dict[str, str] = {}
        for name, entry in self._fandoms.items():
            self._alias[name.lower()] = name
            for alias in entry.get("aliases", []):
                self._alias[alias.lower()] = name

    def canonical_fandom(self, raw: str) -> str:
        return self._alias.get(raw.strip().lower(), raw.strip())

    def fandoms(self, raw: str | list[str] | None) -> list[str]:
        return [self.canonical_fandom(f) for f in split_list(raw)]

    def relationships(self, raw: str | list[str] | None, fandoms: list[str]) -> list[str]:
        if raw is None:
            return []
        items = raw if isinstance(raw, list) else re.split(r"\s*[,;]\s*|\s+and\s+", raw)
        out: list[str] = []
        for item in items:
            item = item.strip()
            if not item or item.lower() in ("none", "gen", "n/a", "no pairing"):
                continue
            sep = "/" if "/" in item else "&" if "&" in item else None
            if sep is None:
                continue
            names = [self._character(n.strip(), fandoms) for n in item.split(sep)]
            rel = sep.join(names)
            if rel not in out:
                out.append(rel)
        return out

    def _character(self, short: str, fandoms: list[str]) -> str:
        for fandom in fandoms:
            initials = self._fandoms.get(fandom, {}).get("characters", {})
            if short in initials:
                return str(initials[short])
        return short
