"""Injected network faults, deterministic per (seed, URL, attempt).

A decision depends only on the seed, the request target and how many times that target was
requested before, so a test run is reproducible and a client that retries gets a fresh roll
(and, past ``max_faulted_attempts``, a guaranteed success). Nothing here uses wall-clock time
or a shared random generator.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from email.utils import formatdate

RATE_LIMITED = "429"
UNAVAILABLE = "503"
RESET = "reset"  # the socket is closed with RST before any response byte
SLOW = "slow"  # the body trickles out in chunks with sleeps between them
TRUNCATED = "truncated"  # Content-Length promises more bytes than are sent
ERROR_200 = "error200"  # a database error page served with status 200

ALL_KINDS: tuple[str, ...] = (RATE_LIMITED, UNAVAILABLE, RESET, SLOW, TRUNCATED, ERROR_200)


@dataclass(frozen=True)
class Fault:
    kind: str
    attempt: int
    retry_after_as_date: bool = False  # HTTP-date instead of delta-seconds (429/503 only)

    def retry_after(self, seconds: int, now: float) -> str:
        if self.retry_after_as_date:
            # HTTP-dates have whole-second resolution: round up so the client never retries
            # early, which means it may wait up to a second longer than ``seconds``.
            return formatdate(int(now) + seconds + 1, usegmt=True)
        return str(seconds)


@dataclass
class FaultPlan:
    """Which responses go wrong, and how. Mutable at runtime: tests flip it between requests.

    ``rate`` is the fraction of eligible requests that fault; ``kinds`` (with optional
    ``weights``) picks the kind. ``only`` restricts faults to targets starting with one of the
    prefixes; ``exempt`` (robots.txt by default) never faults.
    """

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = ALL_KINDS
    weights: tuple[float, ...] | None = None
    enabled: bool = True
    retry_after: int = 1
    http_date_share: float = 0.3
    max_faulted_attempts: int | None = 2
    only: tuple[str, ...] | None = None
    exempt: tuple[str, ...] = ("/robots.txt",)
    slow_seconds: float = 0.6
    slow_chunks: int = 6
    truncate_fraction: float = 0.5
    history: list[tuple[str, int, str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(ALL_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        if self.weights is not None and len(self.weights) != len(self.kinds):
            raise ValueError("weights must match kinds")

    @property
    def active(self) -> bool:
        return self.enabled and self.rate > 0 and bool(self.kinds)

    def configure(self, **changes: object) -> FaultPlan:
        """Change settings in place (e.g. ``rate=0.2, kinds=("429",)``); returns self."""
        updated = replace(self, **changes)  # type: ignore[arg-type]  # validates via post_init
        for name in self.__dataclass_fields__:
            if name != "history":
                setattr(self, name, getattr(updated, name))
        self.enabled = bool(changes.get("enabled", True))
        return self

    def disable(self) -> None:
        self.enabled = False

    def eligible(self, target: str) -> bool:
        path = target.split("?", 1)[0]
        if any(path == e or path.startswith(e.rstrip("/") + "/") for e in self.exempt):
            return False
        return self.only is None or any(target.startswith(p) for p in self.only)

    def decide(self, target: str, attempt: int) -> Fault | None:
        """The fault for the ``attempt``-th request (0-based) of ``target``, or None."""
        if not self.active or not self.eligible(target):
            return None
        if self.max_faulted_attempts is not None and attempt >= self.max_faulted_attempts:
            return None
        roll = _rolls(self.seed, target, attempt)
        if roll[0] >= self.rate:
            return None
        kind = _pick(self.kinds, self.weights, roll[1])
        as_date = kind in (RATE_LIMITED, UNAVAILABLE) and roll[2] < self.http_date_share
        return Fault(kind, attempt, as_date)

    def record(self, target: str, fault: Fault) -> None:
        self.history.append((target, fault.attempt, fault.kind))


def _rolls(seed: int, target: str, attempt: int) -> tuple[float, float, float]:
    digest = hashlib.sha256(f"{seed}\x00{target}\x00{attempt}".encode()).digest()
    scale = float(1 << 64)
    return tuple(  # type: ignore[return-value]
        int.from_bytes(digest[i:i + 8], "big") / scale for i in (0, 8, 16)
    )


def _pick(kinds: tuple[str, ...], weights: tuple[float, ...] | None, roll: float) -> str:
    weights = weights or tuple(1.0 for _ in kinds)
    point = roll * sum(weights)
    for kind, weight in zip(kinds, weights, strict=True):
        point -= weight
        if point < 0:
            return kind
    return kinds[-1]
