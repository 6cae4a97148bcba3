"""What the pipeline tells the crawler about a page, and what the crawler reports back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_PROBLEMS = 500  # per-URL problems kept in the report; the frontier keeps them all


@dataclass
class PageResult:
    """The pipeline's verdict on one fetched page (a ``ParseResult`` works as well).

    ``page_kind``: "story", "index", ... for content; "gate" for an age/content warning
    interstitial (``consent_url`` is followed only when the archivist consents); "login",
    "challenge", "error" and "maintenance" for access and error pages, which are recorded, and
    for "error"/"maintenance" retried like a 503.
    """

    links: Sequence[str] = ()
    page_kind: str = "story"
    consent_url: str | None = None
    parser: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class UrlOutcome:
    url: str
    state: str
    outcome: str
    status: int | None = None
    reason: str | None = None


@dataclass
class CrawlReport:
    """Counts for ``status`` and the per-URL outcomes of one run of the crawler."""

    source_id: int
    resumed: bool = False
    requests: int = 0
    bytes_in: int = 0
    pages: int = 0  # URLs that got a final response this run
    documents_new: int = 0
    not_modified: int = 0
    retries: int = 0
    failures: int = 0
    retry_after_wait: float = 0.0
    links_queued: int = 0
    seconds: float = 0.0
    stopped: str = "finished"  # or max-pages, max-total-bytes, hosts-given-up
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[UrlOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    frontier: dict[str, int] = field(default_factory=dict)  # states after the run

    def record(self, outcome: UrlOutcome) -> None:
        self.outcomes[outcome.outcome] += 1
        if outcome.outcome not in ("ok", "not-modified", "redirected", "gate-passed",
                                   "consent-applied") \
                and len(self.problems) < MAX_PROBLEMS:
            self.problems.append(outcome)

    @property
    def complete(self) -> bool:
        """True when the crawl drained its frontier (nothing left for a later run)."""
        return self.stopped == "finished"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcomes"] = dict(self.outcomes)
        return data
