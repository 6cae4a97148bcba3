"""The nightly-import daemon: APScheduler 3 runs each source's cron from fanarchive's tables.

Schedules are read from the ``sources`` table and reconciled every ``reload_every`` seconds, so
``fanarchive source add/remove`` takes effect without a restart. Each job runs in its own thread
with its own database session; the per-source database lock keeps one sync per source even
across processes. A run missed while the machine was off runs once at start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from fanarchive.config import Config
from fanarchive.store.models import Run, Source
from fanarchive.store.store import Store
from fanarchive.sync.lock import SourceBusy
from fanarchive.sync.registry import list_sources
from fanarchive.sync.runner import sync_source

log = logging.getLogger("fanarchive.scheduler")


def last_run_start(store: Store, source_id: int) -> datetime | None:
    started = store.session.scalar(
        select(func.max(Run.started_at)).where(Run.source_id == source_id, Run.kind == "sync",
                                               Run.status == "finished"))
    if started is not None and started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return started


def missed_since(trigger: CronTrigger, last: datetime | None, now: datetime) -> bool:
    """True when the schedule fired at least once between the last finished run and now."""
    if last is None:
        return True
    upcoming = trigger.get_next_fire_time(None, last)
    return upcoming is not None and upcoming <= now


class SyncScheduler:
    def __init__(self, db_url: str, config: Config, *, reload_every: float = 30.0,
                 on_report: Callable[[str, object], None] | None = None) -> None:
        self.db_url = db_url
        self.config = config
        self.timezone = str(config.get("fanarchive.sync.timezone", "UTC"))
        self.reload_every = reload_every
        self.on_report = on_report
        self.stop = threading.Event()
        self._signatures: dict[str, str] = {}
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(int(config.get(
                "fanarchive.sync.parallel_sources", 2)))},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(config.get(
                              "fanarchive.sync.misfire_grace_seconds", 3600))},
            timezone=self.timezone,
        )

    def start(self) -> None:
        store = Store.open(self.db_url)
        try:
            self.reconcile(store, catch_up=True)
        finally:
            store.close()
        self.scheduler.add_job(self._reload, "interval", seconds=self.reload_every,
                               id="fanarchive:reload", coalesce=True, max_instances=1)
        self.scheduler.start()

    def shutdown(self) -> None:
        """Ask running syncs to checkpoint and stop, then wait for them."""
        self.stop.set()
        self.scheduler.shutdown(wait=True)

    def jobs(self) -> dict[str, datetime | None]:
        return {job.id.removeprefix("sync:"): job.next_run_time
                for job in self.scheduler.get_jobs() if job.id.startswith("sync:")}

    def _reload(self) -> None:
        store = Store.open(self.db_url, upgrade=False)
        try:
            self.reconcile(store)
        finally:
            store.close()

    def reconcile(self, store: Store, catch_up: bool = False) -> None:
        now = datetime.now(UTC)
        wanted: dict[str, Source] = {s.name: s for s in list_sources(store) if s.schedule}
        for name in set(self._signatures) - set(wanted):
            self.scheduler.remove_job(f"sync:{name}")
            del self._signatures[name]
            log.info("unscheduled %s", name)
        for name, source in wanted.items():
            signature = f"{source.schedule}|{self.timezone}"
            trigger = CronTrigger.from_crontab(str(source.schedule), timezone=self.timezone)
            if self._signatures.get(name) != signature:
                self.scheduler.add_job(self._run, trigger, args=[name], id=f"sync:{name}",
                                       name=f"sync {name}", replace_existing=True)
                self._signatures[name] = signature
                log.info("scheduled %s: %s (%s)", name, source.schedule, self.timezone)
            if catch_up and missed_since(trigger, last_run_start(store, source.id), now):
                log.info("source %s missed a scheduled run while stopped: running it now", name)
                self.scheduler.add_job(self._run, args=[name], id=f"catchup:{name}",
                                       replace_existing=True)

    def _run(self, name: str) -> None:
        if self.stop.is_set():
            return
        store = Store.open(self.db_url, upgrade=False)
        try:
            report: object = sync_source(store, self.config, name, stop=self.stop)
        except SourceBusy as exc:
            report = exc
            log.warning("%s", exc)
        except Exception as exc:  # one broken source must not stop the daemon
            report = exc
            log.exception("sync of %s failed", name)
        finally:
            store.close()
        if self.on_report:
            self.on_report(name, report)
