"""Crawl settings: shipped ``[crawl]`` defaults, then per-source overrides, then CLI flags.

Every politeness knob lives here so a source can loosen or tighten them without code. A value
of 0 for a delay really means no waiting (tests and benchmarks rely on that); 0 for a count or
byte budget means "no limit".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from fanarchive.config import Config
from fanarchive.errors import UsageError

DEFAULT_USER_AGENT = "fanarchive/0.1 (+https://fanarchive.invalid; contact: set [crawl] contact)"


@dataclass(frozen=True)
class CrawlSettings:
    # Politeness, per host.
    delay: float = 1.0  # seconds between request starts to one host
    jitter: float = 0.5  # each delay is lengthened by a random 0..jitter fraction of itself
    concurrency: int = 2  # requests in flight per host
    ignore_crawl_delay: bool = False
    max_crawl_delay: float = 300.0  # a robots.txt Crawl-delay above this is capped (and noted)
    # Budgets, per run of the crawler.
    max_pages: int = 100_000
    max_depth: int = 20
    max_bytes: int = 20_000_000  # one response body
    max_total_bytes: int = 10_000_000_000
    # Network.
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0  # a whole response, so a trickling server cannot hold a slot
    max_redirects: int = 10
    proxy: str = ""
    # Failures.
    retries: int = 5  # retries after the first attempt, per URL
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    max_retry_after: float = 600.0  # longest Retry-After honoured; longer ones are capped
    breaker_threshold: int = 10  # consecutive failures that pause a host ...
    breaker_pause: float = 300.0  # ... for this many seconds
    breaker_max_trips: int = 3  # pauses before the host is given up for this run
    # Scope and traps.
    hosts: tuple[str, ...] = ()  # extra hosts in scope; the start URLs' hosts always are
    path_prefixes: tuple[str, ...] = ()  # empty: the start URLs' folders
    max_url_length: int = 2000
    # Pages in a row along one paginated URL pattern (?offset=, ?month=) that found no new
    # URL: past this, the pattern is an endless calendar or listing.
    max_chain: int = 25
    max_path_repeats: int = 3  # a path segment seen this often is a trap (/a/b/a/b/a/b)
    max_path_segments: int = 30
    allow_private: bool = False  # loopback, private and link-local addresses
    # Identity and consent.
    user_agent: str = DEFAULT_USER_AGENT
    contact: str = ""
    adult: bool = False  # the archivist consents to age/content gates
    # Query parameters that carry a reader's consent to a gate (eFiction's listings link rated
    # stories with them). Without ``adult`` they are taken off every link before it is queued,
    # so the story's gate is met and recorded instead of passed.
    consent_params: tuple[str, ...] = ("ageconsent", "warning")

    def __post_init__(self) -> None:
        problems = []
        if self.concurrency < 1:
            problems.append("concurrency must be at least 1")
        for name in ("delay", "jitter", "backoff_base", "backoff_cap", "max_retry_after",
                     "breaker_pause", "connect_timeout", "read_timeout", "total_timeout"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative")
        if self.jitter > 1:
            problems.append("jitter is a fraction of the delay (0 to 1)")
        for name in ("max_pages", "max_depth", "max_bytes", "max_total_bytes", "retries",
                     "max_redirects", "breaker_threshold", "breaker_max_trips"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative")
        if problems:
            raise UsageError("crawl settings: " + "; ".join(problems))

    @property
    def agent_token(self) -> str:
        """The product token robots.txt groups are matched against."""
        return self.user_agent.split("/", 1)[0].split()[0].lower() or "fanarchive"

    def user_agent_header(self) -> str:
        """The User-Agent sent, naming the archivist's contact once one is configured."""
        contact = self.contact.strip()
        if not contact:
            return self.user_agent
        if "contact:" in self.user_agent:
            return re.sub(r"contact:[^;)]*", f"contact: {contact}", self.user_agent, count=1)
        return f"{self.user_agent} (contact: {contact})"

    def with_overrides(self, *layers: Mapping[str, Any] | None) -> CrawlSettings:
        """A copy with each layer applied in order; None values (unset CLI flags) are skipped."""
        values: dict[str, Any] = {}
        known = {f.name: f for f in fields(self)}
        for layer in layers:
            for key, value in (layer or {}).items():
                name = key.replace("-", "_")
                if value is None:
                    continue
                if name not in known:
                    raise UsageError(f"unknown crawl setting {key!r}")
                values[name] = _coerce(name, known[name].type, value)
        return dataclasses.replace(self, **values) if values else self

    @classmethod
    def from_config(cls, config: Config | Mapping[str, Any] | None,
                    *overrides: Mapping[str, Any] | None) -> CrawlSettings:
        """Defaults from ``[crawl]`` in the shipped or user TOML, then each override layer.

        Typical layers: the source's stored settings (``source.settings["crawl"]``), then the
        command-line flags (``{"delay": 0, "adult": True, "max_pages": None}``).
        """
        if isinstance(config, Config):
            table = config.get("fanarchive.crawl", {}) or {}
        else:
            table = dict(config or {})
        return cls().with_overrides(table, *overrides)


_BOOL_WORDS = {"true": True, "yes": True, "1": True, "on": True,
               "false": False, "no": False, "0": False, "off": False}


def _coerce(name: str, kind: Any, value: Any) -> Any:
    kind = str(kind)
    try:
        if kind == "bool":
            if isinstance(value, str):
                return _BOOL_WORDS[value.strip().lower()]
            return bool(value)
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if kind == "float":
            return float(value)
        if kind.startswith("tuple"):
            if isinstance(value, str):
                value = [v for v in re.split(r"[,\s]+", value) if v]
            return tuple(str(v) for v in value)
        return str(value)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"crawl setting {name}: {value!r} is not a valid {kind}") from exc
