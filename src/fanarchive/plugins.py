"""Find parser plugins through entry points and choose one for a document."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache

import pluggy

from fanarchive import hookspecs
from fanarchive.document import Document
from fanarchive.errors import UsageError
from fanarchive.hookspecs import Parser

ENTRY_POINT_GROUP = "fanarchive.parsers"
MIN_CONFIDENCE = 0.05


@dataclass(frozen=True)
class PluginInfo:
    parser: Parser
    plugin: str
    distribution: str | None


def _plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("fanarchive")
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return pm


@lru_cache(maxsize=1)
def installed_parsers() -> tuple[PluginInfo, ...]:
    """Every parser from every installed plugin, sorted by name."""
    pm = _plugin_manager()
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    found: dict[str, PluginInfo] = {}
    for plugin in pm.get_plugins():
        impl = getattr(plugin, "fanarchive_parsers", None)
        if impl is None:
            continue
        dist = dists.get(id(plugin))
        for parser in impl() or ():
            if not isinstance(parser, Parser):
                print(f"fanarchive: ignoring {parser!r} from {plugin!r}: not a parser",
                      file=sys.stderr)
                continue
            found[parser.name] = PluginInfo(
                parser=parser,
                plugin=getattr(plugin, "__name__", repr(plugin)),
                distribution=f"{dist.project_name} {dist.version}" if dist else None,
            )
    return tuple(found[name] for name in sorted(found))


def get_parser(name: str) -> Parser:
    for info in installed_parsers():
        if info.parser.name == name:
            return info.parser
    known = ", ".join(i.parser.name for i in installed_parsers()) or "none"
    raise UsageError(f"no parser named {name!r} (installed: {known})")


def choose_parser(document: Document, forced: str | None = None) -> tuple[Parser, float] | None:
    """The most confident parser for ``document``, or None when no parser claims it."""
    if forced:
        return get_parser(forced), 1.0
    best: tuple[Parser, float] | None = None
    for info in installed_parsers():
        try:
            confidence = float(info.parser.detect(document))
        except Exception:  # a broken plugin must not stop the run
            continue
        if confidence >= MIN_CONFIDENCE and (best is None or confidence > best[1]):
            best = (info.parser, confidence)
            if confidence >= 1.0:
                break  # certain: no later parser could win (ties go to the first by name)
    return best
