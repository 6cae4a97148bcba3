"""What is stored, what happened lately, and what to do next (``fanarchive status``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from fanarchive.store.models import (
    NOTE,
    Blob,
    DocumentRow,
    QualityFlagRow,
    Revision,
    Run,
    RunError,
    Source,
    StoryRow,
)
from fanarchive.store.store import Store


@dataclass
class RunSummary:
    id: int
    kind: str
    source: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    new: int
    updated: int
    unchanged: int
    failed: int
    skipped: int
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # locator, code, message
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # outcomes, not failures
    removed: int = 0
    requests: int = 0  # HTTP requests of a crawl or sync: what the run cost the site
    bytes_in: int = 0
    message: str | None = None  # why a run failed


@dataclass
class StatusReport:
    database: str
    stories: int
    removed: int
    revisions: int
    documents: int
    blob_bytes: int
    sources: int
    flags: dict[str, int]
    runs: list[RunSummary]
    hints: list[str]
    schedules: list[tuple[str, str, str]] = field(default_factory=list)  # name, cron, next run


def build_status(store: Store, database: str, last_runs: int = 5,
                 errors_per_run: int = 10) -> StatusReport:
    s = store.session
    stories = s.scalar(select(func.count()).select_from(StoryRow)
                       .where(StoryRow.removed_at.is_(None))) or 0
    removed = s.scalar(select(func.count()).select_from(StoryRow)
                       .where(StoryRow.removed_at.is_not(None))) or 0
    flags = dict(s.execute(
        select(QualityFlagRow.code, func.count())
        .join(Revision, Revision.id == QualityFlagRow.revision_id)
        .join(StoryRow, (StoryRow.id == Revision.story_id)
              & (StoryRow.current_revision == Revision.number))
        .group_by(QualityFlagRow.code).order_by(QualityFlagRow.code)
    ).all())
    runs: list[RunSummary] = []
    names = dict(s.execute(select(Source.id, Source.name)).all())
    for run in s.scalars(select(Run).order_by(Run.id.desc()).limit(last_runs)):
        errors, notes = ([(row.locator, row.code, row.message) for row in s.execute(
            select(RunError.locator, RunError.code, RunError.message)
            .where(RunError.run_id == run.id, kind).order_by(RunError.id).limit(errors_per_run)
        )] for kind in (RunError.stage != NOTE, RunError.stage == NOTE))
        runs.append(RunSummary(
            run.id, run.kind, names.get(run.source_id) if run.source_id else None, run.status,
            run.started_at, run.finished_at, run.new, run.updated, run.unchanged, run.failed,
            run.skipped, list(errors), list(notes), run.removed or 0, run.requests or 0,
            run.bytes_in or 0, run.message,
        ))
    hints: list[str] = []
    if stories == 0:
        hints.append("Nothing stored yet: run `fanarchive import PATH` "
                     "on a file, folder or archive.")
    else:
        hints.append("Export with `fanarchive export --format jsonl -o stories.jsonl`.")
    if runs and runs[0].failed:
        hints.append(f"The last run had {runs[0].failed} failed item(s); reasons are listed above.")
    if runs and runs[0].status == "running":
        hints.append("The last run did not finish (interrupted?): run it again; nothing is lost.")
    for r in runs:
        gated = s.scalar(select(func.count()).select_from(RunError).where(
            RunError.run_id == r.id, RunError.code == "gated")) or 0
        if gated:
            where = (f"`fanarchive source add {r.source} … --adult --replace`"
                     if r.source and not r.source.startswith("import:")
                     else "`--adult` on the import")
            hints.append(f"{gated} stories gated in run {r.id}: if you consent to age gates, "
                         f"use {where}.")
        login = s.scalar(select(func.count()).select_from(RunError).where(
            RunError.run_id == r.id, RunError.code == "login")) or 0
        if login:
            hints.append(f"{login} pages in run {r.id} need a login; they were recorded, "
                         "not parsed.")
    if flags.get("no-headers"):
        hints.append(f"{flags['no-headers']} stories had no header block: check their titles.")
    return StatusReport(
        database=database,
        stories=int(stories),
        removed=int(removed),
        revisions=store.count(Revision),
        documents=store.count(DocumentRow),
        blob_bytes=int(s.scalar(select(func.coalesce(func.sum(Blob.size), 0))) or 0),
        sources=store.count(Source),
        flags={k: int(v) for k, v in flags.items()},
        runs=runs,
        hints=hints,
        schedules=_schedules(store),
    )


def _schedules(store: Store) -> list[tuple[str, str, str]]:
    """Each scheduled source with its next run time (UTC unless configured otherwise)."""
    from datetime import UTC
    from datetime import datetime as dt

    from apscheduler.triggers.cron import CronTrigger

    out: list[tuple[str, str, str]] = []
    for name, cron in store.session.execute(
            select(Source.name, Source.schedule).where(Source.schedule.is_not(None))
            .order_by(Source.name)).all():
        try:
            nxt = CronTrigger.from_crontab(cron, timezone="UTC").get_next_fire_time(
                None, dt.now(UTC))
        except ValueError:
            nxt = None
        out.append((name, str(cron), f"{nxt:%Y-%m-%d %H:%M %Z}" if nxt else "never"))
    return out
