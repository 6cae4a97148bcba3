"""Registered sources: what to sync, from where, how politely, on which schedule."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from fanarchive.errors import UsageError
from fanarchive.store.models import Source
from fanarchive.store.store import Store, now

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Settings a source may carry (CLI flags, TOML keys); everything else is refused by name.
SETTINGS = {
    "adult": bool, "delay": float, "concurrency": int, "max_pages": int,
    "ignore_crawl_delay": bool, "include": list, "exclude": list, "allow_private": bool,
    "deep_recheck_days": float, "deep_recheck_share": float, "index_recheck_days": float,
}


def location_kind(location: str) -> str:
    lowered = location.lower()
    if lowered.startswith(("http://", "https://")):
        return "web"
    if lowered.startswith(("mysql", "mariadb")) and "://" in lowered:
        return "database"
    if lowered.endswith((".warc", ".warc.gz", ".arc", ".arc.gz")):
        return "warc"
    if lowered.endswith((".sql", ".sql.gz")):
        return "dump"
    return "folder" if Path(location).is_dir() else "file"


def validate_schedule(schedule: str | None, timezone: str = "UTC") -> str | None:
    if not schedule:
        return None
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(schedule, timezone=timezone)
    except ValueError as exc:
        raise UsageError(f"schedule {schedule!r} is not a cron expression: {exc}") from exc
    return schedule


def clean_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in settings.items():
        if value is None:
            continue
        kind = SETTINGS.get(key)
        if kind is None:
            known = ", ".join(sorted(SETTINGS))
            raise UsageError(f"unknown source setting {key!r} (known: {known})")
        try:
            cleaned[key] = list(value) if kind is list else kind(value)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"source setting {key} = {value!r}: {exc}") from exc
    return cleaned


def add_source(store: Store, name: str, location: str, *, schedule: str | None = None,
               parser: str | None = None, fandom: str | None = None,
               settings: Mapping[str, Any] | None = None, timezone: str = "UTC",
               replace: bool = False) -> Source:
    if not NAME.match(name):
        raise UsageError(f"source name {name!r}: use letters, digits, '.', '_' or '-'")
    existing = store.get_source(name)
    if existing is not None and not replace:
        raise UsageError(f"source {name} already exists (location {existing.location})")
    values = {
        "location": location, "kind": location_kind(location), "parser": parser,
        "fandom": fandom, "schedule": validate_schedule(schedule, timezone),
        "settings": clean_settings(settings or {}), "updated_at": now(),
    }
    if existing is None:
        source = Source(name=name, created_at=now(), **values)
        store.session.add(source)
    else:
        source = existing
        for key, value in values.items():
            setattr(source, key, value)
    store.commit()
    return source


def list_sources(store: Store, include_adhoc: bool = False) -> Sequence[Source]:
    query = select(Source).order_by(Source.name)
    if not include_adhoc:
        query = query.where(Source.kind != "adhoc")
    return store.session.scalars(query).all()


def require_source(store: Store, name: str) -> Source:
    source = store.get_source(name)
    if source is None or source.kind == "adhoc":
        known = ", ".join(s.name for s in list_sources(store)) or "none"
        raise UsageError(f"no source named {name!r} (registered: {known})")
    return source


def remove_source(store: Store, name: str) -> None:
    """Forget the registration; stories and raw documents stay (nothing is ever deleted)."""
    source = require_source(store, name)
    source.kind = "adhoc"
    source.schedule = None
    source.name = f"removed:{source.name}:{source.id}"
    store.commit()


def load_sources_from_config(store: Store, sources: Mapping[str, Any],
                             timezone: str = "UTC") -> list[Source]:
    """Register or update the ``[sources.NAME]`` tables of a config file."""
    loaded = []
    for name, table in sources.items():
        if not isinstance(table, Mapping) or "location" not in table:
            raise UsageError(f"[sources.{name}] needs a location")
        settings = {k: v for k, v in table.items()
                    if k not in ("location", "schedule", "parser", "fandom")}
        loaded.append(add_source(store, name, str(table["location"]),
                                 schedule=table.get("schedule"), parser=table.get("parser"),
                                 fandom=table.get("fandom"), settings=settings,
                                 timezone=timezone, replace=True))
    return loaded


