"""Crash campaign: ``kill -9`` at seeded random points of import, crawl, sync and export.

Every scenario runs the real command in its own process (see ``campaign.launch``), SIGKILLs it
at a random point, checks the database the dead process left behind (``integrity_check``, no
duplicate rows, no torn revision), and finally reruns the command to its end. The result must
equal an uninterrupted run of the same command: the same stories by id, each with the same
current content hash and the same number of revisions. The killed runs stay ``running`` in the
runs table and ``fanarchive status`` shows them. An export killed at any point leaves either no
file at its target or the complete previous export, plus nothing but the exporter's own hidden
``.NAME.*.part`` (and, for folders, ``.NAME.*.old``) temporaries.

Reduced mode (the default, inside the normal test run) has 20 kill points; full mode
(``FANARCHIVE_CAMPAIGN=full``) has 63, with bigger inputs, a registered web source synced over
two nights, and ``python -m fanarchive`` processes.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from campaign import (
    FULL,
    KillPoint,
    cli_env,
    compare_snapshots,
    consistency_problems,
    kill_during,
    max_run_id,
    new_run_started,
    rng_for,
    run_cli,
    run_seconds,
    runs,
    say,
    snapshot,
    sqlite_url,
    titles,
    tree_digest,
    write_stories,
)

from fanarchive.export.folder import MARKER

# Kill points per scenario: 20 in the reduced campaign, 51 in the full one.
# The full campaign adds a registered web source synced over two nights (63 in all).
POINTS = ({"import": 15, "crawl": 12, "sync-first": 6, "sync-changes": 6, "export-jsonl": 6,
           "export-html": 6, "web-sync-first": 6, "web-sync-changes": 6} if FULL else
          {"import": 6, "crawl": 5, "sync-first": 3, "sync-changes": 2, "export-jsonl": 2,
           "export-html": 2, "web-sync-first": 0, "web-sync-changes": 0})
IMPORT_STORIES = 300 if FULL else 120
SYNC_STORIES = 150 if FULL else 60
SITE_STORIES = 60 if FULL else 15
SITE_CHAPTERS = 6 if FULL else 3
CRAWL_FLAGS = ["--delay", "0.02", "--adult", "--allow-private", "--ignore-crawl-delay"]
# Small import batches: a commit every 10 stories, so kills land between many commits.
CONFIG = "[fanarchive.import]\nbatch_size = 20\n"


@dataclass
class Baseline:
    """An uninterrupted run: its database and how long it worked."""

    db: Path
    seconds: float


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash")
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def env(work: Path) -> dict[str, str]:
    return cli_env(work / "home")


@pytest.fixture(scope="module")
def stories(work: Path) -> Path:
    return write_stories(work / "stories", IMPORT_STORIES)


def _import_argv(db: Path, work: Path, location: str, *flags: str) -> list[str]:
    return ["--db", sqlite_url(db), "--config", str(work / "config.toml"), "import", "-q",
            location, *flags]


@pytest.fixture(scope="module")
def clean_import(work: Path, env: dict[str, str], stories: Path) -> Baseline:
    db = work / "clean-import.sqlite3"
    run_cli(_import_argv(db, work, str(stories)), env=env, logs=work / "logs")
    baseline = Baseline(db, run_seconds(db, max_run_id(db)))
    say(f"uninterrupted import of {IMPORT_STORIES} stories: {baseline.seconds:.2f}s")
    return baseline


# -- checks shared by the scenarios ------------------------------------------------------------


def _sound_after_kill(db: Path, point: KillPoint, before: int) -> None:
    """What the killed process left: a sound database, its run row still "running"."""
    if not db.exists():
        return
    problems = consistency_problems(db)
    assert not problems, f"after {point}:\n" + "\n".join(problems)
    for run in (r for r in runs(db) if r["id"] > before):
        # Killed before the end: still "running". A kill can also land after the run's last
        # commit, in the few milliseconds before the process exits.
        assert run["status"] == "running" or (run["status"] == "finished"
                                              and run["finished_at"]), f"after {point}: {run}"


def _left_running(db: Path, before: int) -> int:
    """The run a killed command left unfinished (0: none, or it had finished)."""
    started = [r for r in runs(db) if r["id"] > before and r["status"] == "running"]
    return int(started[-1]["id"]) if started else 0


def _killed_runs(db: Path, points: list[KillPoint], ids: list[int]) -> list[int]:
    return [run_id for run_id, point in zip(ids, points, strict=True) if point.killed and run_id]


def _check_runs_and_status(db: Path, killed_ids: list[int], env: dict[str, str],
                           logs: Path) -> None:
    table = {r["id"]: r for r in runs(db)}
    for run_id in killed_ids:
        assert table[run_id]["status"] in ("running", "interrupted"), table[run_id]
        assert table[run_id]["finished_at"] is None, table[run_id]
    last = max(table)
    assert table[last]["status"] == "finished", table[last]
    shown = run_cli(["--db", sqlite_url(db), "status"], env=env, logs=logs).stdout
    recent = [run_id for run_id in killed_ids if run_id > last - 5]  # status shows 5 runs
    for run_id in recent:
        row = re.search(rf"^\W*{run_id}\s*\W\s*\w+\s*\W.*?\b(running|interrupted)\b", shown,
                        re.MULTILINE)
        assert row, f"`status` does not show killed run {run_id} as running:\n{shown}"


def _equal_to_uninterrupted(db: Path, clean: Path, what: str) -> None:
    problems = consistency_problems(db)
    assert not problems, f"{what}: " + "\n".join(problems)
    got, want = snapshot(db), snapshot(clean)
    assert want, f"{what}: the uninterrupted run stored nothing"
    diff = compare_snapshots(got, want, titles(clean) | titles(db))
    assert not diff, f"{what}: {len(diff)} differences from an uninterrupted run:\n" + \
        "\n".join(diff[:20])


def _enough_kills(points: list[KillPoint]) -> None:
    killed = sum(p.killed for p in points)
    assert killed * 2 >= len(points), (
        f"only {killed} of {len(points)} kills landed before the command finished; the timing "
        "draws no longer fit the workload:\n" + "\n".join(map(str, points)))


# -- import --------------------------------------------------------------------------------------


def test_import_survives_kill_9(work: Path, env: dict[str, str], stories: Path,
                                clean_import: Baseline) -> None:
    rng = rng_for("import")
    db = work / "killed-import.sqlite3"
    argv = _import_argv(db, work, str(stories))
    logs = work / "logs-import"
    points: list[KillPoint] = []
    run_ids: list[int] = []
    for number in range(POINTS["import"]):
        before = max_run_id(db)
        if number == 0:  # the very first run: the kill lands in creating and migrating the file
            trigger: Callable[[], bool] = db.exists
            label, delay = "database file created", rng.uniform(0.0, 0.3)
        else:
            trigger, label = new_run_started(db, before), f"run {before + 1} started"
            delay = rng.uniform(0.05, 0.8) * clean_import.seconds
        point = kill_during(argv, scenario="import", number=number, trigger=trigger,
                            trigger_label=label, delay=delay, env=env, logs=logs)
        points.append(point)
        run_ids.append(_left_running(db, before))
        _sound_after_kill(db, point, before)
    _enough_kills(points)

    run_cli(argv, env=env, logs=logs)
    _equal_to_uninterrupted(db, clean_import.db, "import after kills")
    assert {s.revisions for s in snapshot(db).values()} == {1}
    assert len(snapshot(db)) == IMPORT_STORIES
    _check_runs_and_status(db, _killed_runs(db, points, run_ids), env, logs)


# -- crawl ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site():  # noqa: ANN201 - an ArchiveServer
    from tests.sites.launch import start_site

    server = start_site("efiction", seed=3, stories=SITE_STORIES, max_chapters=SITE_CHAPTERS,
                        crawl_delay=0)
    yield server
    server.stop()


def test_crawl_survives_kill_9(work: Path, env: dict[str, str], site) -> None:  # noqa: ANN001
    rng = rng_for("crawl")
    logs = work / "logs-crawl"
    clean = work / "clean-crawl.sqlite3"
    start = len(site.log)
    run_cli(_import_argv(clean, work, site.url + "/", *CRAWL_FLAGS), env=env, logs=logs)
    total = len(site.log) - start  # requests an uninterrupted crawl makes
    say(f"uninterrupted crawl: {total} requests in {run_seconds(clean, 1):.2f}s")
    visible = [s for s in site.model.visible_stories() if not s.members_only]
    assert len(snapshot(clean)) == len(visible), "the uninterrupted crawl missed stories"

    db = work / "killed-crawl.sqlite3"
    argv = _import_argv(db, work, site.url + "/", *CRAWL_FLAGS)
    points: list[KillPoint] = []
    run_ids: list[int] = []
    # Kill points spread over the whole crawl: after a seeded share of the uninterrupted
    # crawl's requests (counted over all the killed runs), the last one near the very end,
    # where the pages are all fetched and the stories are being merged and saved.
    shares = sorted(rng.uniform(0.05, 0.9) for _ in range(POINTS["crawl"] - 1)) + [0.98]
    first = len(site.log)
    for number, share in enumerate(shares):
        before = max_run_id(db)
        wanted = first + max(1, round(share * total))

        def enough(wanted: int = wanted) -> bool:
            return len(site.log) >= wanted

        late = number == len(shares) - 1
        point = kill_during(argv, scenario="crawl", number=number, trigger=enough,
                            trigger_label=f"{share:.0%} of the crawl's requests served",
                            delay=rng.uniform(0.0, 1.0 if late else 0.05), env=env, logs=logs)
        points.append(point)
        run_ids.append(_left_running(db, before))
        _sound_after_kill(db, point, before)
    _enough_kills(points)

    run_cli(argv, env=env, logs=logs)
    _equal_to_uninterrupted(db, clean, "crawl after kills")
    assert {s.revisions for s in snapshot(db).values()} == {1}
    _check_runs_and_status(db, _killed_runs(db, points, run_ids), env, logs)


# -- sync ----------------------------------------------------------------------------------------


def _change_folder(folder: Path, rng_seed: str) -> None:
    """An archive between two nights: some stories edited, some gone, some new."""
    import random

    rng = random.Random(rng_seed)
    files = sorted(folder.rglob("*.txt"))
    picked = rng.sample(files, k=len(files) // 5)
    for path in picked[: len(picked) // 2]:  # edited
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\nAn epilogue the author added years later, in a hurry.\n")
    for path in picked[len(picked) // 2:]:  # removed
        path.unlink()
    extra = write_stories(folder.parent / "extra", len(files) + 5)  # generator numbers them
    for path in sorted(extra.rglob("*.txt"))[-5:]:  # five stories the source did not have
        shutil.copy(path, folder / f"new-{path.name}")


def test_sync_survives_kill_9(work: Path, env: dict[str, str]) -> None:
    logs = work / "logs-sync"
    folder = write_stories(work / "sync-source", SYNC_STORIES)
    clean, db = work / "clean-sync.sqlite3", work / "killed-sync.sqlite3"
    for target in (clean, db):
        run_cli(["--db", sqlite_url(target), "--config", str(work / "config.toml"), "source",
                 "add", "nightly", str(folder)], env=env, logs=logs)

    def argv(target: Path) -> list[str]:
        return ["--db", sqlite_url(target), "--config", str(work / "config.toml"), "sync",
                "nightly", "-q"]

    killed_ids: list[int] = []
    for phase in ("sync-first", "sync-changes"):
        if phase == "sync-changes":
            _change_folder(folder, f"{phase}")
        run_cli(argv(clean), env=env, logs=logs)
        seconds = run_seconds(clean, max_run_id(clean))
        say(f"{phase}: uninterrupted sync {seconds:.2f}s")
        rng = rng_for(phase)
        points: list[KillPoint] = []
        run_ids: list[int] = []
        for number in range(POINTS[phase]):
            before = max_run_id(db)
            point = kill_during(argv(db), scenario=phase, number=number,
                                trigger=new_run_started(db, before),
                                trigger_label=f"run {before + 1} started",
                                delay=rng.uniform(0.05, 0.8) * seconds, env=env, logs=logs)
            points.append(point)
            run_ids.append(_left_running(db, before))
            _sound_after_kill(db, point, before)
        _enough_kills(points)
        final = run_cli(argv(db), env=env, logs=logs)
        assert "busy" not in final.stdout, f"a dead sync still holds the lock:\n{final.stdout}"
        _equal_to_uninterrupted(db, clean, f"{phase} after kills")
        killed_ids += _killed_runs(db, points, run_ids)
    states = snapshot(db).values()
    assert {s.revisions for s in states} == {1, 2}
    assert sum(s.removed for s in states) == sum(s.removed for s in snapshot(clean).values()) > 0
    _check_runs_and_status(db, killed_ids, env, logs)


@pytest.mark.skipif(not POINTS["web-sync-first"], reason="full campaign only "
                    "(FANARCHIVE_CAMPAIGN=full)")
def test_web_sync_survives_kill_9(work: Path, env: dict[str, str]) -> None:
    """A registered web source, two nights: the second after edits, a new chapter and a
    removed story, synced with the change detection that skips unchanged stories' pages."""
    from tests.sites.launch import start_site

    site = start_site("efiction", seed=11, stories=SITE_STORIES, max_chapters=SITE_CHAPTERS,
                      crawl_delay=0)
    logs = work / "logs-web-sync"
    clean, db = work / "clean-web-sync.sqlite3", work / "killed-web-sync.sqlite3"
    try:
        for target in (clean, db):
            run_cli(["--db", sqlite_url(target), "source", "add", "web", site.url + "/",
                     *CRAWL_FLAGS], env=env, logs=logs)

        def argv(target: Path) -> list[str]:
            return ["--db", sqlite_url(target), "sync", "web", "-q"]

        killed_ids: list[int] = []
        for phase in ("web-sync-first", "web-sync-changes"):
            if phase == "web-sync-changes":
                visible = [s.sid for s in site.model.visible_stories() if not s.members_only]
                site.model.edit_chapter(visible[0], 1, "Rewritten, years later.\n\nShorter.")
                site.model.add_chapter(visible[1])
                site.model.remove_story(visible[2])
            mark = len(site.log)
            run_cli(argv(clean), env=env, logs=logs)
            total = len(site.log) - mark
            rng = rng_for(phase)
            shares = sorted(rng.uniform(0.05, 0.95) for _ in range(POINTS[phase]))
            points: list[KillPoint] = []
            run_ids: list[int] = []
            first = len(site.log)
            for number, share in enumerate(shares):
                before = max_run_id(db)
                wanted = first + max(1, round(share * total))

                def enough(wanted: int = wanted) -> bool:
                    return len(site.log) >= wanted

                point = kill_during(argv(db), scenario=phase, number=number, trigger=enough,
                                    trigger_label=f"{share:.0%} of the sync's requests served",
                                    delay=rng.uniform(0.0, 0.05), env=env, logs=logs)
                points.append(point)
                run_ids.append(_left_running(db, before))
                _sound_after_kill(db, point, before)
            _enough_kills(points)
            final = run_cli(argv(db), env=env, logs=logs)
            assert "busy" not in final.stdout, final.stdout
            _equal_to_uninterrupted(db, clean, f"{phase} after kills")
            killed_ids += _killed_runs(db, points, run_ids)
        _check_runs_and_status(db, killed_ids, env, logs)
    finally:
        site.stop()


# -- export --------------------------------------------------------------------------------------


def _temporaries(folder: Path, name: str) -> list[str]:
    """Entries beside the target that are not the target; only the exporter's own are allowed."""
    allowed = re.compile(rf"^\.{re.escape(name)}\..+\.(part|old)$")
    others = sorted(p.name for p in folder.iterdir() if p.name != name)
    strays = [n for n in others if not allowed.match(n)]
    assert not strays, f"files beside {name} that are not the exporter's temporaries: {strays}"
    return others


def _written(folder: Path, name: str, leftovers: set[str]) -> int:
    """How far the running export to ``folder/name`` got: bytes in its ``.part`` file, or files
    in its ``.part`` folder (0 before it exists). ``leftovers`` are earlier kills' temporaries."""
    prefix = f".{name}."
    parts = [p for p in folder.iterdir() if p.name.startswith(prefix)
             and p.name.endswith(".part") and p.name not in leftovers]
    try:
        if not parts:
            return 0
        if parts[0].is_dir():
            return sum(len(files) for _, _, files in os.walk(parts[0]))
        return parts[0].stat().st_size
    except FileNotFoundError:  # renamed into place or removed between the calls
        return 0


def _output_size(target: Path) -> int:
    if target.is_dir():
        return sum(len(files) for _, _, files in os.walk(target))
    return target.stat().st_size


def _complete(target: Path, fmt: str, stories: int) -> dict[str, str]:
    """The export at ``target`` is whole; returns its digest (the marker's timestamp aside)."""
    import json

    if fmt == "jsonl":
        lines = target.read_text(encoding="utf-8").splitlines()
        assert len(lines) == stories, f"{target}: {len(lines)} lines, {stories} stories"
        for line in lines:
            json.loads(line)
    else:
        assert (target / MARKER).is_file(), f"{target} has no {MARKER}"
        assert (target / "index.html").is_file()
        pages = list((target / "stories").glob("*.html"))
        assert len(pages) >= stories, f"{target}: {len(pages)} story pages, {stories} stories"
    return tree_digest(target, skip=[MARKER])


def _add_one_story(db: Path, work: Path, env: dict[str, str], logs: Path) -> None:
    extra = work / "one-more"
    extra.mkdir(exist_ok=True)
    (extra / "late.txt").write_text(
        "Title: A Late Arrival\n\nAuthor: Someone New\n\nRating: PG\n\n----\n\n"
        "It came after the first export had been written, and changed it.\n",
        encoding="utf-8")
    run_cli(_import_argv(db, work, str(extra)), env=env, logs=logs)


@pytest.mark.parametrize("fmt", ["jsonl", "html"])
def test_export_killed_leaves_nothing_that_looks_complete(work: Path, env: dict[str, str],
                                                          clean_import: Baseline,
                                                          fmt: str) -> None:
    scenario = f"export-{fmt}"
    rng = rng_for(scenario)
    logs = work / f"logs-{scenario}"
    db = work / f"{scenario}.sqlite3"
    with sqlite3.connect(clean_import.db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    name = "stories.jsonl" if fmt == "jsonl" else "site"
    out = work / f"{scenario}-out"
    out.mkdir()
    target = out / name

    def argv(where: Path) -> list[str]:
        return ["--db", sqlite_url(db), "export", "--format", fmt, "-o", str(where)]

    reference = work / f"{scenario}-ref"
    reference.mkdir()
    run_cli(argv(reference / name), env=env, logs=logs)
    first = _complete(reference / name, fmt, IMPORT_STORIES)
    size = _output_size(reference / name)
    unit = "files" if fmt == "html" else "bytes"
    say(f"{scenario}: an uninterrupted export writes {size} {unit}")

    points: list[KillPoint] = []
    seen: list[tuple[KillPoint, dict[str, str] | None]] = []
    half = POINTS[scenario] // 2
    for number in range(POINTS[scenario]):
        if number == half:  # from here on a previous, complete export sits at the target
            run_cli(argv(target), env=env, logs=logs)
            assert _complete(target, fmt, IMPORT_STORIES) == first
            _add_one_story(db, work, env, logs)
        # Kill once the temporary holds a seeded share of a whole export; shares near 1 land
        # in the final rename (and, for a folder, the removal of the previous export).
        share = rng.uniform(0.02, 1.0)
        wanted = max(1, int(share * size))

        leftovers = {p.name for p in out.iterdir()}

        def enough(wanted: int = wanted, leftovers: set[str] = leftovers) -> bool:
            return _written(out, name, leftovers) >= wanted

        point = kill_during(argv(target), scenario=scenario, number=number, trigger=enough,
                            trigger_label=f"{share:.0%} of the export written",
                            delay=rng.uniform(0.0, 0.02), env=env, logs=logs)
        points.append(point)
        _temporaries(out, name)
        state = tree_digest(target, skip=[MARKER]) if target.exists() else None
        if number < half:
            assert state in (None, first), f"after {point}: {target} exists, incomplete"
        seen.append((point, state))
    _enough_kills(points)

    run_cli(argv(target), env=env, logs=logs)
    final = _complete(target, fmt, IMPORT_STORIES + 1)
    assert final != first
    for point, state in seen[half:]:
        assert state in (first, final), (
            f"after {point}: {target} is neither the previous export nor a complete new one")
    leftovers = _temporaries(out, name)
    say(f"{scenario}: {len(leftovers)} temporaries left by killed exports: {leftovers}")


# -- regression: what an age gate says depends on the crawl's session ---------------------------


class _Remembering:
    """Serves a site that remembers a reader's consent per client (as some do by IP) or not
    at all, whatever cookies the crawler keeps (fanarchive keeps none)."""

    def __init__(self, inner) -> None:  # noqa: ANN001 - a site renderer
        self.inner = inner
        self.remember = True

    def __getattr__(self, name: str):  # noqa: ANN204 - name, model, options, URL helpers
        return getattr(self.inner, name)

    def handle(self, request):  # noqa: ANN001,ANN201 - Request -> Response
        from tests.sites.requestlog import Headers
        from tests.sites.wire import Request

        kept = [(name, request.headers[name]) for name in request.headers
                if name.lower() != "cookie"]
        if self.remember:
            kept.append(("Cookie", "PHPSESSID=one-client"))
        request = Request(request.method, request.target, Headers(kept), request.body)
        return self.inner.handle(request)


def test_stored_story_does_not_depend_on_the_crawl_session(work: Path,
                                                           env: dict[str, str]) -> None:
    """Found by the crash campaign: a crawl resumed after kill -9 started a new session, met
    the age gate again for the next story of an already-consented rating, and stored that
    gate's "Gate"/"Gate message" lines in the story's raw headers: another content hash than
    an uninterrupted crawl (and a spurious revision on a later sync whenever crawl order
    changed which story met the gate). The crawler now keeps no cookies, but a site may
    remember consent by other means: here one crawl's consents are remembered, one's never."""
    from tests.sites.content import ArchiveModel
    from tests.sites.launch import build_site
    from tests.sites.server import ArchiveServer

    model = ArchiveModel.generate(seed=3, stories=15, max_chapters=2)
    gated = [s for s in model.visible_stories()
             if model.rating_of(s).warning_level and not s.members_only]
    ratings = [model.rating_of(s).rid for s in gated]
    assert any(ratings.count(r) > 1 for r in ratings), "needs two stories behind one gate"
    site = _Remembering(build_site("efiction", model, crawl_delay=0))
    server = ArchiveServer(site).start()
    logs = work / "logs-session"
    try:
        flags = [server.url + "/", *CRAWL_FLAGS]
        remembered = work / "remembered.sqlite3"
        run_cli(_import_argv(remembered, work, *flags), env=env, logs=logs)
        site.remember = False
        forgotten = work / "forgotten.sqlite3"
        run_cli(_import_argv(forgotten, work, *flags), env=env, logs=logs)
    finally:
        server.stop()
    _equal_to_uninterrupted(forgotten, remembered, "a crawl whose consents are forgotten")
