"""Politeness in one place, keyed by host (the idea of Scrapy's downloader slots).

A :class:`HostSlot` decides when the next request to its host may start: at most
``concurrency`` in flight, request starts spaced by the delay (the larger of ours and the
site's robots.txt ``Crawl-delay``) with jitter, a host-wide wait after ``Retry-After``, and a
circuit breaker that pauses a host after consecutive failures and gives it up after a few
pauses. Nothing else in the crawler sleeps for politeness, and retry waits are computed here.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from fanarchive.sources.web.robots import RobotsRules
from fanarchive.sources.web.settings import CrawlSettings


class HostGivenUp(Exception):
    """The host tripped its circuit breaker too often; leave its URLs for the next run."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass
class SlotStats:
    requests: int = 0
    retry_after_wait: float = 0.0
    breaker_trips: int = 0


@dataclass
class HostSlot:
    key: str
    settings: CrawlSettings
    clock: Callable[[], float] = time.monotonic
    rng: Callable[[], float] = random.random
    delay: float = field(init=False)
    robots: RobotsRules | None = None
    address_error: str | None = None  # set once when the host resolves to a refused address
    stats: SlotStats = field(default_factory=SlotStats)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.delay = self.settings.delay
        self._semaphore = asyncio.Semaphore(self.settings.concurrency)
        self._next_start = 0.0
        self._last_start = -1e9
        self._blocked_until = 0.0  # Retry-After or 429 backoff: the host asked us to wait
        self._paused_until = 0.0  # circuit breaker
        self._failures = 0
        self.robots_lock = asyncio.Lock()
        self.in_flight = 0

    # -- the one place requests wait ---------------------------------------------------------

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one of the host's request slots; entered only when a request may start."""
        async with self._semaphore:
            while True:
                if self.given_up:
                    raise HostGivenUp(self.key)
                now = self.clock()
                ready = max(self._next_start, self._blocked_until, self._paused_until)
                if ready <= now:
                    break
                # Re-check after sleeping: a Retry-After may have pushed the time further.
                await asyncio.sleep(ready - now)
            self._last_start = now
            self._next_start = now + self._spacing()
            self.stats.requests += 1
            self.in_flight += 1
            try:
                yield
            finally:
                self.in_flight -= 1

    def _spacing(self) -> float:
        # Jitter only lengthens: the delay (ours or the site's Crawl-delay) is a minimum.
        if self.delay <= 0:
            return 0.0
        return self.delay * (1 + self.settings.jitter * self.rng())

    # -- what the site told us ---------------------------------------------------------------

    def apply_robots(self, rules: RobotsRules) -> None:
        self.robots = rules
        asked = rules.crawl_delay()
        if asked is None or self.settings.ignore_crawl_delay:
            return
        if asked > self.settings.max_crawl_delay:
            self.notes.append(f"{self.key}: robots.txt asks {asked:g} s between requests; "
                              f"capped at max_crawl_delay = {self.settings.max_crawl_delay:g} s")
            asked = self.settings.max_crawl_delay
        self.delay = max(self.delay, asked)
        # The robots.txt request itself was the first request: the next waits for it too.
        self._next_start = max(self._next_start, self._last_start + self._spacing())

    def wait_requested(self, seconds: float) -> float:
        """Hold every request to this host for ``seconds`` (capped); returns the wait used."""
        wait = min(max(seconds, 0.0), self.settings.max_retry_after)
        until = self.clock() + wait
        if until > self._blocked_until:
            # Count only the part not already covered by an earlier wait on this host.
            self.stats.retry_after_wait += until - max(self._blocked_until, self.clock())
            self._blocked_until = until
        return wait

    def backoff(self, attempt: int) -> float:
        """Exponential backoff before retry number ``attempt`` (1-based), with jitter."""
        base = self.settings.backoff_base
        if base <= 0:
            return 0.0
        wait = min(self.settings.backoff_cap, base * 2 ** max(attempt - 1, 0))
        return wait * (1 + self.settings.jitter * self.rng())

    # -- circuit breaker ---------------------------------------------------------------------

    def record_success(self) -> None:
        self._failures = 0

    def record_failure(self) -> bool:
        """Count a failed request; True when this failure tripped the breaker."""
        self._failures += 1
        threshold = self.settings.breaker_threshold
        if not threshold or self._failures < threshold:
            return False
        self.stats.breaker_trips += 1
        self._paused_until = self.clock() + self.settings.breaker_pause
        # Half-open after the pause: one more failure trips it again at once.
        self._failures = threshold - 1
        if self.given_up:
            self.notes.append(f"{self.key}: gave up after {self.stats.breaker_trips} pauses "
                              "of repeated failures; its URLs stay queued for the next run")
        else:
            self.notes.append(f"{self.key}: {threshold} failures in a row, pausing "
                              f"{self.settings.breaker_pause:g} s")
        return True

    @property
    def given_up(self) -> bool:
        limit = self.settings.breaker_max_trips
        return bool(limit) and self.stats.breaker_trips >= limit

    @property
    def paused(self) -> bool:
        return self.clock() < self._paused_until

    def pause_left(self) -> float:
        return max(0.0, self._paused_until - self.clock())


class Politeness:
    """All host slots of one crawl."""

    def __init__(self, settings: CrawlSettings, clock: Callable[[], float] = time.monotonic,
                 rng: Callable[[], float] = random.random) -> None:
        self.settings = settings
        self.clock = clock
        self.rng = rng
        self.slots: dict[str, HostSlot] = {}

    def slot(self, key: str) -> HostSlot:
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = HostSlot(key, self.settings, self.clock, self.rng)
        return slot

    def notes(self) -> list[str]:
        return [note for slot in self.slots.values() for note in slot.notes]
