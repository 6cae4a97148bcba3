"""Tag wrangling: export every distinct tag, let an archivist edit the canonical forms, apply.

The round trip is a CSV with the columns of :data:`COLUMNS`. An archivist changes ``canonical``;
``apply`` records each change as a rule (so later imports keep it) and gives every story that
carries the tag a new revision. Unknown columns and rows that no longer match are reported,
never guessed.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import func, select

from fanarchive.errors import UsageError
from fanarchive.export.atomic import atomic_text
from fanarchive.store.batch import Sighting, tag_triples
from fanarchive.store.dialect import insert_ignore
from fanarchive.store.hashing import sha256_text
from fanarchive.store.identity_models import TagRule
from fanarchive.store.models import Revision, RevisionTag, StoryRow, Tag, table_of
from fanarchive.store.store import Store, now
from fanarchive.story import Story

COLUMNS = ("type", "raw", "current_canonical", "canonical", "count")
FIELDS = {"fandom": "fandoms", "relationship": "relationships", "character": "characters",
          "warning": "warnings", "category": "categories", "freeform": "tags"}

Key = tuple[str, str, str]  # (type, raw, canonical)


def rule_key(kind: str, raw: str, source: str) -> str:
    return sha256_text(f"{kind}\x00{raw}\x00{source}")


def export_tags(store: Store, output: Path) -> int:
    """Write every distinct tag with its count over current stories; returns rows written."""
    current = (select(RevisionTag.tag_id, func.count().label("n"))
               .join(Revision, Revision.id == RevisionTag.revision_id)
               .join(StoryRow, (StoryRow.id == Revision.story_id)
                     & (StoryRow.current_revision == Revision.number))
               .where(StoryRow.removed_at.is_(None))
               .group_by(RevisionTag.tag_id).subquery())
    rows = store.session.execute(
        select(Tag.type, Tag.raw, Tag.canonical, current.c.n)
        .join(current, current.c.tag_id == Tag.id)
        .order_by(Tag.type, Tag.canonical, Tag.raw)).all()
    with atomic_text(output, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for kind, raw, canonical, count in rows:
            writer.writerow([kind, raw, canonical, canonical, count])
    return len(rows)


@dataclass
class WrangleReport:
    rules: int = 0
    stories_changed: int = 0
    unchanged_rows: int = 0
    problems: list[str] = field(default_factory=list)


def read_mapping(path: Path) -> tuple[dict[Key, str], list[str], int]:
    """The edited rows as {(type, raw, current canonical): new canonical}, problems, unchanged."""
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    with fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        unknown = [c for c in header if c not in COLUMNS]
        missing = [c for c in COLUMNS[:4] if c not in header]
        if unknown or missing:
            raise UsageError(f"{path}: unknown columns {unknown or 'none'}, missing columns "
                             f"{missing or 'none'} (expected: {', '.join(COLUMNS)})")
        mapping: dict[Key, str] = {}
        problems: list[str] = []
        unchanged = 0
        for line, row in enumerate(reader, start=2):
            kind, raw = (row["type"] or "").strip(), row["raw"] or ""
            current, wanted = row["current_canonical"] or "", (row["canonical"] or "").strip()
            if kind not in FIELDS:
                problems.append(f"line {line}: unknown tag type {kind!r}")
            elif not wanted:
                problems.append(f"line {line}: empty canonical for {kind} {raw!r}")
            elif wanted == current:
                unchanged += 1
            else:
                mapping[(kind, raw, current)] = wanted
    return mapping, problems, unchanged


def apply_rules_to_story(story: Story, rules: dict[Key, str]) -> Story:
    """The story with every matching tag renamed, its lists rebuilt from the tag map."""
    triples = tag_triples(story)
    if not any(t in rules for t in triples):
        return story
    renamed = [(k, raw, rules.get((k, raw, canonical), canonical)) for k, raw, canonical in triples]
    lists: dict[str, list[str]] = defaultdict(list)
    for kind, _raw, canonical in renamed:
        if canonical not in lists[kind]:
            lists[kind].append(canonical)
    return replace(story, tag_map=renamed, fandoms=lists["fandom"],
                   relationships=lists["relationship"], characters=lists["character"],
                   warnings=lists["warning"], categories=lists["category"],
                   tags=lists["freeform"])


def load_rules(store: Store) -> dict[Key, str]:
    return {(r.type, r.raw, r.source): r.target for r in store.session.scalars(select(TagRule))}


def apply_tag_file(store: Store, path: Path) -> WrangleReport:
    mapping, problems, unchanged = read_mapping(path)
    report = WrangleReport(unchanged_rows=unchanged, problems=problems)
    known = {(t.type, t.raw, t.canonical) for t in store.session.scalars(select(Tag))}
    for key in list(mapping):
        if key not in known:
            report.problems.append(f"no stored {key[0]} tag {key[1]!r} with canonical "
                                   f"{key[2]!r}: the row no longer matches, skipped")
            del mapping[key]
    for (kind, raw, source), target in mapping.items():
        insert_ignore(store.session, table_of(TagRule), [{
            "type": kind, "raw": raw, "source": source, "target": target,
            "key_hash": rule_key(kind, raw, source), "created_at": now()}])
        rule = store.session.scalar(select(TagRule).where(
            TagRule.type == kind, TagRule.key_hash == rule_key(kind, raw, source)))
        if rule is not None:
            rule.target = target
    report.rules = len(mapping)
    if mapping:
        report.stories_changed = _revise_stories(store, mapping)
    store.commit()
    return report


def _revise_stories(store: Store, mapping: dict[Key, str]) -> int:
    tag_ids = [t.id for t in store.session.scalars(select(Tag))
               if (t.type, t.raw, t.canonical) in mapping]
    story_ids: Iterable[int] = store.session.scalars(
        select(StoryRow.id).join(Revision, (Revision.story_id == StoryRow.id)
                                 & (Revision.number == StoryRow.current_revision))
        .join(RevisionTag, RevisionTag.revision_id == Revision.id)
        .where(RevisionTag.tag_id.in_(tag_ids)).distinct()).all()
    changed = 0
    for story_id in story_ids:
        row = store.session.get(StoryRow, story_id)
        assert row is not None
        story = store.load_story(row)
        renamed = apply_rules_to_story(story, mapping)
        if renamed is story:
            continue
        sighting = Sighting(source_id=0, locator="")  # no new sighting for a wrangle
        if store.save_story(renamed, row.identity, sighting, reason="tag-wrangling",
                            record_sighting=False).outcome != "unchanged":
            changed += 1
    return changed
