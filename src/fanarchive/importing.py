"""The import pipeline: sources -> parsers -> normalize -> store, one run at a time."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError
from fanarchive.identity import story_identity
from fanarchive.normalize import NormalizeContext, normalize_story
from fanarchive.normalize.fields import parse_series
from fanarchive.parsed import ParsedStory, ParseResult, QualityFlag
from fanarchive.plugins import choose_parser, get_parser
from fanarchive.progress import NoProgress, Progress
from fanarchive.sources import locate
from fanarchive.store.database import redact_text
from fanarchive.store.models import NOTE, Run, Source
from fanarchive.store.store import NEW, UNCHANGED, UPDATED, SaveResult, Sighting, Store
from fanarchive.story import Chapter, Story
from fanarchive.wrangle import apply_rules_to_story, load_rules

if TYPE_CHECKING:
    from fanarchive.sync.changes import ChangePolicy

MAX_ERRORS_IN_REPORT = 50
WEB_BUFFER = 200  # stories whose pages are held back for merging (see _buffer_page)


@dataclass
class ImportReport:
    run_id: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    removed: int = 0
    documents: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    crawl: Any = None  # the CrawlReport of a web location
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def stories(self) -> int:
        return self.new + self.updated + self.unchanged


@dataclass
class _Part:
    number: int
    of: int | None
    story: Story
    sighting: Sighting


class Importer:
    """Imports locations into the store. ``run`` may be called once per instance."""

    def __init__(self, store: Store, config: Config, *, parser: str | None = None,
                 fandom: str | None = None, progress: Progress | None = None,
                 stop: threading.Event | None = None,
                 crawl: dict[str, Any] | None = None,
                 changes: ChangePolicy | None = None) -> None:
        self.store = store
        # A sync's change detection (fanarchive.sync.changes): which stored stories' pages a
        # crawl may skip. None for one-off imports, which fetch everything.
        self.changes = changes
        self._may_tombstone = True
        # Set from another thread (SIGTERM in the scheduler): finish the current item,
        # commit, and end the run as "interrupted" without tombstoning anything.
        self.stop = stop or threading.Event()
        # Crawl settings from the command line, over the source's and the config's.
        self.crawl_overrides = {k: v for k, v in (crawl or {}).items() if v is not None}
        self.config = config
        self.forced_parser = parser
        if parser:
            get_parser(parser)  # fail before the run starts when the name is wrong
        self.context = NormalizeContext(config=config, default_fandom=fandom)
        self.progress: Progress = progress or NoProgress()
        self.batch_size = int(config.get("fanarchive.import.batch_size", 1000))
        self._rules = load_rules(store)
        self._parts: dict[str, list[_Part]] = {}
        self._stubs: dict[str, ParsedStory] = {}
        self._whole: set[str] = set()
        self._web: OrderedDict[str, list[tuple[ParsedStory, Sighting]]] = OrderedDict()
        self._seen: dict[str, str] = {}
        self._story_ids: set[int] = set()
        self._failed_locators: set[str] = set()
        self._pending = 0

    def run(self, locations: Iterable[str], source: Source | None = None,
            full_scan: bool = False, kind: str = "import") -> ImportReport:
        """Import ``locations``. With ``full_scan`` (a sync of a registered source), stories of
        ``source`` that were not seen this time are tombstoned."""
        locations = list(locations)
        kinds = [locate.classify(location) for location in locations]  # fails fast on typos
        started = time.monotonic()
        options = {"locations": [redact_text(loc) for loc in locations],
                   "parser": self.forced_parser,
                   "fandom": self.context.default_fandom}
        run = self.store.start_run(kind, source.id if source else None, options)
        report = ImportReport(run_id=run.id)
        # New revisions and raw documents are written per checkpoint, one statement per table.
        deferred, self.store.defer = self.store.defer, True
        totals = [locate.count(loc, self.config, kind) for loc, kind in zip(locations, kinds,
                                                                             strict=True)]
        self.progress.start(None if None in totals else sum(t or 0 for t in totals), "Importing")
        try:
            for location, kind in zip(locations, kinds, strict=True):
                src = source or self.store.ensure_source(
                    f"import:{_absolute(location)}", _absolute(location), kind="adhoc"
                )
                if kind == locate.WEB:
                    self._crawl(location, src, run, report)
                else:
                    for item in locate.open_location(location, self.config, kind):
                        self._item(item, src, run, report)
                        self.progress.advance(item.locator)
                        if self._pending >= self.batch_size:
                            self._checkpoint(run, report)
                        if self.stop.is_set():
                            break
                if self.stop.is_set():
                    break
            self._flush_web(run, report)
            self._flush_parts(run, report)
            self.store.flush()  # every story id is known from here on
            vouched = self.changes.vouched - self._story_ids if self.changes else set()
            report.unchanged += len(vouched)  # seen on the index pages, not fetched again
            listed = self.changes.seen if self.changes else set()
            if full_scan and source is not None and not self.stop.is_set() \
                    and self._may_tombstone:
                report.removed = self.store.tombstone_unseen(
                    source.id, self._story_ids | listed, self._failed_locators)
            self._checkpoint(run, report)
        except BaseException as exc:
            self.store.rollback()
            self._checkpoint(run, report)
            self.store.finish_run(run, "failed", f"{type(exc).__name__}: {exc}")
            raise
        finally:
            self.store.defer = deferred
            self.progress.stop()
        report.seconds = time.monotonic() - started
        report.interrupted = self.stop.is_set()
        self.store.finish_run(run, "interrupted" if report.interrupted else "finished")
        return report

    # -- the web ------------------------------------------------------------------------------

    def _crawl(self, url: str, source: Source, run: Run, report: ImportReport) -> None:
        """Crawl ``url``: the crawler fetches and keeps raw pages, we parse them as they come.

        A sync brings its change detection (``self.changes``). A plain import run again on a
        source whose crawl has finished gets its own (``ChangePolicy.for_rerun``): what the
        index pages show unchanged is not fetched again, and counts as unchanged.
        """
        from fanarchive.sources.web import Crawler, CrawlSettings, PageResult
        from fanarchive.sync.changes import ChangePolicy

        crawl_fields = {f.name for f in dataclasses.fields(CrawlSettings)}
        stored = {k: v for k, v in source.settings.items() if k in crawl_fields}
        settings = CrawlSettings.from_config(self.config, source.settings.get("crawl"), stored,
                                             self.crawl_overrides)
        policy = self.changes if self.changes is not None and self.changes.full_scan else None
        rerun = None
        if policy is None:
            policy = rerun = ChangePolicy.for_rerun(self.store, self.config, source.id,
                                                    source.settings)

        # Consent per rating, learned as the crawl goes (eFiction: one gate per rating, not
        # one per story); only when the archivist consents to gates at all.
        memory = self._consent_memory_of_parsers() if settings.adult else None

        def on_page(doc: Document) -> PageResult:
            result = self._document(doc, source, run, report, save=False, web=True)
            if memory is not None:
                memory.observe(doc.url, result)
            if policy is not None:
                policy.observe(doc, result)
            self.progress.advance(doc.locator)
            if self._pending >= self.batch_size:
                # No commit here: the crawler commits each page with its frontier row, so a
                # page and what it stored survive a crash together or not at all.
                self.store.flush()
                self._count(run, report)
                self._pending = 0
            if self.stop.is_set():
                raise KeyboardInterrupt  # the crawler checkpoints its frontier and stops
            # Parsers put a gate's consent link first; following it is the crawler's call.
            consent = result.links[0] if result.page_kind == "gate" and result.links else None
            return PageResult(links=list(result.links), page_kind=result.page_kind,
                              consent_url=consent, parser=result.parser)

        if policy is not None:
            policy.begin()  # parks unchanged stories' pages; maps them for the replay
        self._replay_unfinished_crawl(source, run, report, policy, memory)
        crawl = Crawler(self.store, source, settings, handle=on_page, run_id=run.id,
                        stand_ins=self._stand_ins_of_parsers(),
                        before_fetch=memory.before_fetch if memory is not None else None)
        try:
            if policy is None:
                outcome = crawl.run([url])
            else:
                outcome = policy.crawl(crawl, url, on_page, run)
                if rerun is None:
                    self._may_tombstone = policy.may_tombstone
        except KeyboardInterrupt:
            if not self.stop.is_set():
                raise
            return
        finally:
            if rerun is not None:
                # run() counts the stories the index pages vouched for as unchanged; a plain
                # import tombstones nothing, so that is all it reads of the policy.
                if self.changes is None:
                    self.changes = rerun
                elif self.changes is not rerun:
                    self.changes.vouched |= rerun.vouched
        report.crawl = outcome
        run.requests = outcome.requests
        run.bytes_in = outcome.bytes_in
        for problem in outcome.problems:
            if problem.state == "failed":
                self._fail(run, report, problem.url, "fetch", problem.outcome,
                           problem.reason or problem.outcome)
            else:  # gated, robots-disallowed, off-scope, login ...: recorded, not failures
                self.store.record_error(run, problem.url, NOTE, problem.outcome,
                                        problem.reason or problem.outcome)

    def _replay_unfinished_crawl(self, source: Source, run: Run, report: ImportReport,
                                 policy: ChangePolicy | None = None,
                                 consent: _ConsentMemories | None = None) -> None:
        """Parse again the pages an interrupted crawl of ``source`` has already fetched.

        The crawler marks a page done once its bytes are stored, but a web story is saved only
        when its pages have been merged (see ``_buffer_page``): after a kill -9 the stories
        still held back are lost while their pages stay done and are never fetched again, and
        so are the stubs of the index pages. Re-reading the stored pages of the unfinished
        crawl brings both back; stories that were saved already come out unchanged.
        """
        from sqlalchemy import select

        from fanarchive.store.crawl_models import DONE, FETCHING, PENDING, CrawlUrl
        from fanarchive.store.models import DocumentRow

        session = self.store.session
        mine = CrawlUrl.source_id == source.id
        if session.scalar(select(CrawlUrl.id).where(
                mine, CrawlUrl.state.in_((PENDING, FETCHING))).limit(1)) is None:
            return  # no crawl in progress: the next one starts afresh
        pages = session.execute(
            select(CrawlUrl.url, DocumentRow.sha256, DocumentRow.media_type,
                   DocumentRow.http_status, DocumentRow.http_headers, DocumentRow.fetched_at)
            .join(DocumentRow, (DocumentRow.source_id == CrawlUrl.source_id)
                  & (DocumentRow.locator_hash == CrawlUrl.url_hash)
                  & (DocumentRow.sha256 == CrawlUrl.content_sha256))
            .where(mine, CrawlUrl.state == DONE, CrawlUrl.outcome.in_(("ok", "gate-passed")))
            .order_by(CrawlUrl.fetched_at, CrawlUrl.id)
        ).all()
        for url, sha256, media_type, status, headers, fetched_at in pages:
            content = self.store.blob(sha256)
            if content is None:
                continue
            headers = dict(headers or {})
            charset = None
            for part in str(headers.get("content-type", "")).split(";")[1:]:
                name, _, value = part.strip().partition("=")
                if name.lower() == "charset" and value:
                    charset = value.strip("\"' ")
            doc = Document(content=content, locator=url, url=url, media_type=media_type,
                           declared_charset=charset, http_status=status, http_headers=headers,
                           fetched_at=fetched_at)
            result = self._document(doc, source, run, report, save=False, web=True)
            if policy is not None:
                policy.observe(doc, result)
            if consent is not None:
                consent.observe(doc.url, result)

    def _consent_memory_of_parsers(self) -> _ConsentMemories | None:
        """One crawl's memory of consent per rating, from the parsers that offer
        ``consent_memory()`` (eFiction: ``parsers/efiction/consent.py``); None when none does.
        """
        from fanarchive.plugins import installed_parsers

        parsers = [get_parser(self.forced_parser)] if self.forced_parser else [
            info.parser for info in installed_parsers()]
        memories = []
        for parser in parsers:
            make = getattr(parser, "consent_memory", None)
            if callable(make):
                try:
                    memories.append(make())
                except Exception:  # plugins are third-party code: no memory, no crash
                    continue
        return _ConsentMemories(memories) if memories else None

    def _stand_ins_of_parsers(self) -> Any:
        """The crawler's ``stand_ins`` callback: asks the parsers that offer ``stand_ins`` (the
        eFiction parser: a printer view that answers 404 is read through the reading view)."""
        from fanarchive.plugins import installed_parsers

        parsers = [get_parser(self.forced_parser)] if self.forced_parser else [
            info.parser for info in installed_parsers()]
        offering = [p for p in parsers if callable(getattr(p, "stand_ins", None))]
        if not offering:
            return None

        def stand_ins(url: str, page: Document | None) -> list[str]:
            for parser in offering:
                try:
                    found = list(getattr(parser, "stand_ins")(url, page))  # noqa: B009
                except Exception:  # plugins are third-party code: no stand-ins, no crash
                    continue
                if found:
                    return found
            return []

        return stand_ins

    # -- one document -------------------------------------------------------------------------

    def _item(self, item: Document | ItemError, source: Source, run: Run,
              report: ImportReport) -> None:
        if isinstance(item, ItemError):
            self._fail(run, report, item.locator, "source", item.code, item.reason)
            return
        self._document(item, source, run, report)

    def _document(self, doc: Document, source: Source, run: Run, report: ImportReport, *,
                  save: bool = True, web: bool = False) -> ParseResult:
        """Parse one document and store its stories; returns what the parser said (for links)."""
        report.documents += 1
        choice = choose_parser(doc, self.forced_parser)
        if save:
            # Raw bytes first, outside the story's savepoint: a story that fails to store
            # must still leave its original behind. (The crawler saves its own pages.)
            def lost(exc: Exception) -> None:
                self._fail(run, report, doc.locator, "store", "store",
                           f"could not keep the original bytes: {exc}")

            self.store.save_document(doc, source.id, run.id,
                                     parser=choice[0].name if choice else None, queue=True,
                                     on_failed=lost)
        self._pending += 1
        if choice is None:
            self._fail(run, report, doc.locator, "parse", "unrecognized",
                       "no parser recognises this document (try --parser)")
            return ParseResult(page_kind="unrecognized")
        parser = choice[0]
        try:
            result = parser.parse(doc)
        except Exception as exc:  # plugins are third-party code: record, never crash the run
            self._fail(run, report, doc.locator, "parse", getattr(exc, "code", "parse"),
                       f"{parser.name} parser failed: {exc}")
            return ParseResult(page_kind="error")
        result.parser = parser.name
        if result.page_kind != "story":
            # Not a gate's stub: whether a gate shows up depends on the crawl's session (sites
            # remember consent per rating), so what it says must not reach the stored story.
            if result.page_kind != "gate":
                self._remember_stubs(result.stories)
            # Web pages (crawled or replayed from a WARC or mirror) include index pages as a
            # matter of course; only a file that is not a story is worth a line in status.
            if not web and doc.url is None:
                report.skipped += 1
                self.store.record_error(run, doc.locator, NOTE, result.page_kind,
                                        f"not a story page ({result.page_kind})")
            return result
        if not result.stories:
            self._fail(run, report, doc.locator, "parse", "no-story",
                       f"{parser.name} parser found no story in it")
            return result
        decode_flags = list(doc.decoded().flags) if "_decoded" in doc.__dict__ else []
        for parsed in result.stories:
            parsed.flags = decode_flags + list(result.flags) + parsed.flags
            sighting = Sighting(source_id=source.id, locator=doc.locator, url=doc.url,
                                path=doc.path, parser=parser.name, sha256=doc.sha256,
                                fetched_at=doc.fetched_at)
            if doc.url is not None and parsed.identity:
                self._buffer_page(parsed, sighting, run, report)
            else:
                self._story(parsed, [sighting], run, report)
        return result

    # -- several pages of one web story -------------------------------------------------------

    def _buffer_page(self, parsed: ParsedStory, sighting: Sighting, run: Run,
                     report: ImportReport) -> None:
        """Hold a web page's story until the story's other pages have come too.

        A site shows one story on several pages (an eFiction chapter page, its printer view,
        the listing's metadata block), each with part of the facts. Saving each page as it
        came would make revisions flip between them; merging them first does not. Pages of a
        story arrive close together in a crawl, so a bounded buffer is enough.
        """
        identity = str(parsed.identity)
        self._web.setdefault(identity, []).append((parsed, sighting))
        self._web.move_to_end(identity)
        while len(self._web) > WEB_BUFFER:
            oldest, pages = self._web.popitem(last=False)
            self._merge_pages(pages, run, report)

    def _flush_web(self, run: Run, report: ImportReport) -> None:
        while self._web:
            _, pages = self._web.popitem(last=False)
            self._merge_pages(pages, run, report)

    def _merge_pages(self, pages: list[tuple[ParsedStory, Sighting]], run: Run,
                     report: ImportReport) -> None:
        # The page with the whole story and the most chapters leads (a printer view), then
        # by URL so the result does not depend on fetch order.
        pages.sort(key=lambda p: (p[0].part is not None, -len(p[0].chapters), p[1].locator))
        wholes = [p for p in pages if p[0].part is None]
        if not wholes:
            for parsed, sighting in pages:  # chapter pages only: joined as parts
                self._story(parsed, [sighting], run, report)
            return
        lead = wholes[0][0]
        for parsed, _ in pages[1:]:
            for key, value in parsed.fields.items():
                _merge_field(lead.fields, key, value)
            for label, text in parsed.raw_headers.items():
                lead.raw_headers.setdefault(label, text)
            lead.flags += [f for f in parsed.flags if f not in lead.flags]
        sightings = list({s.locator: s for _, s in pages}.values())
        self._story(lead, sightings, run, report)

    def _remember_stubs(self, stories: list[ParsedStory]) -> None:
        """Metadata that index pages give about stories (an eFiction listing's "Rated:"
        block), kept for this run to complete story pages that lack it."""
        for stub in stories:
            if stub.identity and not stub.chapters:
                kept = self._stubs.setdefault(stub.identity, ParsedStory(identity=stub.identity))
                for key, value in stub.fields.items():
                    _merge_field(kept.fields, key, value)
                for label, text in stub.raw_headers.items():
                    kept.raw_headers.setdefault(label, text)

    def _story(self, parsed: ParsedStory, sightings: list[Sighting], run: Run,
               report: ImportReport) -> None:
        locator = sightings[0].locator
        stub = self._stubs.get(parsed.identity or "")
        if stub is not None:
            for key, value in stub.fields.items():
                _merge_field(parsed.fields, key, value)
            for label, text in stub.raw_headers.items():
                parsed.raw_headers.setdefault(label, text)
        try:
            story = normalize_story(parsed, self.context)
        except Exception as exc:
            self._fail(run, report, locator, "normalize", "normalize", str(exc))
            return
        if self._rules:
            story = apply_rules_to_story(story, self._rules)
        identity = story_identity(parsed, story)
        if parsed.part is not None and story.title and story.authors:
            self._parts.setdefault(identity, []).append(
                _Part(parsed.part, parsed.part_of, story, sightings[0]))
            return
        self._whole.add(identity)
        first_locator = self._seen.setdefault(identity, locator)
        if first_locator != locator and parsed.identity is None:
            # Two different files claim the same author and title in one run: keep both
            # rather than letting them overwrite each other revision after revision.
            identity = f"{identity}@{locator}"
        self._save(story, identity, sightings, run, report)

    def _save(self, story: Story, identity: str, sightings: list[Sighting], run: Run,
              report: ImportReport) -> None:
        locator = sightings[0].locator

        def saved(result: SaveResult) -> None:
            # Called once the outcome is stored: now for an unchanged story, at the batch's
            # flush for a new revision. A story its batch could not store calls ``failed``.
            assert result.story_id is not None, "a stored story has its id"
            self._story_ids.add(result.story_id)
            name = {NEW: "new", UPDATED: "updated", UNCHANGED: "unchanged"}[result.outcome]
            setattr(report, name, getattr(report, name) + 1)

        def failed(exc: Exception) -> None:
            self._fail(run, report, locator, "store", "store", f"could not store story: {exc}")

        try:
            self.store.save_story(story, identity, sightings[0], run.id,
                                  more_sightings=sightings[1:], on_saved=saved, on_failed=failed)
        except Exception as exc:
            failed(exc)
            return
        self._pending += 1

    # -- multi-part postings ------------------------------------------------------------------

    def _flush_parts(self, run: Run, report: ImportReport) -> None:
        for identity, parts in self._parts.items():
            if identity in self._whole:
                continue  # the whole story (an eFiction printer view) came this run
            parts.sort(key=lambda p: p.number)
            existing = self.store.find_story(identity)
            base = self.store.load_story(existing) if existing else None
            self._save(_join_parts(parts, base), identity, [p.sighting for p in parts], run,
                       report)
        self._parts.clear()

    def _count(self, run: Run, report: ImportReport) -> None:
        for name in ("new", "updated", "unchanged", "failed", "skipped", "documents", "removed"):
            setattr(run, name, getattr(report, name))

    def _checkpoint(self, run: Run, report: ImportReport) -> None:
        self.store.flush()  # stories are counted once stored: the run row then tells the truth
        self._count(run, report)
        self.store.commit()
        self._pending = 0

    def _fail(self, run: Run, report: ImportReport, locator: str, stage: str, code: str,
              message: str) -> None:
        report.failed += 1
        self._failed_locators.add(locator)
        if len(report.errors) < MAX_ERRORS_IN_REPORT:
            report.errors.append((redact_text(locator), code, redact_text(message)))
        self.store.record_error(run, locator, stage, code, message)
        self._pending += 1


def _merge_field(fields: dict[str, Any], key: str, value: Any) -> None:
    """Fill ``fields[key]`` from another page of the same story; what a page said wins.

    The one exception is a series: an eFiction story page names only the series, its series
    page names the part as well ("Title, part 3"), and the part must not be lost to the order
    in which the two pages came.
    """
    old = fields.get(key)
    if old is None:
        fields[key] = value
    elif key == "series" and isinstance(old, str) and isinstance(value, str):
        have, offered = parse_series(old), parse_series(value)
        if (have is not None and offered is not None and have.part is None
                and offered.part is not None and have.title == offered.title):
            fields[key] = value


def _join_parts(parts: list[_Part], base: Story | None) -> Story:
    """One story from the parts of a posting; chapters already stored keep their place."""
    # Metadata comes from part 1; a run that only brings later parts keeps the stored header.
    head = parts[0].story if parts[0].number == 1 or base is None else base
    chapters: dict[int, Chapter] = {c.position: c for c in base.chapters} if base else {}
    for part in parts:
        for offset, chapter in enumerate(part.story.chapters):
            position = part.number if len(part.story.chapters) == 1 else part.number * 100 + offset
            chapter.position = position
            chapters[position] = chapter
    head.chapters = [chapters[p] for p in sorted(chapters)]
    flags = [f for p in parts for f in p.story.quality_flags]
    expected = max((p.of or 0) for p in parts)
    have = {c.position for c in head.chapters}
    missing = [n for n in range(1, expected + 1) if n not in have]
    if missing:
        flags.append(QualityFlag("parts-missing", "missing part(s) " +
                                 ", ".join(map(str, missing)) + f" of {expected}"))
    head.quality_flags = list(dict.fromkeys(flags))
    return head


def _absolute(location: str) -> str:
    if "://" in location:
        return location
    return str(Path(location).resolve())


class _ConsentMemories:
    """The parsers' consent memories as one: each learns from every page; the first that
    rewrites a URL decides. Plugin code: a failing memory is left out, never a crash."""

    def __init__(self, memories: list[Any]) -> None:
        self.memories = memories

    def observe(self, url: str | None, result: ParseResult) -> None:
        for memory in self.memories:
            try:
                memory.observe(url, result)
            except Exception:
                continue

    def before_fetch(self, url: str) -> str | None:
        wait = False
        for memory in self.memories:
            try:
                found = memory.before_fetch(url)
            except Exception:
                continue
            if found is None:
                wait = True
            elif isinstance(found, str) and found and found != url:
                return found
        return None if wait else url
