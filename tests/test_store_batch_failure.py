"""A story its batch cannot store is recorded as that item's failure; the rest of the batch is
stored and counted, and nothing is left half-written. The failure is real: a SQLite trigger
refuses the revision row, as a server would refuse a value it cannot take."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from fanarchive.config import load_config
from fanarchive.importing import Importer
from fanarchive.store.store import Store

POISON = "Poisoned Story"


def _write_stories(folder: Path) -> None:
    prose = "She walked along the river and thought about the letters he had written. " * 12
    for i, title in enumerate(["First Light", POISON, "Third Time", "Fourth Wall"]):
        (folder / f"s{i}.txt").write_text(
            f"Title: {title}\nAuthor: Writer {i}\nRating: PG\n\n----\n\n{prose}{title}.\n",
            encoding="utf-8")


def _refuse_poison(store: Store) -> None:
    store.session.execute(text(
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON revisions "
        f"WHEN NEW.meta LIKE '%{POISON}%' BEGIN SELECT RAISE(ABORT, 'refused by test'); END"))
    store.commit()


def test_one_refused_story_fails_alone_and_the_batch_is_stored(tmp_path: Path) -> None:
    folder = tmp_path / "stories"
    folder.mkdir()
    _write_stories(folder)
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        _refuse_poison(store)
        report = Importer(store, load_config()).run([str(folder)])
        assert (report.new, report.failed) == (3, 1)
        [(locator, code, message)] = report.errors
        assert locator.endswith("s1.txt") and code == "store"
        assert "could not store story" in message and "refused by test" in message
        conn = store.session.connection()
        titles = sorted(t for (t,) in conn.execute(text("SELECT title FROM stories")))
        assert titles == ["First Light", "Fourth Wall", "Third Time"]
        # Nothing half-written for the refused story: no story row, text or sighting of it.
        assert conn.execute(text("SELECT count(*) FROM revisions")).scalar() == 3
        assert conn.execute(text(
            "SELECT count(*) FROM story_sources WHERE locator LIKE '%s1.txt'")).scalar() == 0
        # Its raw bytes were kept all the same, and the run row says what happened.
        assert conn.execute(text(
            "SELECT count(*) FROM documents WHERE locator LIKE '%s1.txt'")).scalar() == 1
        run = conn.execute(text("SELECT new, failed FROM runs ORDER BY id DESC")).first()
        assert tuple(run) == (3, 1)

        store.session.execute(text("DROP TRIGGER refuse_poison"))
        store.commit()
        again = Importer(store, load_config()).run([str(folder)])
        assert (again.new, again.unchanged, again.failed) == (1, 3, 0)
    finally:
        store.close()
