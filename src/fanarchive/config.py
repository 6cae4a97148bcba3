"""Configuration: shipped defaults in ``config/*.toml`` overlaid by the user's TOML file.

Each shipped file becomes a top-level table named after the file (``ratings.toml`` ->
``config["ratings"]``). A user file passed with ``--config`` is merged on top, table by table,
so a user can add one fandom without copying the whole map.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fanarchive.errors import UsageError

DEFAULT_FILES = ("fanarchive", "ratings", "fandoms")


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def default_config_dir() -> Path:
    return Path(str(resources.files("fanarchive_config")))


@dataclass
class Config:
    data: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        return value if isinstance(value, dict) else {}

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    @property
    def home(self) -> Path:
        """The data folder: everything fanarchive writes by default lives below it."""
        env = os.environ.get("FANARCHIVE_HOME")
        if env:
            return Path(env).expanduser()
        configured = self.get("fanarchive.data.home")
        if configured:
            return Path(configured).expanduser()
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(xdg) / "fanarchive"


def load_config(user_file: Path | None = None) -> Config:
    data: dict[str, Any] = {}
    base = default_config_dir()
    for stem in DEFAULT_FILES:
        with (base / f"{stem}.toml").open("rb") as fh:
            data[stem] = tomllib.load(fh)
    if user_file is not None:
        try:
            with Path(user_file).open("rb") as fh:
                data = _merge(data, tomllib.load(fh))
        except FileNotFoundError as exc:
            raise UsageError(f"config file {user_file} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"config file {user_file} is not valid TOML: {exc}") from exc
    return Config(data=data, path=user_file)
