"""Pages that stand in for content: bot challenges, maintenance, login walls, errors sent as 200.

These are recorded by the pipeline ("not a story page (login)"), never stored as empty
stories. The rules look at the page's title, headings and message boxes, and at its whole text
only when the page is short: a story may well contain the words "access denied".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fanarchive_parsers.htmlstory.dom import Page, body_of, inline_text, title_of
from fanarchive_parsers.htmlstory.text import html_to_text
from lxml import etree

from fanarchive.document import Document

# Visible text longer than this is a real page, whatever words it contains.
SHORT_PAGE = 2500

# Raw-byte markers of bot walls (in scripts and attributes, not the visible text); plain
# substring tests on the lowered head, which is far cheaper than a case-blind regex.
_CHALLENGE_BYTES = (b"cf-browser-verification", b"/cdn-cgi/challenge-platform/", b"cf_chl_opt",
                    b"cf-challenge", b"__cf_chl_", b"ddos-guard", b"sucuri website firewall",
                    b"<title>just a moment...")
_CHALLENGE_TEXT = re.compile(
    r"checking your browser before accessing|attention required! \| cloudflare|"
    r"verify(?:ing)? you are (?:a )?human|enable javascript and cookies to continue|"
    r"ddos protection by",
    re.IGNORECASE,
)
_MAINTENANCE = re.compile(
    r"\b(?:down for|undergoing|scheduled|under) maintenance\b|\bmaintenance mode\b|"
    r"\btemporarily (?:unavailable|offline|closed|down)\b|\bwe'?ll be back\b|"
    r"\bbe right back\b|\bsite (?:is )?(?:currently )?(?:offline|down)\b",
    re.IGNORECASE,
)
_LOGIN = re.compile(
    r"\bregistered users only\b|\bmembers? only\b|\bmust be (?:logged|signed) in\b|"
    r"\bmust (?:log|sign) ?in\b|\bplease (?:log|sign) ?in\b|\blogin required\b|"
    r"\bmust be a (?:registered )?member\b|\bnot authori[sz]ed\b|\baccess denied\b|"
    r"\b(?:do not|don't) have (?:the )?permission\b|\bpermission denied\b|"
    r"\brestricted to (?:registered )?members\b|\bonly (?:registered )?members can\b",
    re.IGNORECASE,
)
_LOGIN_TITLE = re.compile(r"\b(?:log ?in|sign ?in|member login)\b", re.IGNORECASE)
_ERROR = re.compile(
    r"\bdatabase error\b|\bquery failed\b|\bfatal error\b|\bmysqli?_\w+\(|\bsql syntax\b|"
    r"\btoo many connections\b|\bcould not connect\b|\bfailed to connect to the database\b|"
    r"\b(?:story|chapter|page|file|user|author|series) (?:was )?not found\b|"
    r"\b(?:does not|doesn't|no longer) exists?\b|\bhas been (?:deleted|removed)\b|"
    r"\bno such (?:story|chapter|page|user|file)\b|\binvalid (?:story|chapter|sid|id)\b|"
    r"\b404\b.{0,20}\bnot found\b|\bnot found\b.{0,20}\b404\b|\binternal server error\b|"
    r"\bwe encountered an error\b|\bservice unavailable\b|\bbad gateway\b",
    re.IGNORECASE,
)
_MESSAGE_CLASSES = frozenset({"errortext", "errormsg", "error", "errors", "alert", "warning",
                              "message", "notice", "msg"})


@dataclass(frozen=True)
class Access:
    """What stands in for the content, and the words that say so."""

    kind: str  # "challenge", "maintenance", "login" or "error"
    reason: str


def message_boxes(page: Page) -> list[etree._Element]:
    """Elements a site shows messages in: ``.errortext`` and friends, ``#error``."""
    cached: list[etree._Element] | None = page.cache.get("message_boxes")
    if cached is not None:
        return cached
    found = []
    for el in body_of(page).iter():
        if not isinstance(el.tag, str):
            continue
        cls = el.get("class")
        ident = (el.get("id") or "").lower()
        if (cls and _MESSAGE_CLASSES.intersection(cls.lower().split())) or ident in (
                "error", "errortext", "message"):
            found.append(el)
    page.cache["message_boxes"] = found
    return found


def _headline_texts(page: Page) -> list[str]:
    texts = [title_of(page) or ""]
    body = body_of(page)
    for tag in ("h1", "h2", "h3"):
        texts += [inline_text(h) for h in body.iter(tag)][:5]
    # Message boxes break lines with <br>: read them as text so the words stay apart.
    texts += [" ".join(html_to_text(el).split()) for el in message_boxes(page)]
    return [t for t in texts if t]


def classify_access(document: Document, page: Page, *, has_content: bool,
                    visible_text: str | None = None) -> Access | None:
    """The access page ``page`` is, or None when it is (or may be) real content.

    ``has_content`` is the caller's finding that story text or a story list is on the page;
    only a bot challenge or an HTTP error status outranks that.
    """
    head = document.content[:65536].lower()
    if any(marker in head for marker in _CHALLENGE_BYTES):
        return Access("challenge", "bot challenge page (Cloudflare or similar)")
    status = document.http_status or 200
    if has_content and status < 400:
        return None
    text = visible_text if visible_text is not None else _head_text(body_of(page))
    short = len(text) <= SHORT_PAGE
    headlines = _headline_texts(page)
    if short and _CHALLENGE_TEXT.search(text):
        return Access("challenge", "bot challenge page")
    for candidate in headlines + ([text] if short else []):
        if found := _MAINTENANCE.search(candidate):
            return Access("maintenance", f"maintenance page: {_snippet(candidate, found)}")
    for candidate in headlines + ([text] if short else []):
        if found := _LOGIN.search(candidate):
            return Access("login", f"login required: {_snippet(candidate, found)}")
    if has_password_field(page) and short and any(_LOGIN_TITLE.search(h) for h in headlines):
        return Access("login", "login form")
    for candidate in headlines + ([text] if short else []):
        if found := _ERROR.search(candidate):
            return Access("error", f"error page: {_snippet(candidate, found)}")
    if status >= 400:
        return Access("error", f"HTTP status {status}")
    return None


def _head_text(body: etree._Element) -> str:
    """The page's visible text, read only as far as needed to know whether it is short.

    Text nodes are joined with spaces: for matching words a split "<i>W</i>ord" costs less
    than "connections</p><p>Powered" run together.
    """
    parts: list[str] = []
    size = 0
    for chunk in body.itertext():
        parts.append(chunk)
        size += len(chunk)
        if size > 4 * SHORT_PAGE:
            break
    return " ".join(" ".join(parts).split())


def has_password_field(page: Page) -> bool:
    return any((inp.get("type") or "").lower() == "password" for inp in page.root.iter("input"))


def _snippet(text: str, match: re.Match[str]) -> str:
    start = max(match.start() - 40, 0)
    return " ".join(text[start:match.end() + 60].split())
