"""Revisions and raw documents held back and written together, one statement per table.

Writing one story costs about fifteen statements (story, revision, texts, chapters, authors,
tags, flags, sighting, fingerprint, bands, near-duplicate candidates); on an import of
thousands of files those statements were most of the time. Queued and written per batch,
each table gets one multi-row statement, and ids come back from ``INSERT ... RETURNING`` in
parameter order, which SQLite, PostgreSQL and MariaDB all provide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from fanarchive.store.dialect import insert_ignore
from fanarchive.store.fingerprint import Fingerprint, similarity
from fanarchive.store.hashing import sha256_text
from fanarchive.store.identity_models import StoryBand, StoryFingerprint, StoryLink
from fanarchive.store.models import (
    AuthorRow,
    Blob,
    ChapterRow,
    DocumentRow,
    QualityFlagRow,
    Revision,
    RevisionAuthor,
    RevisionTag,
    StoryRow,
    StorySource,
    Tag,
    Text_,
    table_of,
)
from fanarchive.store.records import diff_meta
from fanarchive.story import Story

NEAR_DUPLICATE = 0.7  # estimated Jaccard similarity from which two stories are linked
_CHUNK = 500  # bound parameters per IN (...) list, well under every backend's limit


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


@dataclass
class PendingRevision:
    """A revision to write: of a new story (``story_id`` None) or of a stored one."""

    story: Story
    identity: str
    identity_hash: str
    uid: str
    number: int
    meta: dict[str, Any]
    texts: dict[str, str]
    content_hash: str
    print_: Fingerprint | None
    previous_meta: dict[str, Any] | None
    sightings: list[Sighting]
    reason: str
    run_id: int | None
    stamp: datetime
    story_id: int | None = None
    on_saved: Callable[[Any], None] | None = None  # gets the store's SaveResult
    on_failed: Callable[[Exception], None] | None = None

    @property
    def size(self) -> int:
        return sum(len(t) for t in self.texts.values())


@dataclass
class PendingDocument:
    """The raw bytes of one imported document and where they came from."""

    blob: dict[str, Any]
    row: dict[str, Any]
    on_failed: Callable[[Exception], None] | None = None

    @property
    def size(self) -> int:
        return int(self.blob["size"])


@dataclass
class NameIds:
    """Author and tag ids by key; new ones become known only once their batch is kept."""

    authors: dict[str, int] = field(default_factory=dict)
    tags: dict[tuple[str, str], int] = field(default_factory=dict)

    def update(self, other: NameIds) -> None:
        self.authors.update(other.authors)
        self.tags.update(other.tags)

    def clear(self) -> None:
        self.authors.clear()
        self.tags.clear()


def author_key(name: str, email: str | None) -> str:
    return sha256_text(f"{name.casefold()}\x00{(email or '').casefold()}")


def tag_key(raw: str, canonical: str) -> str:
    return sha256_text(f"{raw}\x00{canonical}")


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


def write_documents(conn: Connection, documents: Sequence[PendingDocument]) -> None:
    blobs = list({d.blob["sha256"]: d.blob for d in documents}.values())
    insert_ignore(conn, table_of(Blob), blobs)
    insert_ignore(conn, table_of(DocumentRow), [d.row for d in documents])


def write_revisions(conn: Connection, items: Sequence[PendingRevision], known: NameIds
                    ) -> NameIds:
    """Write ``items`` (ids land in ``item.story_id``); returns the names it added."""
    texts = {h: t for item in items for h, t in item.texts.items()}
    insert_ignore(conn, table_of(Text_), [{"sha256": h, "text": t} for h, t in texts.items()])
    _story_rows(conn, items)
    revision_ids = _insert_returning(conn, table_of(Revision), [{
        "story_id": item.story_id, "number": item.number, "content_hash": item.content_hash,
        "meta": item.meta, "diff": diff_meta(item.previous_meta, item.meta),
        "reason": item.reason, "created_at": item.stamp, "run_id": item.run_id,
    } for item in items])
    added = _resolve_names(conn, [item.story for item in items], known)
    authors = {**known.authors, **added.authors}
    tags = {**known.tags, **added.tags}
    chapters: list[dict[str, Any]] = []
    by_author: list[dict[str, Any]] = []
    by_tag: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    for item, revision_id in zip(items, revision_ids, strict=True):
        chapters += [{"revision_id": revision_id, "position": c["position"],
                      "title": c["title"], "text_sha256": c["text_sha256"],
                      "html_sha256": c["html_sha256"], "word_count": c["word_count"]}
                     for c in item.meta["chapters"]]
        author_ids = dict.fromkeys(authors[author_key(a.name, a.email)]
                                   for a in item.story.authors)
        by_author += [{"revision_id": revision_id, "author_id": aid, "position": i}
                      for i, aid in enumerate(author_ids)]
        tag_ids = dict.fromkeys(tags[(kind, tag_key(raw, canonical))]
                                for kind, raw, canonical in tag_triples(item.story))
        by_tag += [{"revision_id": revision_id, "tag_id": tid, "position": i}
                   for i, tid in enumerate(tag_ids)]
        flags += [{"revision_id": revision_id, "code": f.code, "detail": f.detail}
                  for f in item.story.quality_flags]
    for table, rows in ((ChapterRow, chapters), (RevisionAuthor, by_author),
                        (RevisionTag, by_tag), (QualityFlagRow, flags)):
        if rows:
            conn.execute(_insert(table_of(table)), rows)
    new = [item for item in items if item.number == 1]
    conn_rows = [_sighting_row(item, s) for item in new for s in item.sightings]
    if conn_rows:
        conn.execute(_insert(table_of(StorySource)), conn_rows)
    for item in items:
        if item.number != 1:
            for sighting in item.sightings:
                add_sighting(conn, _story_id(item), sighting)
    _fingerprints(conn, items)
    return added


def add_sighting(conn: Connection, story_id: int, sighting: Sighting,
                 known_new: bool = False) -> None:
    """Record where the story was found; ``known_new`` skips the lookup for new stories."""
    locator_hash = sha256_text(sighting.locator)
    existing = None if known_new else conn.execute(_SIGHTING, {
        "story": story_id, "source": sighting.source_id, "locator": locator_hash}).first()
    stamp = sighting.fetched_at or datetime.now(UTC)
    if existing is None:
        conn.execute(_insert(table_of(StorySource)), {
            "story_id": story_id, "source_id": sighting.source_id,
            "locator": sighting.locator, "locator_hash": locator_hash, "url": sighting.url,
            "path": sighting.path, "parser": sighting.parser, "sha256": sighting.sha256,
            "fetched_at": stamp})
    elif existing.sha256 != sighting.sha256 or existing.removed_at is not None:
        conn.execute(update(table_of(StorySource)).where(StorySource.id == existing.id).values(
            sha256=sighting.sha256, fetched_at=stamp, parser=sighting.parser, removed_at=None))


def _story_id(item: PendingRevision) -> int:
    assert item.story_id is not None, "story rows are written first"
    return item.story_id


def _sighting_row(item: PendingRevision, sighting: Sighting) -> dict[str, Any]:
    return {"story_id": item.story_id, "source_id": sighting.source_id,
            "locator": sighting.locator, "locator_hash": sha256_text(sighting.locator),
            "url": sighting.url, "path": sighting.path, "parser": sighting.parser,
            "sha256": sighting.sha256, "fetched_at": sighting.fetched_at or item.stamp}


def _story_rows(conn: Connection, items: Sequence[PendingRevision]) -> None:
    new = [item for item in items if item.story_id is None]
    stored = [{"story": item.story_id, **_story_fields(item)}
              for item in items if item.story_id is not None]
    ids = _insert_returning(conn, table_of(StoryRow), [{
        "uid": item.uid, "identity_hash": item.identity_hash, "identity": item.identity,
        "created_at": item.stamp, **_story_fields(item)} for item in new])
    for item, story_id in zip(new, ids, strict=True):
        item.story_id = story_id
    if stored:
        conn.execute(_UPDATE_STORY, stored)


def _story_fields(item: PendingRevision) -> dict[str, Any]:
    return {"current_revision": item.number, "title": item.story.title,
            "rating": item.story.rating.canonical, "updated_at": item.stamp, "removed_at": None}


def _resolve_names(conn: Connection, stories: Iterable[Story], known: NameIds) -> NameIds:
    """Ids of the batch's authors and tags that ``known`` lacks, inserting the new ones."""
    authors: dict[str, dict[str, Any]] = {}
    tags: dict[tuple[str, str], dict[str, Any]] = {}
    for story in stories:
        for a in story.authors:
            key = author_key(a.name, a.email)
            if key not in known.authors:
                authors.setdefault(key, {"name": a.name, "email": a.email, "key_hash": key})
        for kind, raw, canonical in tag_triples(story):
            key = tag_key(raw, canonical)
            if (kind, key) not in known.tags:
                tags.setdefault((kind, key), {"type": kind, "raw": raw, "canonical": canonical,
                                              "key_hash": key})
    added = NameIds()
    if authors:
        insert_ignore(conn, table_of(AuthorRow), list(authors.values()))
        for chunk in _chunks(list(authors)):
            for key, author_id in conn.execute(select(AuthorRow.key_hash, AuthorRow.id).where(
                    AuthorRow.key_hash.in_(chunk))):
                added.authors[key] = author_id
    if tags:
        insert_ignore(conn, table_of(Tag), list(tags.values()))
        for chunk in _chunks(sorted({key for _, key in tags})):
            for kind, key, tag_id in conn.execute(select(Tag.type, Tag.key_hash, Tag.id).where(
                    Tag.key_hash.in_(chunk))):
                added.tags[(kind, key)] = tag_id
    return added


def _fingerprints(conn: Connection, items: Sequence[PendingRevision]) -> None:
    """Store each text's fingerprint; link a new story to the near-duplicates stored before it.

    Near-duplicates are looked for once, when a story first arrives: among the stories
    sharing an LSH band with it, stored earlier or earlier in this batch.
    """
    printed = [item for item in items if item.print_ is not None]
    for item in printed:
        if item.number != 1:
            _replace_fingerprint(conn, item)
    new = [item for item in printed if item.number == 1]
    if not new:
        return
    conn.execute(_insert(table_of(StoryFingerprint)), [
        {"story_id": item.story_id, **_fingerprint_fields(item)} for item in new])
    bands = {id(item): item.print_.bands() for item in new if item.print_ is not None}
    earlier = _stored_band_members(conn, {b for bs in bands.values() for b in bs})
    signatures = _stored_signatures(conn, {s for ids in earlier.values() for s in ids})
    links: list[dict[str, Any]] = []
    band_rows: list[dict[str, Any]] = []
    for item in new:
        assert item.print_ is not None
        mine = bands[id(item)]
        candidates = {other for band in mine for other in earlier.get(band, ())}
        candidates.discard(_story_id(item))
        for other in sorted(candidates):
            theirs = signatures.get(other)
            if theirs is None:
                continue
            score = similarity(item.print_.signature, theirs)
            if score >= NEAR_DUPLICATE:
                links.append({"story_id": item.story_id, "other_id": other,
                              "kind": "near-duplicate", "score": score, "status": "open",
                              "created_at": item.stamp})
        for band in mine:
            earlier.setdefault(band, set()).add(_story_id(item))
            band_rows.append({"band": band, "story_id": item.story_id})
        signatures[_story_id(item)] = item.print_.signature
    insert_ignore(conn, table_of(StoryLink), links)
    insert_ignore(conn, table_of(StoryBand), band_rows)


def _replace_fingerprint(conn: Connection, item: PendingRevision) -> None:
    values = _fingerprint_fields(item)
    story_id = _story_id(item)
    if conn.execute(select(StoryFingerprint.story_id).where(
            StoryFingerprint.story_id == story_id)).first() is None:
        conn.execute(_insert(table_of(StoryFingerprint)), {"story_id": story_id, **values})
    else:
        conn.execute(update(table_of(StoryFingerprint))
                     .where(StoryFingerprint.story_id == story_id).values(**values))
    assert item.print_ is not None
    insert_ignore(conn, table_of(StoryBand),
                  [{"band": band, "story_id": story_id} for band in item.print_.bands()])


def _fingerprint_fields(item: PendingRevision) -> dict[str, Any]:
    assert item.print_ is not None
    return {"text_hash": item.print_.text_hash, "signature": item.print_.signature,
            "words": item.print_.words}


def _stored_band_members(conn: Connection, bands: set[str]) -> dict[str, set[int]]:
    members: dict[str, set[int]] = {}
    for chunk in _chunks(sorted(bands)):
        for band, story_id in conn.execute(select(StoryBand.band, StoryBand.story_id).where(
                StoryBand.band.in_(chunk))):
            members.setdefault(band, set()).add(story_id)
    return members


def _stored_signatures(conn: Connection, story_ids: set[int]) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    for chunk in _chunks(sorted(story_ids)):
        for story_id, signature in conn.execute(select(
                StoryFingerprint.story_id, StoryFingerprint.signature).where(
                StoryFingerprint.story_id.in_(chunk))):
            found[story_id] = signature
    return found


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


_STATEMENTS: dict[tuple[str, bool], Any] = {}


def _insert(table: Table) -> Any:
    """A plain INSERT for ``table``, built once (building statements is costly per row)."""
    stmt = _STATEMENTS.get((table.name, False))
    if stmt is None:
        stmt = _STATEMENTS[(table.name, False)] = insert(table)
    return stmt


def _insert_returning(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows``; their new ids, in the order of ``rows``."""
    if not rows:
        return []
    if not conn.dialect.insert_executemany_returning_sort_by_parameter_order:
        return [int(conn.execute(_insert(table), row).inserted_primary_key[0])  # type: ignore[index]
                for row in rows]
    stmt = _STATEMENTS.get((table.name, True))
    if stmt is None:
        stmt = _STATEMENTS[(table.name, True)] = insert(table).returning(
            table.c.id, sort_by_parameter_order=True)
    return [row[0] for row in conn.execute(stmt, rows)]


_UPDATE_STORY = update(table_of(StoryRow)).where(StoryRow.id == bindparam("story")).values(
    current_revision=bindparam("current_revision"), title=bindparam("title"),
    rating=bindparam("rating"), updated_at=bindparam("updated_at"),
    removed_at=bindparam("removed_at"))
_SIGHTING = select(StorySource.id, StorySource.sha256, StorySource.removed_at).where(
    StorySource.story_id == bindparam("story"),
    StorySource.source_id == bindparam("source"),
    StorySource.locator_hash == bindparam("locator"),
)
