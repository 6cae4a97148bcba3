"""The store: the only code that writes stories, revisions and raw documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, func, insert, select, union_all, update
from sqlalchemy.orm import Session

from fanarchive.document import Document
from fanarchive.store import database
from fanarchive.store.batch import (
    NameIds,
    PendingDocument,
    PendingRevision,
    Sighting,
    add_sighting,
    write_documents,
    write_revisions,
)
from fanarchive.store.dialect import insert_ignore
from fanarchive.store.fingerprint import Fingerprint, fingerprint
from fanarchive.store.hashing import canonical_json, sha256_text, story_uid
from fanarchive.store.identity_models import (
    StoryAlias,
    StoryFingerprint,
    StoryLink,
)
from fanarchive.store.models import (
    Blob,
    DocumentRow,
    Revision,
    RevisionTag,
    Run,
    RunError,
    Source,
    StoryRow,
    StorySource,
    Tag,
    Text_,
    table_of,
)
from fanarchive.store.quick import QuickQuery
from fanarchive.store.records import story_from_meta, without_counters
from fanarchive.story import Story

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"
TAG_TYPES = ("fandom", "relationship", "character", "warning", "category", "freeform")


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SaveResult:
    outcome: str
    story_id: int | None  # None while a new story waits in the write queue
    uid: str
    revision: int


class Store:
    """A unit of work over one database. Call :meth:`commit` at batch boundaries."""

    #: Queue new revisions and documents for the next flush instead of writing each now.
    defer = False
    #: Text held in the queue before it is written anyway, to bound memory.
    max_pending_bytes = 32_000_000

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session = Session(engine, expire_on_commit=False, autoflush=False)
        self._names = NameIds()
        self._pending: list[PendingRevision] = []
        self._documents: list[PendingDocument] = []
        self._pending_identities: set[str] = set()
        self._pending_story_ids: set[int] = set()
        self._pending_texts: set[str] = set()
        self._pending_bytes = 0

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        engine = database.create_db_engine(url)
        if upgrade:
            database.upgrade(engine)
        return cls(engine)

    # -- transactions -------------------------------------------------------------------------

    def commit(self) -> None:
        self.flush()
        self.session.commit()

    def rollback(self) -> None:
        """Forget the transaction, the write queue with it."""
        self._pending, self._documents = [], []
        self._pending_identities.clear()
        self._pending_story_ids.clear()
        self._pending_texts.clear()
        self._pending_bytes = 0
        self.session.rollback()
        self._names.clear()

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()

    # -- sources and runs ---------------------------------------------------------------------

    def ensure_source(self, name: str, location: str, kind: str = "adhoc", **fields: Any) -> Source:
        source = self.session.scalar(select(Source).where(Source.name == name))
        if source is None:
            source = Source(
                name=name, location=location, kind=kind, settings=fields.pop("settings", {}),
                created_at=now(), updated_at=now(), **fields,
            )
            self.session.add(source)
            self.session.flush()
        return source

    def get_source(self, name: str) -> Source | None:
        return self.session.scalar(select(Source).where(Source.name == name))

    def start_run(self, kind: str, source_id: int | None = None,
                  options: dict[str, Any] | None = None) -> Run:
        run = Run(kind=kind, source_id=source_id, status="running", started_at=now(),
                  options=options or {}, new=0, updated=0, unchanged=0, failed=0, removed=0,
                  skipped=0, documents=0, requests=0, bytes_in=0)
        self.session.add(run)
        self.session.commit()
        return run

    def finish_run(self, run: Run, status: str = "finished", message: str | None = None) -> None:
        run.status = status
        run.message = database.redact_text(message) if message else message
        run.finished_at = now()
        self.session.commit()

    def record_error(self, run: Run, locator: str, stage: str, code: str, message: str) -> None:
        self.session.execute(
            insert(table_of(RunError)),
            [{"run_id": run.id, "locator": database.redact_text(locator), "stage": stage,
              "code": code, "message": database.redact_text(message), "created_at": now()}],
        )

    # -- raw documents ------------------------------------------------------------------------

    def save_document(self, doc: Document, source_id: int, run_id: int | None = None,
                      parser: str | None = None, page_kind: str | None = None, *,
                      queue: bool = False,
                      on_failed: Callable[[Exception], None] | None = None) -> bool:
        """Keep the bytes (once per content) and this sighting; False when already known.

        With ``queue`` (and :attr:`defer` set) the document is written with the next batch and
        False is returned: for callers that do not need the answer, such as a file import.
        """
        locator_hash = sha256_text(doc.locator)
        pending = PendingDocument(
            blob={"sha256": doc.sha256, "size": len(doc.content), "data": doc.content},
            row={"source_id": source_id, "sha256": doc.sha256, "locator": doc.locator,
                 "locator_hash": locator_hash, "url": doc.url, "path": doc.path,
                 "media_type": doc.media_type, "http_status": doc.http_status,
                 "http_headers": dict(doc.http_headers) or None, "parser": parser,
                 "page_kind": page_kind, "fetched_at": doc.fetched_at, "run_id": run_id},
            on_failed=on_failed)
        if queue and self.defer:
            self._documents.append(pending)
            self._pending_bytes += pending.size
            if self._pending_bytes > self.max_pending_bytes:
                self.flush()
            return False
        conn = self.session.connection()
        if conn.dialect.name in ("mysql", "mariadb") and conn.execute(_DOCUMENT, {
                "source": source_id, "locator": locator_hash, "sha": doc.sha256}).first():
            # MySQL drivers report "found rows", so the insert's row count cannot tell a
            # duplicate from a new row there: ask first.
            return False
        insert_ignore(conn, table_of(Blob), [pending.blob])
        return insert_ignore(conn, table_of(DocumentRow), [pending.row]) > 0

    def blob(self, sha256: str) -> bytes | None:
        return self.session.scalar(select(Blob.data).where(Blob.sha256 == sha256))

    # -- stories ------------------------------------------------------------------------------

    def find_story(self, identity: str) -> StoryRow | None:
        """The story known by ``identity``, as its own key or as an alias of another source."""
        self.flush()
        found = self._lookup(identity)
        if found is None:
            return None
        return self.session.scalar(select(StoryRow).where(StoryRow.id == found.id)
                                   .execution_options(populate_existing=True))

    def _lookup(self, identity: str) -> Any:
        """(id, uid, identity_hash, current_revision, removed_at) by own key or alias."""
        return _LOOKUP.first(self.session.connection(), {"key": sha256_text(identity)})

    def load_story(self, story: StoryRow, number: int | None = None) -> Story:
        revision = self.session.scalar(
            select(Revision).where(Revision.story_id == story.id,
                                   Revision.number == (number or story.current_revision))
        )
        if revision is None:
            raise LookupError(f"story {story.uid} has no revision {number}")
        return self.story_from_revision(revision)

    def story_from_revision(self, revision: Revision) -> Story:
        hashes = [c.get("text_sha256") for c in revision.meta.get("chapters", [])]
        hashes += [c.get("html_sha256") for c in revision.meta.get("chapters", [])]
        wanted = [h for h in hashes if h]
        texts = dict(self.session.execute(
            select(Text_.sha256, Text_.text).where(Text_.sha256.in_(wanted))
        ).all()) if wanted else {}
        return story_from_meta(revision.meta, texts)

    def save_story(self, story: Story, identity: str, sighting: Sighting | None,
                   run_id: int | None = None, reason: str = "import",
                   record_sighting: bool = True, *, more_sightings: Sequence[Sighting] = (),
                   on_saved: Callable[[SaveResult], None] | None = None,
                   on_failed: Callable[[Exception], None] | None = None) -> SaveResult:
        """Store ``story`` under ``identity``: new, a new revision, or unchanged (no writes).

        ``on_saved`` gets the result once it is stored, whatever the outcome. With
        :attr:`defer` set, a new revision is queued and written with its batch at the next
        :meth:`flush` or :meth:`commit`: its ``story_id`` is None in the returned result and
        ``on_saved`` comes then; a story that cannot be stored calls ``on_failed`` instead.
        Without it the revision is written now and errors are raised.
        """
        sightings = ([sighting] if sighting is not None and record_sighting else [])
        sightings += list(more_sightings)
        meta, texts = self._meta_and_texts(story)
        content_hash = sha256_text(canonical_json(meta))
        if story.counters:
            # Kept with the revision, outside what its hash covers: a counter that moved is
            # not a new revision.
            meta["counters"] = dict(story.counters)
        identity_hash = sha256_text(identity)
        if identity_hash in self._pending_identities:
            self.flush()
        row = self._lookup(identity)
        # Computed at most once, and only where needed (an unchanged story needs none).
        print_of = cache(lambda: fingerprint([c.text for c in story.chapters]))
        if row is None:
            print_ = print_of()
            if print_ is not None and print_.text_hash in self._pending_texts:
                self.flush()  # a copy of a story still queued: it must be stored to be found
            row = self._exact_twin(print_, identity) if print_ else None
        elif row.id in self._pending_story_ids:
            self.flush()
            row = self._lookup(identity)
        previous_meta: dict[str, Any] | None = None
        if row is not None:
            conn = self.session.connection()
            previous = conn.execute(_PREVIOUS, {"story": row.id,
                                                "number": row.current_revision}).first()
            same = previous is not None and previous.content_hash == content_hash
            if not same and previous is not None and story.counters:
                # Revisions from before counters were split off hold them in raw_headers.
                same = sha256_text(canonical_json(
                    without_counters(previous.meta, story.counters))) == content_hash
            if not same and row.identity_hash != identity_hash:
                # Another source's copy: the first source's metadata stands unless the
                # text itself changed (an edit), so two sources never flip-flop revisions.
                print_ = print_of()
                stored = conn.execute(select(StoryFingerprint.text_hash).where(
                    StoryFingerprint.story_id == row.id)).scalar()
                same = print_ is not None and stored == print_.text_hash
            if same:
                for seen in sightings:
                    add_sighting(conn, row.id, seen)
                restored = row.removed_at is not None
                if restored:
                    conn.execute(update(table_of(StoryRow)).where(StoryRow.id == row.id)
                                 .values(removed_at=None))
                result = SaveResult(UPDATED if restored else UNCHANGED, row.id, row.uid,
                                    row.current_revision)
                if on_saved is not None:
                    on_saved(result)
                return result
            previous_meta = previous.meta if previous is not None else None
        number = (row.current_revision if row is not None else 0) + 1
        item = PendingRevision(
            story=story, identity=identity, identity_hash=identity_hash,
            uid=row.uid if row is not None else story_uid(identity), number=number, meta=meta,
            texts=texts, content_hash=content_hash, print_=print_of(),
            previous_meta=previous_meta, sightings=sightings, reason=reason, run_id=run_id,
            stamp=now(), story_id=row.id if row is not None else None,
            on_saved=on_saved, on_failed=on_failed)
        outcome = NEW if number == 1 else UPDATED
        if not self.defer:
            conn = self.session.connection()
            with conn.begin_nested():
                self._names.update(write_revisions(conn, [item], self._names))
            result = SaveResult(outcome, _written(item), item.uid, number)
            if on_saved is not None:
                on_saved(result)
            return result
        self._queue(item)
        return SaveResult(outcome, item.story_id, item.uid, number)

    # -- the write queue ----------------------------------------------------------------------

    def _queue(self, item: PendingRevision) -> None:
        self._pending.append(item)
        self._pending_identities.add(item.identity_hash)
        if item.story_id is not None:
            self._pending_story_ids.add(item.story_id)
        if item.print_ is not None:
            self._pending_texts.add(item.print_.text_hash)
        self._pending_bytes += item.size
        if self._pending_bytes > self.max_pending_bytes:
            self.flush()

    def flush(self) -> None:
        """Write what is queued: in one batch, or one by one when the batch fails."""
        documents, self._documents = self._documents, []
        items, self._pending = self._pending, []
        self._pending_identities.clear()
        self._pending_story_ids.clear()
        self._pending_texts.clear()
        self._pending_bytes = 0
        if documents:
            self._flush_documents(documents)
        if not items:
            return
        # Savepoints on the connection, not the session: nothing here is ORM work, and a
        # session-level savepoint counts as a commit to session event listeners.
        conn = self.session.connection()
        try:
            with conn.begin_nested():
                added = write_revisions(conn, items, self._names)
        except Exception:
            for item in items:
                item.story_id = None if item.number == 1 else item.story_id
            self._flush_one_by_one(items)
            return
        self._names.update(added)
        for item in items:
            _report_saved(item)

    def _flush_one_by_one(self, items: list[PendingRevision]) -> None:
        for item in items:
            conn = self.session.connection()
            try:
                with conn.begin_nested():
                    added = write_revisions(conn, [item], self._names)
            except Exception as exc:
                if item.number == 1:
                    item.story_id = None
                if item.on_failed is None:
                    raise
                item.on_failed(exc)
                continue
            self._names.update(added)
            _report_saved(item)

    def _flush_documents(self, documents: list[PendingDocument]) -> None:
        conn = self.session.connection()
        try:
            with conn.begin_nested():
                write_documents(conn, documents)
            return
        except Exception:
            pass
        for document in documents:
            try:
                with conn.begin_nested():
                    write_documents(conn, [document])
            except Exception as exc:
                if document.on_failed is None:
                    raise
                document.on_failed(exc)

    # -- cross-source identity ----------------------------------------------------------------

    def _exact_twin(self, print_: Fingerprint, identity: str) -> Any:
        """A stored story with the same words; this identity becomes its alias."""
        conn = self.session.connection()
        story_id = _TWIN.first(conn, {"text_hash": print_.text_hash})
        if story_id is None:
            return None
        insert_ignore(conn, table_of(StoryAlias), [{
            "identity_hash": sha256_text(identity), "story_id": story_id, "identity": identity,
            "reason": "same-text", "created_at": now()}])
        return self._lookup(identity)

    def links(self, story_id: int) -> Sequence[StoryLink]:
        self.flush()
        return self.session.scalars(select(StoryLink).where(
            (StoryLink.story_id == story_id) | (StoryLink.other_id == story_id))).all()

    def _meta_and_texts(self, story: Story) -> tuple[dict[str, Any], dict[str, str]]:
        meta = story.metadata()
        texts: dict[str, str] = {}
        for chapter, chapter_meta in zip(story.chapters, meta["chapters"], strict=True):
            digest = sha256_text(chapter.text)
            texts[digest] = chapter.text
            chapter_meta["text_sha256"] = digest
            chapter_meta["html_sha256"] = None
            if chapter.html:
                html_digest = sha256_text(chapter.html)
                texts[html_digest] = chapter.html
                chapter_meta["html_sha256"] = html_digest
        return meta, texts

    def add_sighting(self, story_id: int, sighting: Sighting, known_new: bool = False) -> None:
        """Record where the story was found; ``known_new`` skips the lookup for new stories."""
        add_sighting(self.session.connection(), story_id, sighting, known_new)

    def tombstone_unseen(self, source_id: int, seen_story_ids: set[int],
                         keep_locators: set[str]) -> int:
        """Mark what ``source_id`` no longer has as removed; returns stories newly removed.

        Items that failed this run are kept (``keep_locators``): a page that errored is not
        a page that vanished.
        """
        self.flush()
        stamp = now()
        keep = {sha256_text(loc) for loc in keep_locators}
        vanished: set[int] = set()
        for sighting_id, story_id, locator_hash in self.session.execute(
            select(StorySource.id, StorySource.story_id, StorySource.locator_hash).where(
                StorySource.source_id == source_id, StorySource.removed_at.is_(None))
        ).all():
            if story_id in seen_story_ids or locator_hash in keep:
                continue
            self.session.execute(update(table_of(StorySource))
                                 .where(StorySource.id == sighting_id).values(removed_at=stamp))
            vanished.add(story_id)
        removed = 0
        for story_id in vanished:
            live = self.session.scalar(select(func.count()).select_from(StorySource).where(
                StorySource.story_id == story_id, StorySource.removed_at.is_(None)))
            if not live:
                self.session.execute(update(table_of(StoryRow)).where(
                    StoryRow.id == story_id, StoryRow.removed_at.is_(None)
                ).values(removed_at=stamp))
                removed += 1
        return removed

    # -- reading ------------------------------------------------------------------------------

    def iter_stories(self, *, include_removed: bool = False, source: str | None = None,
                     fandom: str | None = None, rating: str | None = None,
                     since: datetime | None = None) -> Iterator[StoryRow]:
        """Current stories in a stable order, loaded in pages so memory stays flat.

        ``fandom`` matches a canonical fandom tag of the current revision, ``rating`` the
        canonical rating, ``since`` stories changed at or after that time.
        """
        self.flush()
        last_id = 0
        while True:
            query = select(StoryRow).where(StoryRow.id > last_id).order_by(StoryRow.id).limit(500)
            if not include_removed:
                query = query.where(StoryRow.removed_at.is_(None))
            if source is not None:
                query = query.where(StoryRow.id.in_(
                    select(StorySource.story_id).join(Source).where(Source.name == source)
                ))
            if rating is not None:
                query = query.where(StoryRow.rating == rating)
            if since is not None:
                query = query.where(StoryRow.updated_at >= since)
            if fandom is not None:
                query = query.where(StoryRow.id.in_(
                    select(Revision.story_id)
                    .join(RevisionTag, RevisionTag.revision_id == Revision.id)
                    .join(Tag, Tag.id == RevisionTag.tag_id)
                    .where(Revision.number == StoryRow.current_revision,
                           Revision.story_id == StoryRow.id,
                           Tag.type == "fandom", Tag.canonical == fandom)
                ))
            page = self.session.scalars(query).all()
            if not page:
                return
            yield from page
            last_id = page[-1].id
            self.session.expunge_all()

    def revisions(self, story: StoryRow) -> Sequence[Revision]:
        self.flush()
        return self.session.scalars(
            select(Revision).where(Revision.story_id == story.id).order_by(Revision.number)
        ).all()

    def sightings(self, story_id: int) -> Sequence[StorySource]:
        self.flush()
        return self.session.scalars(
            select(StorySource).where(StorySource.story_id == story_id).order_by(StorySource.id)
        ).all()

    def count(self, model: Any) -> int:
        self.flush()
        return int(self.session.scalar(select(func.count()).select_from(model)) or 0)


class _Found(NamedTuple):
    id: int
    uid: str
    identity_hash: str
    current_revision: int
    removed_at: Any  # as the driver gives it: only ever compared with None


_LOOKUP_COLUMNS = (StoryRow.id, StoryRow.uid, StoryRow.identity_hash, StoryRow.current_revision,
                   StoryRow.removed_at)
_LOOKUP = QuickQuery(union_all(
    select(*_LOOKUP_COLUMNS).where(StoryRow.identity_hash == bindparam("key")),
    select(*_LOOKUP_COLUMNS).join(StoryAlias, StoryAlias.story_id == StoryRow.id)
    .where(StoryAlias.identity_hash == bindparam("key")),
), make=_Found)
_DOCUMENT = select(DocumentRow.id).where(
    DocumentRow.source_id == bindparam("source"), DocumentRow.locator_hash == bindparam("locator"),
    DocumentRow.sha256 == bindparam("sha"))
_PREVIOUS = select(Revision.content_hash, Revision.meta).where(
    Revision.story_id == bindparam("story"), Revision.number == bindparam("number"))
_TWIN = QuickQuery(select(StoryFingerprint.story_id).where(
    StoryFingerprint.text_hash == bindparam("text_hash")).order_by(
    StoryFingerprint.story_id).limit(1), make=lambda story_id: story_id)


def _written(item: PendingRevision) -> int:
    assert item.story_id is not None, "an item's story id is set once it is written"
    return item.story_id


def _report_saved(item: PendingRevision) -> None:
    if item.on_saved is not None:
        item.on_saved(SaveResult(NEW if item.number == 1 else UPDATED, _written(item), item.uid,
                                 item.number))
