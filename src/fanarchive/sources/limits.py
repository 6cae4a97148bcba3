"""Size limits for everything a source reads, from ``[fanarchive.limits]`` in the config.

Sources read untrusted bytes: a 3 GB "story", a 42 KB zip that expands to petabytes, an archive
with a million empty members. Every reader checks these limits before it reads and again while
it reads, because archive headers can lie.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from fanarchive.config import Config
from fanarchive.errors import UsageError

# Below this many expanded bytes a high compression ratio is harmless and common (a 40 KB file of
# repeated separator lines compresses 300:1), so the ratio test only starts here.
RATIO_FLOOR_BYTES = 1 << 20


@dataclass(frozen=True)
class Limits:
    """The ``[fanarchive.limits]`` table; defaults match ``config/fanarchive.toml``."""

    max_document_bytes: int = 50_000_000
    max_archive_bytes: int = 2_000_000_000
    max_archive_members: int = 100_000
    max_compression_ratio: float = 200
    max_archive_depth: int = 2

    @classmethod
    def from_config(cls, config: Config | None) -> Limits:
        table: Any = config.get("fanarchive.limits", {}) if config is not None else {}
        if not isinstance(table, dict):
            raise UsageError("config: [fanarchive.limits] must be a table")
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in table:
                continue
            value = table[f.name]
            # bool is an int in Python; "max_archive_depth = true" is a typo, not a 1.
            number_ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not number_ok or value < 0 or (f.name != "max_compression_ratio"
                                              and not float(value).is_integer()):
                raise UsageError(
                    f"config: fanarchive.limits.{f.name} must be a whole number >= 0, "
                    f"not {value!r}"
                )
            values[f.name] = value if f.name == "max_compression_ratio" else int(value)
        return cls(**values)

    def bomb_reason(self, expanded: int, packed: int | None) -> str | None:
        """Why ``packed`` compressed bytes expanding to ``expanded`` bytes look like a bomb."""
        if expanded < RATIO_FLOOR_BYTES or packed is None:
            return None
        ratio = expanded / max(packed, 1)
        if ratio <= self.max_compression_ratio:
            return None
        return (
            f"expands {ratio:,.0f} times ({packed:,} to {expanded:,} bytes), more than "
            f"max_compression_ratio {self.max_compression_ratio:g}: a decompression bomb"
        )


@dataclass
class Budget:
    """What is left of the archive limits for one archive on disk and everything nested in it.

    Shared by nested archives so a zip of ten zips of ten zips cannot multiply the limits.
    """

    bytes_left: int
    members_left: int

    @classmethod
    def for_archive(cls, limits: Limits) -> Budget:
        return cls(bytes_left=limits.max_archive_bytes, members_left=limits.max_archive_members)
