"""Scale-out: source syncs as jobs on a shared procrastinate queue in PostgreSQL.

``fanarchive sync --queue NAME...`` defers one job per source; ``fanarchive worker`` (any number
of them, on any machines that reach the database) runs them. The queue is procrastinate's own
tables in the fanarchive database, so the jobs commit with nothing else and survive restarts.

A job is one source's sync, the unit the change detection (``sync.changes``) and the frontier
resume work with. Three guarantees on top of that:

* politeness across workers: a job's procrastinate ``lock`` is the source's host, so two workers
  never crawl one host at the same time (two sources on one archive wait for each other), while
  jobs for different hosts run in parallel;
* one waiting job per source: the ``queueing_lock`` is the source name, so deferring a source
  that is already waiting is refused, not doubled;
* idempotence: the sync takes the per-source database lock as well, the store's unique
  constraints refuse a second copy of a revision, and a job that dies midway is resumed from
  the crawl frontier by its retry.

Transient failures (site down, source busy, database gone) are retried with exponential
backoff (5 s, 25 s, 125 s, 625 s). The queue needs PostgreSQL; SQLite and MariaDB are refused
with a one-line reason.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from fanarchive.config import Config
from fanarchive.errors import DatabaseError, UsageError
from fanarchive.store.database import redact

log = logging.getLogger("fanarchive.worker")

QUEUE = "fanarchive-sync"
TASK = "fanarchive:sync_source"
MAX_ATTEMPTS = 5
BACKOFF_BASE = 5  # seconds; procrastinate waits base ** (attempt + 1)
# Serializes procrastinate's schema creation when several workers start at once.
_SCHEMA_LOCK = 0x66616E61  # "fana"


def postgres_conninfo(db_url: str) -> str:
    """The libpq URL procrastinate connects with; UsageError for any other database."""
    try:
        url = make_url(db_url)
    except ArgumentError as exc:
        raise UsageError(f"not a database URL: {redact(db_url)}") from exc
    backend = url.get_backend_name()
    if backend != "postgresql":
        raise UsageError(f"the job queue (worker, sync --queue) needs PostgreSQL, and "
                         f"{redact(db_url)} is {backend}: use --db postgresql+psycopg://..., "
                         "or plain `fanarchive sync` on one machine")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sync_job(context: Any, source: str, deep: bool = False) -> dict[str, Any]:
    """One source's sync, run by a worker (procrastinate calls it in a thread)."""
    from fanarchive.store.store import Store
    from fanarchive.sync.runner import sync_source

    settings: WorkerContext = context.additional_context["fanarchive"]
    store = Store.open(settings.db_url, upgrade=False)
    try:
        report = sync_source(store, settings.config, source, deep=deep, stop=settings.stop)
    finally:
        store.close()
    summary = {"source": source, "run": report.run_id, "new": report.new,
               "updated": report.updated, "unchanged": report.unchanged,
               "removed": report.removed, "failed": report.failed}
    log.info("%s: %s", context.worker_name or "worker", summary)
    return summary


@dataclass(frozen=True)
class WorkerContext:
    db_url: str
    config: Config
    stop: threading.Event


def _retry_strategy() -> Any:
    from procrastinate import RetryStrategy

    from fanarchive.errors import DatabaseError as _DatabaseError
    from fanarchive.sync.changes import SourceUnavailable
    from fanarchive.sync.lock import SourceBusy

    return RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=BACKOFF_BASE,
                         retry_exceptions=[SourceUnavailable, SourceBusy, _DatabaseError,
                                           OSError])


def build_app(db_url: str, config: Config, stop: threading.Event | None = None) -> Any:
    """A procrastinate App on the fanarchive database with the sync task registered."""
    from procrastinate import App, Blueprint, PsycopgConnector

    blueprint = Blueprint()
    blueprint.task(name="sync_source", queue=QUEUE, pass_context=True,
                   retry=_retry_strategy())(_sync_job)
    context = WorkerContext(db_url, config, stop or threading.Event())
    app = App(connector=PsycopgConnector(conninfo=postgres_conninfo(db_url)),
              worker_defaults={"additional_context": {"fanarchive": context}})
    app.add_tasks_from(blueprint, namespace="fanarchive")
    return app


def ensure_schema(db_url: str) -> bool:
    """Create procrastinate's tables on first use; True when they were created now."""
    from procrastinate.schema import SchemaManager

    postgres_conninfo(db_url)
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            # Transactional DDL under an advisory lock: two workers starting together
            # neither both create the schema nor see it half made.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar():
                return False
            # The driver formats parameters into the statement: literal % must be doubled.
            conn.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
            return True
    except Exception as exc:  # noqa: BLE001 - connection problems are the user's to fix
        if isinstance(exc, UsageError):
            raise
        raise DatabaseError(f"cannot prepare the job queue in {redact(db_url)}: {exc}") from exc
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Deferred:
    source: str
    job_id: int | None  # None: a job for this source was already waiting
    lock: str


def job_lock(location: str, name: str) -> str:
    """One job at a time per host (politeness); per source for sources off the web."""
    from fanarchive.sources.web import canonicalize
    from fanarchive.sources.web.urls import netloc_of

    try:
        return f"host:{netloc_of(canonicalize(location))}"
    except ValueError:
        return f"source:{name}"


def enqueue(db_url: str, config: Config, names: Sequence[str],
            deep: bool = False) -> list[Deferred]:
    """Defer a sync job for each registered source in ``names``."""
    from procrastinate.exceptions import AlreadyEnqueued

    from fanarchive.store.store import Store
    from fanarchive.sync.registry import require_source

    ensure_schema(db_url)
    store = Store.open(db_url)
    try:
        sources = [require_source(store, name) for name in names]
        locations = [(s.name, s.location) for s in sources]
    finally:
        store.close()
    app = build_app(db_url, config)
    deferred: list[Deferred] = []
    with app.open():
        task = app.tasks[TASK]
        for name, location in locations:
            lock = job_lock(location, name)
            try:
                job_id = task.configure(lock=lock, queueing_lock=f"sync:{name}").defer(
                    source=name, deep=deep)
            except AlreadyEnqueued:
                job_id = None
            deferred.append(Deferred(name, job_id, lock))
    return deferred


def run_worker(db_url: str, config: Config, *, concurrency: int = 1, until_idle: bool = False,
               name: str | None = None) -> None:
    """Process sync jobs until SIGTERM/SIGINT (or, with ``until_idle``, an empty queue)."""
    ensure_schema(db_url)
    app = build_app(db_url, config)
    options: dict[str, Any] = {"queues": [QUEUE], "concurrency": concurrency,
                               "wait": not until_idle, "fetch_job_polling_interval": 1.0}
    if name:
        options["name"] = name
    app.run_worker(**options)
