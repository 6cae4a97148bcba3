"""The store: the only code that writes stories, revisions and raw documents."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, union_all, update
from sqlalchemy.orm import Session

from fanarchive.document import Document
from fanarchive.store import database
from fanarchive.store.dialect import insert_ignore
from fanarchive.store.fingerprint import Fingerprint, fingerprint, similarity
from fanarchive.store.hashing import canonical_json, sha256_text, story_uid
from fanarchive.store.identity_models import (
    StoryAlias,
    StoryBand,
    StoryFingerprint,
    StoryLink,
)
from fanarchive.store.models import (
    AuthorRow,
    Blob,
    ChapterRow,
    DocumentRow,
    QualityFlagRow,
    Revision,
    RevisionAuthor,
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
from fanarchive.store.records import diff_meta, story_from_meta
from fanarchive.story import Story

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"
TAG_TYPES = ("fandom", "relationship", "character", "warning", "category", "freeform")


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Sighting:
    """Where this version of a story was found."""

    source_id: int
    locator: str
    url: str | None = None
    path: str | None = None
    parser: str | None = None
    sha256: str | None = None
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class SaveResult:
    outcome: str
    story_id: int
    uid: str
    revision: int


class Store:
    """A unit of work over one database. Call :meth:`commit` at batch boundaries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session = Session(engine, expire_on_commit=False, autoflush=False)
        self._author_ids: dict[str, int] = {}
        self._tag_ids: dict[tuple[str, str], int] = {}

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        engine = database.create_db_engine(url)
        if upgrade:
            database.upgrade(engine)
        return cls(engine)

    # -- transactions -------------------------------------------------------------------------

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
        self._author_ids.clear()
        self._tag_ids.clear()

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
                      parser: str | None = None, page_kind: str | None = None) -> bool:
        """Keep the bytes (once per content) and this sighting; False when already known."""
        conn = self.session.connection()
        locator_hash = sha256_text(doc.locator)
        if conn.dialect.name in ("mysql", "mariadb") and conn.execute(_DOCUMENT, {
                "source": source_id, "locator": locator_hash, "sha": doc.sha256}).first():
            # MySQL drivers report "found rows", so the insert's row count cannot tell a
            # duplicate from a new row there: ask first.
            return False
        insert_ignore(conn, table_of(Blob),
                      [{"sha256": doc.sha256, "size": len(doc.content), "data": doc.content}])
        added = insert_ignore(conn, table_of(DocumentRow), [{
            "source_id": source_id, "sha256": doc.sha256, "locator": doc.locator,
            "locator_hash": locator_hash, "url": doc.url, "path": doc.path,
            "media_type": doc.media_type, "http_status": doc.http_status,
            "http_headers": dict(doc.http_headers) or None, "parser": parser,
            "page_kind": page_kind, "fetched_at": doc.fetched_at, "run_id": run_id,
        }])
        return added > 0

    def blob(self, sha256: str) -> bytes | None:
        return self.session.scalar(select(Blob.data).where(Blob.sha256 == sha256))

    # -- stories ------------------------------------------------------------------------------

    def find_story(self, identity: str) -> StoryRow | None:
        """The story known by ``identity``, as its own key or as an alias of another source."""
        found = self._lookup(identity)
        if found is None:
            return None
        return self.session.scalar(select(StoryRow).where(StoryRow.id == found.id)
                                   .execution_options(populate_existing=True))

    def _lookup(self, identity: str) -> Any:
        """(id, uid, identity_hash, current_revision, removed_at) by own key or alias."""
        return self.session.connection().execute(
            _LOOKUP, {"key": sha256_text(identity)}).first()

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

    def save_story(self, story: Story, identity: str, sighting: Sighting,
                   run_id: int | None = None, reason: str = "import",
                   record_sighting: bool = True) -> SaveResult:
        """Store ``story`` under ``identity``: new, a new revision, or unchanged (no writes)."""
        conn = self.session.connection()
        meta, texts = self._meta_and_texts(story)
        content_hash = sha256_text(canonical_json(meta))
        row = self._lookup(identity)
        print_: Fingerprint | None = None
        if row is None:
            print_ = fingerprint([c.text for c in story.chapters])
            row = self._exact_twin(print_, identity) if print_ else None
        previous_meta: dict[str, Any] | None = None
        if row is not None:
            previous = conn.execute(_PREVIOUS, {"story": row.id,
                                                "number": row.current_revision}).first()
            same = previous is not None and previous.content_hash == content_hash
            if not same and row.identity_hash != sha256_text(identity):
                # Another source's copy: the first source's metadata stands unless the
                # text itself changed (an edit), so two sources never flip-flop revisions.
                print_ = print_ or fingerprint([c.text for c in story.chapters])
                stored = conn.execute(select(StoryFingerprint.text_hash).where(
                    StoryFingerprint.story_id == row.id)).scalar()
                same = print_ is not None and stored == print_.text_hash
            if same:
                if record_sighting:
                    self.add_sighting(row.id, sighting)
                if row.removed_at is not None:
                    conn.execute(update(table_of(StoryRow)).where(StoryRow.id == row.id)
                                 .values(removed_at=None))
                    return SaveResult(UPDATED, row.id, row.uid, row.current_revision)
                return SaveResult(UNCHANGED, row.id, row.uid, row.current_revision)
            previous_meta = previous.meta if previous is not None else None
        stamp = now()
        number = (row.current_revision if row is not None else 0) + 1
        fields = {"current_revision": number, "title": story.title,
                  "rating": story.rating.canonical, "updated_at": stamp, "removed_at": None}
        if row is None:
            uid = story_uid(identity)
            story_id = conn.execute(_insert(StoryRow), dict(
                uid=uid, identity_hash=sha256_text(identity), identity=identity,
                created_at=stamp, **fields)).inserted_primary_key[0]  # type: ignore[index]
        else:
            uid, story_id = row.uid, row.id
            conn.execute(_UPDATE_STORY, {"story": story_id, **fields})
        insert_ignore(conn, table_of(Text_),
                      [{"sha256": h, "text": t} for h, t in texts.items()])
        revision_id = conn.execute(_insert(Revision), dict(
            story_id=story_id, number=number, content_hash=content_hash, meta=meta,
            diff=diff_meta(previous_meta, meta), reason=reason, created_at=stamp, run_id=run_id,
        )).inserted_primary_key[0]  # type: ignore[index]
        self._revision_rows(revision_id, story, meta)
        if record_sighting:
            self.add_sighting(story_id, sighting, known_new=row is None)
        print_ = print_ or fingerprint([c.text for c in story.chapters])
        if print_ is not None:
            self._remember_fingerprint(story_id, print_, first=number == 1)
        return SaveResult(NEW if number == 1 else UPDATED, story_id, uid, number)

    # -- cross-source identity ----------------------------------------------------------------

    def _exact_twin(self, print_: Fingerprint, identity: str) -> Any:
        """A stored story with the same words; this identity becomes its alias."""
        conn = self.session.connection()
        story_id = conn.execute(select(StoryFingerprint.story_id).where(
            StoryFingerprint.text_hash == print_.text_hash).order_by(StoryFingerprint.story_id)
            .limit(1)).scalar()
        if story_id is None:
            return None
        insert_ignore(conn, table_of(StoryAlias), [{
            "identity_hash": sha256_text(identity), "story_id": story_id, "identity": identity,
            "reason": "same-text", "created_at": now()}])
        return self._lookup(identity)

    def _remember_fingerprint(self, story_id: int, print_: Fingerprint, first: bool,
                              threshold: float = 0.7) -> None:
        conn = self.session.connection()
        values = {"text_hash": print_.text_hash, "signature": print_.signature,
                  "words": print_.words}
        exists = not first and conn.execute(select(StoryFingerprint.story_id).where(
            StoryFingerprint.story_id == story_id)).first() is not None
        if exists:
            conn.execute(update(table_of(StoryFingerprint))
                         .where(StoryFingerprint.story_id == story_id).values(**values))
        else:
            conn.execute(_insert(StoryFingerprint), {"story_id": story_id, **values})
        bands = print_.bands()
        if first:
            # Near-duplicates are looked for once, when a story first arrives.
            candidates = conn.execute(
                select(StoryFingerprint.story_id, StoryFingerprint.signature).where(
                    StoryFingerprint.story_id.in_(
                        select(StoryBand.story_id).where(StoryBand.band.in_(bands))),
                    StoryFingerprint.story_id != story_id)).all()
            links = [{"story_id": story_id, "other_id": other, "kind": "near-duplicate",
                      "score": score, "status": "open", "created_at": now()}
                     for other, signature in candidates
                     if (score := similarity(print_.signature, signature)) >= threshold]
            insert_ignore(conn, table_of(StoryLink), links)
        insert_ignore(conn, table_of(StoryBand),
                      [{"band": band, "story_id": story_id} for band in bands])

    def links(self, story_id: int) -> Sequence[StoryLink]:
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

    def _revision_rows(self, revision_id: int, story: Story, meta: dict[str, Any]) -> None:
        conn = self.session.connection()
        if meta["chapters"]:
            conn.execute(_insert(ChapterRow), [
                {"revision_id": revision_id, "position": c["position"], "title": c["title"],
                 "text_sha256": c["text_sha256"], "html_sha256": c["html_sha256"],
                 "word_count": c["word_count"]}
                for c in meta["chapters"]
            ])
        author_ids = list(dict.fromkeys(self._author_id(a.name, a.email) for a in story.authors))
        if author_ids:
            conn.execute(_insert(RevisionAuthor), [
                {"revision_id": revision_id, "author_id": aid, "position": i}
                for i, aid in enumerate(author_ids)
            ])
        tag_ids = list(dict.fromkeys(
            self._tag_id(kind, raw, canonical) for kind, raw, canonical in tag_triples(story)
        ))
        if tag_ids:
            conn.execute(_insert(RevisionTag), [
                {"revision_id": revision_id, "tag_id": tid, "position": i}
                for i, tid in enumerate(tag_ids)
            ])
        if story.quality_flags:
            conn.execute(_insert(QualityFlagRow), [
                {"revision_id": revision_id, "code": f.code, "detail": f.detail}
                for f in story.quality_flags
            ])

    def _author_id(self, name: str, email: str | None) -> int:
        key = sha256_text(f"{name.casefold()}\x00{(email or '').casefold()}")
        cached = self._author_ids.get(key)
        if cached is None:
            conn = self.session.connection()
            insert_ignore(conn, table_of(AuthorRow),
                          [{"name": name, "email": email, "key_hash": key}])
            cached = conn.execute(select(AuthorRow.id).where(AuthorRow.key_hash == key)).scalar()
            assert cached is not None
            self._author_ids[key] = cached
        return cached

    def _tag_id(self, kind: str, raw: str, canonical: str) -> int:
        key = sha256_text(f"{raw}\x00{canonical}")
        cached = self._tag_ids.get((kind, key))
        if cached is None:
            conn = self.session.connection()
            insert_ignore(conn, table_of(Tag),
                          [{"type": kind, "raw": raw, "canonical": canonical, "key_hash": key}])
            cached = conn.execute(
                select(Tag.id).where(Tag.type == kind, Tag.key_hash == key)
            ).scalar()
            assert cached is not None
            self._tag_ids[(kind, key)] = cached
        return cached

    def add_sighting(self, story_id: int, sighting: Sighting, known_new: bool = False) -> None:
        """Record where the story was found; ``known_new`` skips the lookup for new stories."""
        conn = self.session.connection()
        locator_hash = sha256_text(sighting.locator)
        existing = None if known_new else conn.execute(_SIGHTING, {
            "story": story_id, "source": sighting.source_id, "locator": locator_hash}).first()
        if existing is None:
            conn.execute(_insert(StorySource), dict(
                story_id=story_id, source_id=sighting.source_id, locator=sighting.locator,
                locator_hash=locator_hash, url=sighting.url, path=sighting.path,
                parser=sighting.parser, sha256=sighting.sha256,
                fetched_at=sighting.fetched_at or now(),
            ))
        elif existing.sha256 != sighting.sha256 or existing.removed_at is not None:
            conn.execute(update(table_of(StorySource)).where(
                StorySource.id == existing.id
            ).values(sha256=sighting.sha256, fetched_at=sighting.fetched_at or now(),
                     parser=sighting.parser, removed_at=None))

    def tombstone_unseen(self, source_id: int, seen_story_ids: set[int],
                         keep_locators: set[str]) -> int:
        """Mark what ``source_id`` no longer has as removed; returns stories newly removed.

        Items that failed this run are kept (``keep_locators``): a page that errored is not
        a page that vanished.
        """
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
        return self.session.scalars(
            select(Revision).where(Revision.story_id == story.id).order_by(Revision.number)
        ).all()

    def sightings(self, story_id: int) -> Sequence[StorySource]:
        return self.session.scalars(
            select(StorySource).where(StorySource.story_id == story_id).order_by(StorySource.id)
        ).all()

    def count(self, model: Any) -> int:
        return int(self.session.scalar(select(func.count()).select_from(model)) or 0)


_INSERTS: dict[str, Any] = {}


def _insert(model: Any) -> Any:
    """A plain INSERT for ``model``, built once (building statements is costly per row)."""
    stmt = _INSERTS.get(model.__tablename__)
    if stmt is None:
        stmt = _INSERTS[model.__tablename__] = insert(table_of(model))
    return stmt


_UPDATE_STORY = update(table_of(StoryRow)).where(StoryRow.id == bindparam("story")).values(
    current_revision=bindparam("current_revision"), title=bindparam("title"),
    rating=bindparam("rating"), updated_at=bindparam("updated_at"),
    removed_at=bindparam("removed_at"))
_LOOKUP_COLUMNS = (StoryRow.id, StoryRow.uid, StoryRow.identity_hash, StoryRow.current_revision,
                   StoryRow.removed_at)
_LOOKUP = union_all(
    select(*_LOOKUP_COLUMNS).where(StoryRow.identity_hash == bindparam("key")),
    select(*_LOOKUP_COLUMNS).join(StoryAlias, StoryAlias.story_id == StoryRow.id)
    .where(StoryAlias.identity_hash == bindparam("key")),
)
_DOCUMENT = select(DocumentRow.id).where(
    DocumentRow.source_id == bindparam("source"), DocumentRow.locator_hash == bindparam("locator"),
    DocumentRow.sha256 == bindparam("sha"))
_PREVIOUS = select(Revision.content_hash, Revision.meta).where(
    Revision.story_id == bindparam("story"), Revision.number == bindparam("number"))
_SIGHTING = select(StorySource.id, StorySource.sha256, StorySource.removed_at).where(
    StorySource.story_id == bindparam("story"),
    StorySource.source_id == bindparam("source"),
    StorySource.locator_hash == bindparam("locator"),
)


def tag_triples(story: Story) -> list[tuple[str, str, str]]:
    """(type, raw, canonical) for every tag of a story; raw falls back to the canonical form."""
    if story.tag_map:
        return list(story.tag_map)
    triples: list[tuple[str, str, str]] = []
    for kind, values in (("fandom", story.fandoms), ("relationship", story.relationships),
                         ("character", story.characters), ("warning", story.warnings),
                         ("category", story.categories), ("freeform", story.tags)):
        triples += [(kind, v, v) for v in values]
    return triples
