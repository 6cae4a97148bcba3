"""What the served sites saw: a thread-safe log of requests for assertions.

Tests use it to count requests per URL, measure the gap a client left after a ``Retry-After``,
check the ``User-Agent`` and conditional headers sent, and prove that no disallowed path was
ever fetched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive view of the request headers (first value wins)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = list(items)
        self._lookup: dict[str, str] = {}
        for name, value in self._items:
            self._lookup.setdefault(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        return self._lookup[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lookup

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True)
class LogEntry:
    """One request. Unpacks as ``(time, method, path, status, headers)``.

    ``path`` is the request target exactly as sent (path plus query). ``status`` is 0 when the
    connection was reset without a response. ``fault`` names the injected fault, if any, and
    ``attempt`` counts earlier requests for the same method and target (0 for the first).
    """

    time: float
    method: str
    path: str
    status: int
    headers: Headers
    fault: str | None = None
    attempt: int = 0

    def __iter__(self) -> Iterator[object]:
        return iter((self.time, self.method, self.path, self.status, self.headers))

    def __getitem__(self, index: int) -> object:
        return (self.time, self.method, self.path, self.status, self.headers)[index]

    def __len__(self) -> int:
        return 5

    @property
    def route(self) -> str:
        """The path without the query string."""
        return urlsplit(self.path).path


@dataclass
class RequestLog:
    _entries: list[LogEntry] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def append(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LogEntry]:
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __getitem__(self, index: int) -> LogEntry:
        with self._lock:
            return self._entries[index]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def paths(self) -> list[str]:
        return [e.path for e in self.entries()]

    def for_path(self, path: str) -> list[LogEntry]:
        """Entries whose target equals ``path`` exactly (query included)."""
        return [e for e in self.entries() if e.path == path]

    def for_route(self, route: str) -> list[LogEntry]:
        """Entries whose path (query ignored) equals ``route``, e.g. ``/viewstory.php``."""
        return [e for e in self.entries() if e.route == route]

    def count(self, path: str) -> int:
        return len(self.for_path(path))

    def gaps(self, path: str) -> list[float]:
        """Seconds between consecutive requests for ``path``: what a Retry-After test measures."""
        times = [e.time for e in self.for_path(path)]
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    def touched(self, prefix: str) -> list[LogEntry]:
        """Entries whose target starts with ``prefix``, e.g. a robots.txt ``Disallow`` value."""
        return [e for e in self.entries() if e.path.startswith(prefix)]

    def faults(self) -> list[LogEntry]:
        return [e for e in self.entries() if e.fault is not None]
