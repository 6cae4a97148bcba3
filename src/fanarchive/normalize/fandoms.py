"""Fandom names and abbreviations, and pairing initials expanded per fandom, from config.

``config/fandoms.toml`` lists, per canonical fandom, its aliases and the short forms of its
characters ("B" -> "Buffy Summers"). First names and surnames are derived from the full names
and used when only one character of the fandom has them ("Mulder" -> "Fox Mulder", but "Ray"
stays "Ray" in due South, which has two). A name no fandom of the story knows is kept as
written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from fanarchive.errors import UsageError
from fanarchive.normalize.text import one_line, split_list

__all__ = ["FandomMap"]

_NO_RELATIONSHIP = frozenset({
    "none", "gen", "n/a", "na", "no", "nobody", "no one", "no pairing", "no pairings",
    "none really", "no romance", "not applicable", "-", "--", "friendship", "general",
})
_ITEM_SEPARATORS = re.compile(r"\s*[,;]\s*|\s+and\s+", re.IGNORECASE)
_PAIR_SEPARATORS = re.compile(r"\s*([/&])\s*")
_ANIME_X = re.compile(r"\s+[xX×]\s+")
_QUALIFIER_BEFORE = re.compile(
    r"^(implied|past|one[- ]sided|eventual|background|mentioned|unrequited|pre[- ]?slash|"
    r"hints? of|slight|former|future|established)\s+",
    re.IGNORECASE,
)
_QUALIFIER_AFTER = re.compile(r"\s*(\([^()]*\)|\[[^\[\]]*\])\s*$")
_CROSSOVER = re.compile(r"\s*\(?\b(?:cross-?over|x-?over)\b\)?\s*:?\s*", re.IGNORECASE)
_FANDOM_PARTS = re.compile(r"\s+(?:and|&|x|X|×)\s+|\s*/\s*")
# Words that start a name without being a first name ("The Doctor", "Gul Dukat").
_TITLES = frozenset({"the", "gul", "kai", "lord", "lady", "captain", "commander", "doctor",
                     "dr", "mr", "mrs", "ms", "miss", "professor", "darth", "sir", "agent"})


def _fold(name: str) -> str:
    """A lookup key: case, accents, spaces, dots, hyphens and apostrophes ignored."""
    if not name.isascii():
        name = "".join(c for c in unicodedata.normalize("NFKD", name)
                        if not unicodedata.combining(c))
    return re.sub(r"[\s.'’\-]+", "", name.casefold())


def _fandom_key(name: str) -> str:
    key = re.sub(r"[^0-9a-z]+", " ", name.casefold().replace("&", " and ")).strip()
    return key[4:] if key.startswith("the ") else key


def _derived_names(full: str) -> list[str]:
    """First name and surname of a full name; nothing for "Seven of Nine" or "The Doctor"."""
    parts = full.split()
    if len(parts) < 2 or not all(p[:1].isupper() for p in parts):
        return []
    names = [parts[-1]]
    if parts[0].lower().rstrip(".") not in _TITLES:
        names.append(parts[0])
    if len(parts) > 2 and not any(p.endswith(".") for p in parts[1:]):
        names.append(" ".join(parts[1:]))  # "La Forge", "Wyndam-Pryce" stays whole anyway
    return names


class _Cast:
    """The characters of one fandom, looked up by short form, full name or derived name."""

    def __init__(self, fandom: str, entry: Mapping[str, Any]) -> None:
        characters = entry.get("characters", {})
        if not isinstance(characters, Mapping):
            raise UsageError(f'fandoms.fandom."{fandom}".characters must be a table short = full')
        self.exact: dict[str, str] = {str(k): str(v) for k, v in characters.items()}
        full_names = [*self.exact.values(), *(str(n) for n in entry.get("names", []))]
        self.full: dict[str, str] = {_fold(n): n for n in full_names}
        self.folded = self._unambiguous((_fold(k), v) for k, v in self.exact.items())
        self.derived = self._unambiguous(
            (_fold(part), full) for full in dict.fromkeys(full_names)
            for part in _derived_names(full)
        )
        self.pairings: dict[str, str] = {
            _fold(k): str(v) for k, v in entry.get("pairings", {}).items()
        }

    @staticmethod
    def _unambiguous(pairs: Iterable[tuple[str, str]]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for key, full in pairs:
            if key in out and out[key] != full:
                out[key] = None  # two characters share it: expanding would be a guess
            else:
                out[key] = full
        return out

    def lookup(self, name: str) -> str | None:
        if name in self.exact:
            return self.exact[name]
        key = _fold(name)
        if key in self.full:
            return self.full[key]
        if key in self.derived:
            return self.derived[key]
        return self.folded.get(key)


class FandomMap:
    """Canonical fandoms, relationships and characters for one configuration."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._casts: dict[str, _Cast] = {}
        self._related: dict[str, list[str]] = {}
        self._alias: dict[str, str] = {}
        for name, entry in dict(config.get("fandom", {})).items():
            if not isinstance(entry, Mapping):
                raise UsageError(f'fandoms.fandom."{name}" must be a table')
            self._casts[name] = _Cast(name, entry)
            self._related[name] = [str(r) for r in entry.get("related", [])]
            self._alias[_fandom_key(name)] = name
            for alias in entry.get("aliases", []):
                self._alias[_fandom_key(str(alias))] = name

    # --- fandoms -----------------------------------------------------------------------------

    def known_fandom(self, raw: str) -> str | None:
        return self._alias.get(_fandom_key(raw))

    def canonical_fandom(self, raw: str) -> str:
        """The canonical name of a fandom, or the name as written when it is unknown."""
        return self.known_fandom(raw) or (one_line(raw) or "")

    def fandoms(self, raw: str | list[str] | None) -> list[str]:
        """Fandoms from a header: "BtVS, Angel", "BtVS/SG-1 crossover", "Law and Order".

        "and", "&", "x" and "/" separate fandoms only when every part is a known fandom, so a
        title such as "Lois and Clark" survives.
        """
        if raw is None:
            return []
        items = raw if isinstance(raw, list) else re.split(r"\s*[,;]\s*", raw)
        out: list[str] = []
        for item in items:
            item = one_line(_CROSSOVER.sub(" ", item)) or ""
            if not item or item.lower() in ("none", "n/a", "other", "original"):
                continue
            known = self.known_fandom(item)
            if known:
                names = [known]
            else:
                parts = [p for p in _FANDOM_PARTS.split(item) if p.strip()]
                found = [self.known_fandom(p) for p in parts]
                names = ([f for f in found if f] if len(parts) > 1 and all(found)
                         else [item])
            for name in names:
                if name not in out:
                    out.append(name)
        return out

    # --- characters and relationships -----------------------------------------------------

    def _order(self, fandoms: list[str]) -> list[list[str]]:
        """The story's own fandoms first, then fandoms related to them (Angel for BtVS)."""
        own = [f for f in fandoms if f in self._casts]
        related = [r for f in own for r in self._related.get(f, [])
                   if r in self._casts and r not in own]
        return [own, list(dict.fromkeys(related))]

    def character(self, name: str, fandoms: list[str]) -> str:
        """A character's full name in the story's fandoms, or the name as written."""
        name = one_line(name) or ""
        for group in self._order(fandoms):
            found = {full for f in group if (full := self._casts[f].lookup(name))}
            if len(found) == 1:
                return found.pop()
            if found:
                return name  # "K" is Kira in one fandom and Kirk in another
        return name

    def characters(self, raw: str | list[str] | None, fandoms: list[str]) -> list[str]:
        return list(dict.fromkeys(full for _, full in self.character_pairs(raw, fandoms)))

    def _pairing_alias(self, item: str, fandoms: list[str]) -> str | None:
        key = _fold(item)
        for group in self._order(fandoms):
            for fandom in group:
                found = self._casts[fandom].pairings.get(key)
                if found:
                    return found
        return None

    def _expand(self, names: list[str], fandoms: list[str]) -> list[str]:
        # The whole pairing read in one fandom beats mixing fandoms name by name: in a story
        # tagged "Star Trek", "J/C" is Janeway/Chakotay, not Janeway/Chapel.
        for group in self._order(fandoms):
            for fandom in group:
                cast = self._casts[fandom]
                full = [cast.lookup(n) for n in names]
                if all(full):
                    return [f for f in full if f]
        return [self.character(n, fandoms) for n in names]

    def relationship(self, item: str, fandoms: list[str]) -> str | None:
        """One pairing with its names expanded and its separators kept; None if it is none."""
        item = one_line(item) or ""
        if not item or item.lower() in _NO_RELATIONSHIP:
            return None
        qualifiers: list[str] = []
        before = _QUALIFIER_BEFORE.match(item)
        if before:
            qualifiers.append(before.group(1).lower())
            item = item[before.end() :]
        after = _QUALIFIER_AFTER.search(item)
        if after and after.start() > 0:
            qualifiers.append(after.group(1)[1:-1].strip())
            item = item[: after.start()]
        suffix = f" ({', '.join(q for q in qualifiers if q)})" if any(qualifiers) else ""
        alias = self._pairing_alias(item, fandoms)  # "Spuffy", "MSR"
        if alias:
            return alias + suffix
        if "/" not in item and "&" not in item and _ANIME_X.search(item):
            item = _ANIME_X.sub("/", item)  # "Naruto x Sasuke"
        parts = _PAIR_SEPARATORS.split(item)
        names, separators = parts[::2], parts[1::2]
        if not separators or not all(n.strip() for n in names):
            return None
        full = self._expand(names, fandoms)
        # AO3's spelling: "A/B" for romance, "A & B" for friendship.
        joined = "".join((" & " if sep == "&" else "/") + name
                         for sep, name in zip(separators, full[1:], strict=True))
        return full[0] + joined + suffix

    def relationship_pairs(self, raw: str | list[str] | None,
                           fandoms: list[str]) -> list[tuple[str, str]]:
        """(item as written, relationship) for each pairing of a header, in order.

        "B/S" and "S/B" are one relationship: the second maps to the first spelling.
        """
        if raw is None:
            return []
        if isinstance(raw, list):
            items = [part for value in raw for part in _ITEM_SEPARATORS.split(value)]
        else:
            if raw.strip().lower() in _NO_RELATIONSHIP:
                return []
            items = _ITEM_SEPARATORS.split(raw)
        pairs: list[tuple[str, str]] = []
        first: dict[tuple[str, ...], str] = {}
        for item in items:
            rel = self.relationship(item, fandoms)
            if rel is None:
                continue
            key = tuple(sorted(p.strip() for p in re.split(r"[/&]", rel))) + (str("&" in rel),)
            pairs.append((one_line(item) or rel, first.setdefault(key, rel)))
        return pairs

    def relationships(self, raw: str | list[str] | None, fandoms: list[str]) -> list[str]:
        """Relationships from a header: split on commas, semicolons and "and"; none for "gen"."""
        return list(dict.fromkeys(rel for _, rel in self.relationship_pairs(raw, fandoms)))

    def character_pairs(self, raw: str | list[str] | None,
                        fandoms: list[str]) -> list[tuple[str, str]]:
        """(name as written, full name) for each character of a header, in order."""
        pairs: list[tuple[str, str]] = []
        for item in split_list(raw):
            for name in _PAIR_SEPARATORS.split(item)[::2]:
                full = self.character(name, fandoms) if name.strip() else ""
                if full:
                    pairs.append((one_line(name) or full, full))
        return pairs
