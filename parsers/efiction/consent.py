"""Consent per rating, learned during one crawl: one age/warning gate per rating, not per story.

eFiction gates a rated story until the reader consents; the gate's "Continue" link adds the
consent parameters (``warning=<rating id>``, plus ``ageconsent=ok`` for age-consent ratings),
which depend on the rating only. A reader's browser remembers the consent in the PHP session;
fanarchive keeps no cookie (a stored page must not depend on an earlier one) and puts the
consent in the URL instead, as eFiction's own javascript listing links do.

:class:`ConsentMemory` is the crawl's memory of it, per host: the rating of each story, from the
listings that describe it ("Rated: NC-17"), and the consent parameters of each rating, from
the first gate met for a story of that rating. ``before_fetch(url)`` then adds them to a
story URL whose rating is known, so the printer view is fetched straight away under the very
URL the gate's consent link would have led to (a re-crawl or sync sees the same pages).

It lives in the crawl (the importer makes one per crawl and only when the archivist consents,
``adult = true``), never in a page's parse result; it is bounded (``MAX_STORIES`` stories and
``MAX_RATINGS`` ratings per host, ``MAX_HOSTS`` hosts; the oldest are forgotten first). A wrong
guess costs nothing but the request it would have cost anyway: a story whose rating changed
answers the gate again, whose consent link is followed as usual.

One story of a rating at a time finds out what the rating needs (its *probe*): while its
answer is awaited, ``before_fetch`` answers None for the other stories of that rating (ask
again shortly), so that two requests in flight at once do not both meet the gate. A story
page of the rating fetched without consent teaches that the rating needs none; a probe left
unanswered (a refused or failing URL) expires after ``PROBE_SECONDS``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .links import CONSENT_PARAMS, query_of, sid_of

MAX_HOSTS = 64
MAX_STORIES = 100_000
MAX_RATINGS = 256
# Parameters of a story URL the gate's consent link keeps (eFiction's warning link carries the
# story, chapter and view): a URL with others is left alone, the gate knows better.
GATE_KEEPS = frozenset({"sid", "action", "textsize", "chapter", "index"})
PROBE_SECONDS = 5.0


class _Host:
    __slots__ = ("consent", "probes", "rating_of")

    def __init__(self) -> None:
        self.rating_of: dict[str, str] = {}  # sid -> rating name, from listings
        # rating -> its consent params; () for a rating whose stories need none
        self.consent: dict[str, tuple[tuple[str, str], ...]] = {}
        self.probes: dict[str, tuple[str, float]] = {}  # rating -> (sid, monotonic start)


class ConsentMemory:
    """Which consent parameters each rating needs, per host, learned as the crawl goes."""

    def __init__(self) -> None:
        self._hosts: dict[str, _Host] = {}

    def observe(self, url: str | None, result: Any) -> None:
        """Learn from one parsed page: a listing's ratings, a gate's consent parameters."""
        if not url or getattr(result, "parser", "efiction") != "efiction":
            return
        kind = getattr(result, "page_kind", None)
        stories = getattr(result, "stories", None) or ()
        self._answered(url, kind)
        if kind == "index":
            host = self._host(url)
            for stub in stories:
                sid = _sid_of_identity(getattr(stub, "identity", None))
                rating = _rating_of(stub)
                if sid is not None and rating is not None:
                    _put(host.rating_of, sid, rating, MAX_STORIES)
        elif kind == "gate":
            links = getattr(result, "links", None) or ()
            consent_url = links[0] if links else None
            sid = sid_of(consent_url)
            if consent_url is None or sid is None:
                return
            known = self._hosts.get(_netloc(url))
            rating = known.rating_of.get(sid) if known is not None else None
            params = tuple((k, v) for k, v in parse_qsl(urlsplit(consent_url).query,
                                                          keep_blank_values=True)
                           if k.lower() in CONSENT_PARAMS)
            if known is not None and rating is not None and params:
                _put(known.consent, rating, params, MAX_RATINGS)

    def before_fetch(self, url: str) -> str | None:
        """``url`` with the consent its story's rating needs, when both are known; ``url``
        itself when nothing is to be added; None while another story of its rating is finding
        out what the rating needs (ask again shortly)."""
        sid = sid_of(url)
        host = self._hosts.get(_netloc(url)) if sid is not None else None
        rating = host.rating_of.get(sid) if host is not None and sid is not None else None
        if host is None or sid is None or rating is None:
            return url
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        keys = {k.lower() for k, _ in pairs}
        if keys & CONSENT_PARAMS or not keys <= GATE_KEEPS:
            return url  # consent given already (perhaps another), or a URL the gate rewrites
        params = host.consent.get(rating)
        if params is None:
            probe = host.probes.get(rating)
            now = time.monotonic()
            if probe is None or probe[0] == sid or now - probe[1] > PROBE_SECONDS:
                host.probes[rating] = (sid, now)
                return url
            return None
        if not params:
            return url
        query = urlencode([*pairs, *params])
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    def _answered(self, url: str, kind: str | None) -> None:
        """A story's page came: its rating's probe is over; a story page fetched without
        consent says the rating needs none."""
        sid = sid_of(url)
        host = self._hosts.get(_netloc(url)) if sid is not None else None
        rating = host.rating_of.get(sid) if host is not None and sid is not None else None
        if host is None or rating is None:
            return
        if host.probes.get(rating, ("",))[0] == sid:
            del host.probes[rating]
        if kind == "story" and rating not in host.consent \
                and not set(query_of(url)) & CONSENT_PARAMS:
            _put(host.consent, rating, (), MAX_RATINGS)

    def _host(self, url: str) -> _Host:
        key = _netloc(url)
        host = self._hosts.get(key)
        if host is None:
            host = _Host()
            _put(self._hosts, key, host, MAX_HOSTS)
        return host

    def __len__(self) -> int:
        return sum(len(h.rating_of) for h in self._hosts.values())


def _put(mapping: dict[Any, Any], key: Any, value: Any, cap: int) -> None:
    """Set ``key``, forgetting the oldest entries beyond ``cap``."""
    mapping.pop(key, None)
    mapping[key] = value
    while len(mapping) > cap:
        mapping.pop(next(iter(mapping)))


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _sid_of_identity(identity: str | None) -> str | None:
    """The sid of ``efiction:<host>:<sid>`` (a host may carry a port: split at the last)."""
    if not identity or not identity.startswith("efiction:"):
        return None
    sid = identity.rsplit(":", 1)[-1]
    return sid if sid.isdigit() else None


def _rating_of(stub: Any) -> str | None:
    fields = getattr(stub, "fields", None) or {}
    rating = fields.get("rating")
    if not isinstance(rating, str):
        return None
    rating = " ".join(rating.split())
    return rating or None

