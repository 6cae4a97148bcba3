"""One sync of one registered source: take its lock, import it fully, tombstone what vanished."""

from __future__ import annotations

import os
import signal
import threading
from datetime import date

from fanarchive.config import Config
from fanarchive.importing import Importer, ImportReport
from fanarchive.progress import Progress
from fanarchive.store.store import Store
from fanarchive.sync.changes import ChangePolicy, DeepCheck
from fanarchive.sync.lock import SourceLock
from fanarchive.sync.registry import require_source

# TEST HOOK, never set in production: the sync process SIGKILLs itself right after its Nth
# database commit, so reliability tests can stop a `fanarchive sync` at exact, repeatable
# points (tests/sync/test_reliability.py). A kill -9 from outside lands between two commits
# as well; this only makes the point deterministic.
KILL_AFTER_COMMITS = "FANARCHIVE_TEST_KILL_AFTER_COMMITS"


def sync_source(store: Store, config: Config, name: str,
                progress: Progress | None = None,
                stop: threading.Event | None = None, *,
                deep: bool = False, today: date | None = None) -> ImportReport:
    """Sync ``name`` now. ``deep`` re-reads every story's text (catches silent edits);
    ``today`` picks the night of the deep re-check rotation (default: today, UTC)."""
    source = require_source(store, name)
    # End the session's transaction before the lock row is written on another connection: on
    # SQLite a transaction holds the write lock from its BEGIN (IMMEDIATE), so the lock's
    # connection would wait for this one, in this same thread.
    store.commit()
    with SourceLock(store.engine, source.id, source.name):
        try:
            _install_kill_hook(store)
            changes = None
            if source.kind == "web":
                check = DeepCheck.from_settings(config, source.settings, today=today,
                                                force=deep)
                changes = ChangePolicy(store, source.id, check)
            importer = Importer(store, config, parser=source.parser, fandom=source.fandom,
                                progress=progress, stop=stop, changes=changes)
            return importer.run([source.location], source=source, full_scan=True,
                                kind="sync")
        except BaseException:
            store.rollback()  # likewise before the lock row is released
            raise


def _install_kill_hook(store: Store) -> None:
    limit = int(os.environ.get(KILL_AFTER_COMMITS, "0") or 0)
    if limit <= 0:
        return
    from sqlalchemy import event

    commits = [0]

    def after_commit(_session: object) -> None:
        commits[0] += 1
        if commits[0] >= limit:
            os.kill(os.getpid(), signal.SIGKILL)

    event.listen(store.session, "after_commit", after_commit)
