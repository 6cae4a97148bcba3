"""An eFiction 3.5-like archive: routing, age gate, members-only login and robots.txt.

Behaviour copied from real eFiction that crawlers must cope with:

* rated stories answer with an interstitial (status 200) until the reader consents: the
  "Continue" link adds ``&warning=<rid>`` (plus ``&ageconsent=ok`` for age-consent ratings);
  consent is then remembered in the PHP session (``PHPSESSID`` cookie) for that rating;
* story pages send PHP's no-cache headers and no validators unless ``conditional`` is set;
* listing links carry ``PHPSESSID`` query parameters that change from page to page;
* an endless calendar, links to robots-disallowed pages and off-host links in the footer.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.sites import efiction_pages as pages
from tests.sites.content import AGE_CONSENT, ArchiveModel, Story
from tests.sites.markup import qs
from tests.sites.wire import Request, Response

PHP_HEADERS = [
    ("X-Powered-By", "PHP/5.2.17"),
    ("Expires", "Thu, 19 Nov 1981 08:52:00 GMT"),
    ("Cache-Control", "no-store, no-cache, must-revalidate, post-check=0, pre-check=0"),
    ("Pragma", "no-cache"),
]


@dataclass
class EFictionOptions:
    conditional: bool = False  # send ETag/Last-Modified and answer 304 (real eFiction: no)
    generator_meta: bool = True  # <meta name="generator"> on listing pages (never on stories)
    session_ids: bool = True  # PHPSESSID=... in listing links
    date_format: str = "%B %d %Y"
    per_page: int = 15
    crawl_delay: float = 0.1  # robots.txt Crawl-delay; real sites say 1-10, tests want speed
    disallow: tuple[str, ...] = ("/admin.php", "/reviews.php")
    member_login: tuple[str, str] = ("reader", "secret")
    # eFiction's disablepopups off: listings link rated stories through a javascript confirm()
    # carrying the consent parameters (see efiction_pages.title_href).
    popups: bool = False
    title_listing: bool = True  # False: no browse.php?type=titles (404) and no menu link to it
    # False: no printer view; viewstory.php ignores action=printable and shows the reading view
    # (a site that switched printing off), and story pages show no print icon.
    printer_view: bool = True
    # Stories whose printer view (any viewstory.php?action=printable) answers
    # ``broken_printer_status`` before any gate, as a rewrite rule or a broken print template
    # does; their reading view and chapter pages work, and the print icons stay on the pages.
    broken_printer: tuple[int, ...] = ()
    broken_printer_status: int = 404


@dataclass
class EFictionSite:
    model: ArchiveModel
    options: EFictionOptions = field(default_factory=EFictionOptions)
    name: str = "efiction"
    # PHP session store: session id -> consented rating ids, and logged-in sessions.
    _consents: dict[str, set[int]] = field(default_factory=dict)
    _members: set[str] = field(default_factory=set)
    _session_counter: itertools.count = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- URL helpers (paths; join them with ArchiveServer.urljoin) -------------------------

    def story_path(self, sid: int) -> str:
        return f"/viewstory.php?sid={sid}"

    def index_path(self, sid: int) -> str:
        return f"/viewstory.php?sid={sid}&index=1"

    def chapter_path(self, sid: int, number: int) -> str:
        return f"/viewstory.php?sid={sid}&chapter={number}"

    def printable_path(self, sid: int) -> str:
        return f"/viewstory.php?action=printable&sid={sid}&chapter=all"

    def consent_path(self, sid: int) -> str:
        """The URL the gate's Continue link points at (for gated stories)."""
        story = self.model.story(sid)
        rating = self.model.rating_of(story)
        if rating.warning_level & AGE_CONSENT:
            return f"/viewstory.php?sid={sid}&ageconsent=ok&warning={rating.rid}"
        return f"/viewstory.php?sid={sid}&warning={rating.rid}"

    def listing_path(self, offset: int = 0) -> str:
        return f"/browse.php?type=titles&offset={offset}"

    def story_paths(self) -> list[str]:
        return [self.story_path(s.sid) for s in self.model.visible_stories()]

    # ---- dispatch -----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        routes: dict[str, Callable[[Request], Response]] = {
            "/": self._home,
            "/index.php": self._home,
            "/robots.txt": self._robots,
            "/browse.php": self._browse,
            "/authors.php": lambda r: self._page(pages.authors_list(self._ctx(r))),
            "/viewuser.php": self._user,
            "/viewstory.php": self._viewstory,
            "/viewseries.php": self._series,
            "/calendar.php": self._calendar,
            "/user.php": self._user_php,
            "/admin.php": self._admin,
            "/reviews.php": self._reviews,
        }
        route = routes.get(request.path)
        if route is None:
            return Response.not_found()
        return route(request)

    def _ctx(self, request: Request, session_links: bool = False) -> pages.PageContext:
        session_id = None
        if session_links and self.options.session_ids:
            # A different id per listing page, so one story shows up under many URLs.
            seed = f"{self.model.seed}:{request.target}".encode()
            session_id = hashlib.sha1(seed).hexdigest()[:26]
        return pages.PageContext(self.model, self.options.date_format,
                                 self.options.generator_meta, session_id, request.base_url,
                                 self.options.popups, self.options.title_listing,
                                 self.options.printer_view)

    def _page(self, html: str, status: int = 200, story: Story | None = None) -> Response:
        response = Response.html(html, status=status)
        response.headers.extend(PHP_HEADERS)
        response.last_modified = story.modified if story is not None else self.model.now
        return response

    # ---- site pages ---------------------------------------------------------------------

    def _home(self, request: Request) -> Response:
        return self._page(pages.home(self._ctx(request)))

    def _robots(self, request: Request) -> Response:
        lines = ["User-agent: *", f"Crawl-delay: {self.options.crawl_delay:g}"]
        lines += [f"Disallow: {path}" for path in self.options.disallow]
        response = Response.text("\n".join(lines) + "\n")
        response.last_modified = self.model.now
        return response

    def _browse(self, request: Request) -> Response:
        model = self.model
        kind = request.arg("type")
        offset = max(0, request.int_arg("offset", 0) or 0)
        ctx = self._ctx(request, session_links=True)
        per_page = self.options.per_page
        if kind is None:
            return self._page(pages.browse_menu(ctx))
        if kind == "series":
            return self._page(pages.series_list(ctx))
        stories = model.by_title()
        if kind == "titles":
            if not self.options.title_listing:
                return Response.not_found()
            heading, base = "Titles", "browse.php?type=titles"
        elif kind == "recent":
            stories, heading, base = model.recent(per_page), "Most Recent", "browse.php?type=recent"
        elif kind == "categories":
            catid = request.int_arg("catid")
            if catid is None:
                return self._page(pages.category_list(ctx))
            if catid not in model.categories:
                return Response.not_found()
            stories = [s for s in stories if catid in s.catids]
            heading = model.categories[catid].name
            base = "browse.php?" + qs(type="categories", catid=catid)
        elif kind == "characters":
            charid = request.int_arg("charid")
            if charid not in model.characters:
                return Response.not_found()
            stories = [s for s in stories if charid in s.charids]
            heading = model.characters[charid].name
            base = "browse.php?" + qs(type="characters", charid=charid)
        elif kind == "class":
            classid = request.int_arg("classid")
            if classid not in model.classes:
                return Response.not_found()
            stories = [s for s in stories if classid in s.classids]
            story_class = model.classes[classid]
            heading = story_class.name
            base = "browse.php?" + qs(type="class", type_id=story_class.type_id, classid=classid)
        else:
            return Response.not_found()
        return self._page(pages.listing(ctx, heading, stories, base, offset, per_page))

    def _user(self, request: Request) -> Response:
        uid = request.int_arg("uid")
        if uid not in self.model.authors:
            return Response.not_found()
        return self._page(pages.user_page(self._ctx(request), uid))

    def _series(self, request: Request) -> Response:
        seriesid = request.int_arg("seriesid")
        if seriesid not in self.model.series:
            return Response.not_found()
        return self._page(pages.series_page(self._ctx(request), seriesid))

    def _calendar(self, request: Request) -> Response:
        year = request.int_arg("year", self.model.now.year) or self.model.now.year
        month = request.int_arg("month", self.model.now.month) or self.model.now.month
        if not 1 <= month <= 12 or not 1 <= year <= 9999:
            return Response.not_found()
        return self._page(pages.calendar_page(self._ctx(request), year, month))

    def _admin(self, request: Request) -> Response:
        return self._page(pages.login_page(self._ctx(request), "Administrators only."))

    def _reviews(self, request: Request) -> Response:
        ctx = self._ctx(request)
        return self._page(pages.simple_page(ctx, "Reviews", "<p>No reviews yet.</p>"))

    # ---- sessions and login ---------------------------------------------------------------

    def _session(self, request: Request) -> str | None:
        return request.cookies.get("PHPSESSID")

    def _new_session(self) -> str:
        with self._lock:
            number = next(self._session_counter)
        return hashlib.sha1(f"{self.model.seed}:session:{number}".encode()).hexdigest()[:26]

    def _user_php(self, request: Request) -> Response:
        ctx = self._ctx(request)
        if request.method == "POST":
            form = request.form
            if (form.get("penname"), form.get("password")) == self.options.member_login:
                session = self._session(request) or self._new_session()
                with self._lock:
                    self._members.add(session)
                response = Response.redirect("index.php")
                response.headers.append(("Set-Cookie", f"PHPSESSID={session}; path=/"))
                return response
            return self._page(pages.login_page(ctx, "Incorrect penname or password."))
        return self._page(pages.login_page(ctx, "Please log in."))

    # ---- stories --------------------------------------------------------------------------

    def _viewstory(self, request: Request) -> Response:
        sid = request.int_arg("sid")
        if sid is None or not self.model.visible(sid):
            return Response.not_found()
        if request.arg("action") == "printable" and sid in self.options.broken_printer:
            status = self.options.broken_printer_status
            return Response.html(f"<html><head><title>{status}</title></head><body><h1>Error "
                                 f"{status}</h1></body></html>", status=status, cacheable=False)
        story = self.model.story(sid)
        ctx = self._ctx(request)
        session = self._session(request)
        if story.members_only:
            with self._lock:
                member = session in self._members
            if not member:
                return self._page(pages.members_only_page(ctx, story), story=story)
        set_cookie = None
        rating = self.model.rating_of(story)
        if rating.warning_level:
            with self._lock:
                consented = session is not None and rating.rid in self._consents.get(session, ())
            if not consented:
                if not self._consent_given(request, story):
                    continue_href = self._continue_href(request, story)
                    html = pages.gate_page(ctx, story, continue_href, rating.warning_text)
                    return self._page(html, story=story)
                session = session or self._new_session()
                with self._lock:
                    self._consents.setdefault(session, set()).add(rating.rid)
                set_cookie = f"PHPSESSID={session}; path=/"
        response = self._story_response(request, ctx, story)
        if set_cookie and response.status == 200:
            response.headers.append(("Set-Cookie", set_cookie))
        return response

    def _consent_given(self, request: Request, story: Story) -> bool:
        rating = self.model.rating_of(story)
        if request.arg("warning") != str(rating.rid):
            return False
        return not rating.warning_level & AGE_CONSENT or request.arg("ageconsent") == "ok"

    def _continue_href(self, request: Request, story: Story) -> str:
        rating = self.model.rating_of(story)
        params: dict[str, object] = {"sid": story.sid}
        for keep in ("action", "textsize", "chapter", "index"):
            value = request.arg(keep)
            if value is not None:
                params[keep] = value
        if rating.warning_level & AGE_CONSENT:
            params["ageconsent"] = "ok"
        params["warning"] = rating.rid
        return "viewstory.php?" + qs(**params)

    def _story_response(self, request: Request, ctx: pages.PageContext,
                        story: Story) -> Response:
        chapter_arg = request.arg("chapter")
        if request.arg("action") == "printable" and self.options.printer_view:
            if chapter_arg == "all":
                chapters = list(story.chapters)
            else:
                number = request.int_arg("chapter", 1) or 1
                if not 1 <= number <= len(story.chapters):
                    return Response.not_found()
                chapters = [story.chapters[number - 1]]
            return self._page(pages.printable(ctx, story, chapters), story=story)
        if request.arg("index") == "1":
            return self._page(pages.story_index(ctx, story), story=story)
        number = request.int_arg("chapter", 1) or 1
        if not 1 <= number <= len(story.chapters):
            return Response.not_found()
        return self._page(pages.chapter_page(ctx, story, story.chapters[number - 1]),
                          story=story)
