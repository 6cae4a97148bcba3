"""One sync of one registered source: take its lock, import it fully, tombstone what vanished."""

from __future__ import annotations

import threading

from fanarchive.config import Config
from fanarchive.importing import Importer, ImportReport
from fanarchive.progress import Progress
from fanarchive.store.store import Store
from fanarchive.sync.lock import SourceLock
from fanarchive.sync.registry import require_source


def sync_source(store: Store, config: Config, name: str,
                progress: Progress | None = None,
                stop: threading.Event | None = None) -> ImportReport:
    source = require_source(store, name)
    with SourceLock(store.engine, source.id, source.name):
        store.commit()  # end the read snapshot taken before the lock row was written
        importer = Importer(store, config, parser=source.parser, fandom=source.fandom,
                            progress=progress, stop=stop)
        return importer.run([source.location], source=source, full_scan=True, kind="sync")
