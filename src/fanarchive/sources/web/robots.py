"""robots.txt rules for one host, read with protego, following RFC 9309.

The status of the robots.txt response decides as much as its text: a 4xx means no rules
(everything allowed), while a 5xx or a network failure means the site cannot tell us what it
allows, so nothing is fetched from that host in this run (RFC 9309 section 2.3.1.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

# RFC 9309 asks crawlers to parse at least 500 KiB; anything beyond is ignored.
MAX_ROBOTS_BYTES = 512_000


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


@dataclass(frozen=True)
class RobotsRules:
    """What one host allows ``agent`` to fetch; ``reason`` says where the rules came from."""

    agent: str
    parser: Protego | None = None
    disallow_all: bool = False
    reason: str = ""

    @classmethod
    def from_response(cls, agent: str, status: int | None, body: bytes,
                      error: str | None = None) -> RobotsRules:
        if status is None:
            return cls(agent, disallow_all=True,
                       reason=f"robots.txt unreachable ({error or 'no response'})")
        if status >= 500 or status == 429:
            return cls(agent, disallow_all=True, reason=f"robots.txt answered {status}")
        if status >= 400:
            return cls(agent, reason=f"no robots.txt ({status})")
        if status >= 300:
            # Redirects were already followed within the host; one that leaves it is treated
            # like a missing file rather than letting another host set our rules.
            return cls(agent, reason=f"robots.txt redirected away ({status})")
        text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        return cls(agent, parser=Protego.parse(text), reason="robots.txt")

    @classmethod
    def allow_all(cls, agent: str, reason: str = "") -> RobotsRules:
        return cls(agent, reason=reason)

    def allowed(self, url: str) -> bool:
        if self.disallow_all:
            return False
        if self.parser is None:
            return True
        # robots.txt itself is always fetchable; protego wants the full URL.
        if urlsplit(url).path == "/robots.txt":
            return True
        return bool(self.parser.can_fetch(url, self.agent))

    def crawl_delay(self) -> float | None:
        """Seconds between requests the site asks for: Crawl-delay or Request-rate."""
        if self.parser is None:
            return None
        delays = []
        delay = self.parser.crawl_delay(self.agent)
        if delay is not None:
            delays.append(float(delay))
        rate = self.parser.request_rate(self.agent)
        if rate is not None and rate.requests:
            delays.append(rate.seconds / rate.requests)
        return max(delays) if delays else None
