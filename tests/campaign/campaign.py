"""Shared machinery of the crash, fault and security campaigns.

* :func:`launch` starts a real ``fanarchive`` command in its own process and returns a
  :class:`Victim` that can be SIGKILLed. Two ways, same command line and the same ``main()``:

  - ``fork`` (reduced mode default): the process is forked from a small fork server (a
    single-threaded Python process started once, with fanarchive imported already), so a
    command starts working within milliseconds instead of after ~2 s of imports. Kill points
    then land in the work, not in the interpreter's start-up, and 20 of them fit the budget.
  - ``exec`` (full mode default): ``python -m fanarchive ...``, exactly what cron runs.

  ``FANARCHIVE_CAMPAIGN_LAUNCH=fork|exec`` overrides either default.
* :func:`kill_during` starts a command, waits for a trigger (a run row, a temp file, N requests
  in a server log), sleeps a seeded delay and sends SIGKILL; every kill point is a
  :class:`KillPoint` printed with its seed.
* :func:`snapshot` and :func:`consistency_problems` read a SQLite database with the standard
  library only, so the checks never share code (or bugs) with the store.

Seeds: ``FANARCHIVE_CAMPAIGN_SEED`` (default :data:`DEFAULT_SEED`); each scenario derives its own
``random.Random(f"{seed}:{scenario}")`` so one scenario can be replayed alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

MODE = (os.environ.get("FANARCHIVE_CAMPAIGN") or "reduced").strip().lower()
if MODE not in ("reduced", "full"):
    raise RuntimeError(f"FANARCHIVE_CAMPAIGN={MODE!r}: use 'reduced' (default) or 'full'")
FULL = MODE == "full"
DEFAULT_SEED = 20261125
SEED = int(os.environ.get("FANARCHIVE_CAMPAIGN_SEED") or DEFAULT_SEED)
LAUNCH = (os.environ.get("FANARCHIVE_CAMPAIGN_LAUNCH") or ("exec" if FULL else "fork")).lower()
if LAUNCH not in ("fork", "exec"):
    raise RuntimeError(f"FANARCHIVE_CAMPAIGN_LAUNCH={LAUNCH!r}: use 'fork' or 'exec'")

# Modules the fork server imports once; every forked command starts with them loaded.
_PRELOAD = [
    "fanarchive.cli", "fanarchive.importing", "fanarchive.export", "fanarchive.export.jsonl",
    "fanarchive.export.html_site", "fanarchive.export.epub", "fanarchive.sources.web",
    "fanarchive.sync.runner", "fanarchive.status", "fanarchive.plugins", "campaign",
]


def rng_for(scenario: str) -> random.Random:
    """The scenario's own generator: replay one scenario with the same seed alone."""
    return random.Random(f"{SEED}:{scenario}")


def say(message: str) -> None:
    """Progress lines of the campaign (shown with ``pytest -s`` and in failure reports)."""
    print(f"[campaign {MODE} seed={SEED}] {message}", flush=True)


# -- running commands ------------------------------------------------------------------------


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a command: no inherited FANARCHIVE_* settings, its own data
    folder, wide non-interactive output (rich tables unwrapped, no colour codes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANARCHIVE_")}
    env.update({"FANARCHIVE_HOME": str(home), "COLUMNS": "250", "NO_COLOR": "1",
                "TERM": "dumb", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def _child(job: dict[str, Any]) -> int:
    """Body of a forked command: its own environment, cwd and output files, then ``main``."""
    os.environ.clear()
    os.environ.update(job["env"])
    os.chdir(job["cwd"])
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd, path in ((1, job["stdout"]), (2, job["stderr"])):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(handle, fd)
        os.close(handle)
    for signum in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = 1
    try:
        from fanarchive.cli import main

        code = main(list(job["argv"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported on the command's stderr like Python would
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return code


def zygote_main(status_dir: str) -> None:
    """The fork server: import fanarchive once, then fork one child per line on stdin.

    Each line is a JSON job (argv, env, cwd, stdout, stderr); the reply is the child's pid.
    Children are reaped here (they are not the test process's children); each exit status is
    written to ``STATUS_DIR/PID.exit``, which is how :class:`Victim` learns it.
    """
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    _warm_up()

    def reap(_signum: int, _frame: object) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            tmp = Path(status_dir) / f"{pid}.tmp"
            tmp.write_text(str(os.waitstatus_to_exitcode(status)))
            os.replace(tmp, Path(status_dir) / f"{pid}.exit")

    signal.signal(signal.SIGCHLD, reap)
    for line in sys.stdin:
        job = json.loads(line)
        # No reaping between the fork and forgetting an old status under a recycled pid.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        pid = os.fork()
        if pid == 0:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            os._exit(_child(job))
        (Path(status_dir) / f"{pid}.exit").unlink(missing_ok=True)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


def _warm_up() -> None:
    """Run import, export and status once in the server, so the lazy imports, compiled
    regular expressions and word lists every command loads on first use are loaded before
    the fork: a forked command's time is then the command's own work."""
    import io
    import tempfile

    from fanarchive.cli import main

    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="fanarchive-warm-") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        (folder / "warm.txt").write_text(
            "Title: Warm Up\n\nAuthor: Nobody <nobody@example.org>\n\nRating: PG\n\n"
            "Pairing: B/S\n\nSummary: Nothing.\n\n----\n\n" + "Words and more words. " * 60,
            encoding="utf-8")
        os.environ["FANARCHIVE_HOME"] = tmp
        db = f"sqlite:///{tmp}/warm.sqlite3"
        sink = io.StringIO()
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                main(["--db", db, "import", "-q", str(folder)])
                main(["--db", db, "export", "--format", "jsonl", "-o", f"{tmp}/w.jsonl"])
                main(["--db", db, "export", "--format", "html", "-o", f"{tmp}/site"])
                main(["--db", db, "status"])
        finally:
            os.environ.clear()
            os.environ.update(saved)


class _Zygote:
    """The test process's handle on the fork server (started on first use)."""

    def __init__(self) -> None:
        import tempfile
        import threading

        self.status_dir = Path(tempfile.mkdtemp(prefix="fanarchive-zygote-"))
        code = ("import sys; sys.path[:0] = sys.argv[2:]; import campaign; "
                "campaign.zygote_main(sys.argv[1])")
        # Consoles created at import time (rich) read the terminal width then: give the
        # server the same wide, colourless settings cli_env() gives each command.
        env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(self.status_dir), str(HERE), str(ROOT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1, env=env)
        self.lock = threading.Lock()

    def fork(self, job: dict[str, Any]) -> int:
        with self.lock:
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
            reply = self.process.stdout.readline()
        assert reply.strip().isdigit(), f"the fork server died (reply {reply!r})"
        return int(reply)

    def exit_status(self, pid: int) -> int | None:
        path = self.status_dir / f"{pid}.exit"
        return int(path.read_text()) if path.exists() else None

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        import shutil

        shutil.rmtree(self.status_dir, ignore_errors=True)


_ZYGOTE: _Zygote | None = None
_COUNTER = [0]  # numbers the output files of the commands started by this process


def _zygote() -> _Zygote:
    global _ZYGOTE
    if _ZYGOTE is None:
        import atexit

        _ZYGOTE = _Zygote()
        atexit.register(_ZYGOTE.close)
    return _ZYGOTE


@dataclass
class _Forked:
    """A forked command: same questions as a Popen, answered by the fork server."""

    pid: int
    zygote: _Zygote

    def poll(self) -> int | None:
        return self.zygote.exit_status(self.pid)


@dataclass
class Victim:
    """A running ``fanarchive`` command in its own process."""

    argv: list[str]
    stdout_path: Path
    stderr_path: Path
    process: Any  # subprocess.Popen or _Forked
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill9(self) -> None:
        if self.process.poll() is not None:
            return  # reaped already: the pid may belong to someone else by now
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float) -> int:
        """The exit status: negative for a signal (-9 after :meth:`kill9`)."""
        deadline = time.monotonic() + timeout
        while (code := self.process.poll()) is None:
            if time.monotonic() > deadline:
                self.kill9()
                raise AssertionError(f"{self.describe()} still running after {timeout} s; "
                                     f"killed.\n{self.output()}")
            time.sleep(0.005)
        return int(code)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def output(self) -> str:
        return f"--- stdout ---\n{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-3000:]}"

    def describe(self) -> str:
        return "fanarchive " + " ".join(self.argv)


def launch(argv: list[str], *, env: dict[str, str], logs: Path, cwd: Path | None = None,
           how: str | None = None) -> Victim:
    """Start ``fanarchive ARGV`` (see the module doc for ``how``); output goes to ``logs``."""
    how = how or LAUNCH
    logs.mkdir(parents=True, exist_ok=True)
    _COUNTER[0] += 1
    stem = logs / f"cmd{_COUNTER[0]:04d}"
    out, err = stem.with_suffix(".out"), stem.with_suffix(".err")
    workdir = str(cwd or logs)
    if how == "exec":
        with out.open("wb") as fo, err.open("wb") as fe:
            process: Any = subprocess.Popen([sys.executable, "-m", "fanarchive", *argv],
                                            stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                                            env=env, cwd=workdir)
    else:
        zygote = _zygote()
        process = _Forked(zygote.fork({"argv": list(argv), "env": env, "cwd": workdir,
                                       "stdout": str(out), "stderr": str(err)}), zygote)
    return Victim(list(argv), out, err, process)


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str
    seconds: float


def run_cli(argv: list[str], *, env: dict[str, str], logs: Path, cwd: Path | None = None,
            timeout: float = 300, how: str | None = None, expect: int | None = 0) -> Finished:
    """Run a command to its end; fails with its output when the exit status is unexpected."""
    victim = launch(argv, env=env, logs=logs, cwd=cwd, how=how)
    code = victim.wait(timeout)
    done = Finished(code, victim.stdout, victim.stderr, time.monotonic() - victim.started)
    if expect is not None:
        assert code == expect, (f"{victim.describe()} exited {code}, expected {expect}\n"
                                f"{victim.output()}")
    return done


@dataclass
class KillPoint:
    scenario: str
    number: int
    trigger: str
    delay: float
    killed: bool  # False when the command finished before the kill landed
    returncode: int
    after: float  # seconds since the command started
    note: str = ""

    def __str__(self) -> str:
        what = "SIGKILL" if self.killed else f"finished first (exit {self.returncode})"
        return (f"{self.scenario} #{self.number}: {self.trigger} + {self.delay:.3f}s -> {what} "
                f"at {self.after:.2f}s {self.note}").rstrip()


def kill_during(argv: list[str], *, scenario: str, number: int, trigger: Callable[[], bool],
                trigger_label: str, delay: float, env: dict[str, str], logs: Path,
                cwd: Path | None = None, timeout: float = 120) -> KillPoint:
    """Start ``argv``; once ``trigger()`` is true sleep ``delay`` and SIGKILL the process.

    A command that ends before the kill is recorded as such (``killed`` False), never failed:
    it must then have succeeded.
    """
    victim = launch(argv, env=env, logs=logs, cwd=cwd)
    deadline = victim.started + timeout
    while victim.alive() and not trigger():
        assert time.monotonic() < deadline, (f"{scenario} #{number}: trigger {trigger_label!r} "
                                             f"never fired\n{victim.output()}")
        time.sleep(0.005)
    end = time.monotonic() + delay
    while victim.alive() and time.monotonic() < end:
        time.sleep(min(0.005, max(0.0, end - time.monotonic())))
    victim.kill9()
    code = victim.wait(60)
    point = KillPoint(scenario, number, trigger_label, delay, code == -signal.SIGKILL, code,
                      time.monotonic() - victim.started)
    if not point.killed:
        assert code == 0, f"{point}: the command failed on its own\n{victim.output()}"
    say(str(point))
    return point


# -- reading a SQLite database ---------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def connect(path: Path) -> sqlite3.Connection:
    """A plain connection (never creates the file): reads only, in autocommit mode."""
    if not path.exists():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def query(path: Path, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql``; an empty list while the database or its tables do not exist yet."""
    if not path.exists():
        return []
    try:
        conn = connect(path)
    except sqlite3.OperationalError:
        return []
    try:
        return list(conn.execute(sql, tuple(params)))
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc) or "locked" in str(exc) or "busy" in str(exc):
            return []  # a command is creating or migrating it right now
        raise
    finally:
        conn.close()


def max_run_id(path: Path) -> int:
    rows = query(path, "SELECT max(id) FROM runs")
    return int(rows[0][0] or 0) if rows else 0


def new_run_started(path: Path, after: int) -> Callable[[], bool]:
    """A trigger: a run row with an id above ``after`` has been committed."""
    return lambda: max_run_id(path) > after


def runs(path: Path) -> list[dict[str, Any]]:
    names = ("id", "kind", "status", "started_at", "finished_at", "new", "updated",
             "unchanged", "failed", "removed", "options", "message")
    return [dict(zip(names, row, strict=True)) for row in query(
        path, f"SELECT {', '.join(names)} FROM runs ORDER BY id")]


def run_seconds(path: Path, run_id: int) -> float:
    """How long run ``run_id`` worked, from its own start and finish stamps."""
    from datetime import datetime

    row = query(path, "SELECT started_at, finished_at FROM runs WHERE id = ?", (run_id,))
    assert row and row[0][1], f"run {run_id} has not finished"
    started, finished = (datetime.fromisoformat(str(v)) for v in row[0])
    return max(0.05, (finished - started).total_seconds())


@dataclass(frozen=True)
class StoryState:
    content_hash: str | None  # of the current revision
    revisions: int
    removed: bool


def snapshot(path: Path) -> dict[str, StoryState]:
    """uid -> (current content hash, number of revisions, tombstoned) for every story."""
    rows = query(path, """
        SELECT s.uid, r.content_hash,
               (SELECT count(*) FROM revisions r2 WHERE r2.story_id = s.id),
               s.removed_at IS NOT NULL
        FROM stories s
        LEFT JOIN revisions r ON r.story_id = s.id AND r.number = s.current_revision
        ORDER BY s.uid""")
    return {uid: StoryState(h, int(n), bool(removed)) for uid, h, n, removed in rows}


def titles(path: Path) -> dict[str, str]:
    return dict(query(path, "SELECT uid, title FROM stories"))


DUPLICATE_KEYS = {
    "stories": ("identity_hash",),
    "revisions": ("story_id", "number"),
    "documents": ("source_id", "locator_hash", "sha256"),
    "story_sources": ("story_id", "source_id", "locator_hash"),
    "chapters": ("revision_id", "position"),
    "crawl_urls": ("source_id", "url_hash"),
    "runs": ("id",),
}


def consistency_problems(path: Path) -> list[str]:
    """Everything wrong with the database as a whole; an empty list when it is sound."""
    problems: list[str] = []
    conn = connect(path)
    try:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            problems.append(f"integrity_check: {integrity[:5]}")
        fk = list(conn.execute("PRAGMA foreign_key_check"))
        if fk:
            problems.append(f"foreign_key_check: {fk[:5]}")
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables or "stories" not in tables:
            # Killed while creating the schema: the migration must have left nothing behind.
            if tables:
                problems.append(f"a half-created schema: tables {sorted(tables)}")
            return problems
        for table, key in DUPLICATE_KEYS.items():
            cols = ", ".join(key)
            dupes = list(conn.execute(
                f"SELECT {cols}, count(*) FROM {table} GROUP BY {cols} HAVING count(*) > 1 "
                "LIMIT 5"))
            if dupes:
                problems.append(f"duplicate rows in {table} by ({cols}): {dupes}")
        # Same story content stored twice under two identities (a re-import that did not
        # recognise its own earlier, interrupted work).
        twins = list(conn.execute("""
            SELECT r.content_hash, count(*) FROM stories s
            JOIN revisions r ON r.story_id = s.id AND r.number = s.current_revision
            GROUP BY r.content_hash HAVING count(*) > 1 LIMIT 5"""))
        if twins:
            problems.append(f"the same content stored as several stories: {twins}")
        # Revisions 1..current_revision, nothing past it, nothing missing.
        gaps = list(conn.execute("""
            SELECT s.uid, s.current_revision, count(r.id), max(r.number) FROM stories s
            LEFT JOIN revisions r ON r.story_id = s.id GROUP BY s.id
            HAVING count(r.id) != s.current_revision OR max(r.number) != s.current_revision
            LIMIT 5"""))
        if gaps:
            problems.append(f"revision numbers do not match current_revision: {gaps}")
        # Each revision has exactly the chapter rows its metadata lists (no torn writes).
        for revision_id, meta in conn.execute("SELECT id, meta FROM revisions"):
            wanted = len(json.loads(meta).get("chapters", []))
            have = conn.execute("SELECT count(*) FROM chapters WHERE revision_id = ?",
                                (revision_id,)).fetchone()[0]
            if have != wanted:
                problems.append(f"revision {revision_id}: {have} chapter rows, meta lists "
                                f"{wanted}")
                break
        orphans = conn.execute("""SELECT count(*) FROM documents d
            LEFT JOIN blobs b ON b.sha256 = d.sha256 WHERE b.sha256 IS NULL""").fetchone()[0]
        if orphans:
            problems.append(f"{orphans} documents without their bytes")
        missing_text = conn.execute("""SELECT count(*) FROM chapters c
            LEFT JOIN texts t ON t.sha256 = c.text_sha256 WHERE t.sha256 IS NULL""").fetchone()[0]
        if missing_text:
            problems.append(f"{missing_text} chapters without their text")
    finally:
        conn.close()
    return problems


def compare_snapshots(got: dict[str, StoryState], want: dict[str, StoryState],
                      names: dict[str, str] | None = None) -> list[str]:
    """Differences between two snapshots, readable in a failure message."""
    names = names or {}
    lines = []
    for uid in sorted(set(want) - set(got)):
        lines.append(f"missing {uid} {names.get(uid, '')!r}: {want[uid]}")
    for uid in sorted(set(got) - set(want)):
        lines.append(f"extra {uid} {names.get(uid, '')!r}: {got[uid]}")
    for uid in sorted(set(got) & set(want)):
        if got[uid] != want[uid]:
            lines.append(f"differs {uid} {names.get(uid, '')!r}: got {got[uid]}, "
                         f"uninterrupted {want[uid]}")
    return lines


# -- files -----------------------------------------------------------------------------------


def tree_digest(path: Path, skip: Iterable[str] = ()) -> dict[str, str]:
    """relative path -> sha256 of every file under ``path`` (or of ``path`` itself)."""
    skipped = set(skip)
    if path.is_file():
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file() and p.name not in skipped}


def write_stories(folder: Path, n: int) -> Path:
    """``n`` plain-text stories from the import benchmark's generator (deterministic)."""
    bench = str(ROOT / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    from bench_import import generate

    folder.mkdir(parents=True, exist_ok=True)
    generate(folder, n)
    return folder


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
