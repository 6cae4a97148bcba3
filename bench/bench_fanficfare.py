#!/usr/bin/env python3
"""fanarchive side by side with FanFicFare on the same local eFiction-like archive.

    python bench/bench_fanficfare.py                  # 50 stories of up to 10 chapters
    python bench/bench_fanficfare.py --stories 10     # a quick run
    python bench/bench_fanficfare.py --skip-fff       # fanarchive only
    python bench/bench_fanficfare.py --popups         # rated stories linked as eFiction does

FanFicFare is installed from PyPI into its own virtualenv, ``bench/.venv-fff`` (created on the
first run, reused after). Each tool gets a fresh server of the same generated archive
(``tests.sites``, eFiction 3.5 pages) on 127.0.0.1 and makes two passes: a first download, then
an update with nothing changed (fanarchive: the same import again; FanFicFare: ``-u``).

* FanFicFare: the ``www.giantessworld.net`` adapter (plain eFiction, the site's date format)
  with ``http_proxy`` pointing at the local server, ``slow_down_sleep_time=0``,
  ``is_adult=true``, epub output, fed the site's title listing pages with
  ``--download-list`` (one run per listing page: it does not follow pagination).
* fanarchive: ``import URL --delay 0 --ignore-crawl-delay --concurrency 2 --adult
  --allow-private`` from the home page: it discovers every story itself.

Figures per pass: wall time, peak RSS (``wait4`` of each process; the largest of a tool's
processes), HTTP requests per readable story from the server's log, story bodies fetched
(200s for printer views and chapter pages), and the story facts each tool captured, and got
right, compared with the site's model (``--details`` lists the misses per fact).

By default listings link rated stories plainly and the story answers with eFiction's
interstitial (the gate) until the reader consents. ``--popups`` serves the listings eFiction's
``title_link()`` prints instead: a rated story's link is a javascript ``confirm()`` whose
location carries the consent (``&ageconsent=ok&warning=<rid>``).

The site's printer view carries eFiction 3.5's chapter index and anchors
(``<b>1.</b> <a href='#1'>..</a>``, ``<a name='1'>``), as real eFiction prints them:
FanFicFare's eFiction adapter finds chapters only through them, and ``tests/sites`` leaves
them out. Both tools get the same pages.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.sites import efiction_pages  # noqa: E402
from tests.sites.content import ArchiveModel  # noqa: E402
from tests.sites.efiction import EFictionOptions, EFictionSite  # noqa: E402
from tests.sites.markup import html_to_text  # noqa: E402
from tests.sites.server import ArchiveServer  # noqa: E402

FFF_VERSION = "4.62.0"
FFF_VENV = HERE / ".venv-fff"
FFF_DOMAIN = "www.giantessworld.net"
FANARCHIVE = Path(sys.executable).parent / "fanarchive"
FACTS = ("title", "author", "rating", "categories", "characters", "warnings", "genres",
         "series", "status", "word count", "published", "updated", "summary", "story notes",
         "chapter titles", "chapter texts", "chapter notes")
BODY = re.compile(r"action=printable|[?&]chapter=\d")


# ---- the site -------------------------------------------------------------------------------


def _with_chapter_index(render: Callable[..., str]) -> Callable[..., str]:
    """The printer view as eFiction 3.5 prints it: a chapter index, anchors per chapter."""

    def printable(ctx: Any, story: Any, chapters: Any) -> str:
        chapters = list(chapters)
        page = render(ctx, story, chapters)
        if len(chapters) < 2 and len(story.chapters) > 1:
            return page  # one chapter of several: eFiction prints no index there
        author = html.escape(ctx.model.author_of(story).penname)
        index = "".join(f"      <p><b>{c.number}.</b> <a href='#{c.number}'>"
                        f"{html.escape(c.title)}</a> by {author}</p>\n" for c in chapters)
        numbers = iter(c.number for c in chapters)
        page = re.sub(r"<div class='chaptertitle'>",
                      lambda _: f"<div class='chaptertitle'><a name='{next(numbers)}'></a>",
                      page)
        at = page.find("<div class='chaptertitle'>")
        return page[:at] + index + page[at:] if at >= 0 else page

    return printable


SITE_OPTIONS: dict[str, Any] = {}  # more EFictionOptions for every server (--popups)


def serve(model: ArchiveModel, conditional: bool) -> ArchiveServer:
    site = EFictionSite(model, EFictionOptions(conditional=conditional, **SITE_OPTIONS))
    return ArchiveServer(site).start()


# ---- running a tool ------------------------------------------------------------------------


@dataclass
class Pass:
    tool: str
    name: str
    wall: float = 0.0
    cpu: float = 0.0  # user + system seconds of the tool's processes
    rss_mb: float = 0.0
    exit_codes: list[int] = field(default_factory=list)
    requests: int = 0
    bodies: int = 0  # story text downloaded (printer views and chapter pages answered 200)
    not_modified: int = 0
    stories: int = 0
    written: int | None = None  # stories stored new or as a new revision (fanarchive)
    routes: dict[str, int] = field(default_factory=dict)
    captured: float | None = None  # facts present per story
    right: float | None = None  # facts equal to the model per story
    misses: dict[str, int] = field(default_factory=dict)
    note: str = ""


def run(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 1800) -> tuple[float, float, float, int, str]:
    """(wall seconds, CPU seconds, peak RSS MB, exit code, stderr tail) of one process."""
    out = cwd / "stdout.txt"
    err = cwd / "stderr.txt"
    started = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=stdout,
                                   stderr=stderr)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.01)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, rss, process.returncode, err.read_text(errors="replace")[-2000:]


def count_log(site: ArchiveServer, start: int, result: Pass) -> int:
    entries = site.log.entries()[start:]
    result.requests = len(entries)
    # A members-only story's pages answer 200 with a login form: a request, not a story body.
    locked = {str(s.sid) for s in site.model.visible_stories() if s.members_only}
    result.bodies = sum(1 for e in entries if e.status == 200 and BODY.search(e.path)
                        and parse_qs(urlsplit(e.path).query).get("sid", [""])[0] not in locked)
    result.not_modified = sum(1 for e in entries if e.status == 304)
    for entry in entries:
        route = entry.route.rsplit("/", 1)[-1] or "/"
        if route == "viewstory.php":
            route += " (printer view)" if "action=printable" in entry.path else ""
        result.routes[route] = result.routes.get(route, 0) + 1
    return len(site.log)


# ---- FanFicFare ------------------------------------------------------------------------------


def ensure_fff(version: str) -> tuple[Path | None, str]:
    """The ``fanficfare`` command in bench/.venv-fff, installing it from PyPI when missing."""
    exe = FFF_VENV / "bin" / "fanficfare"
    python = FFF_VENV / "bin" / "python"
    if exe.exists():
        found = subprocess.run([str(python), "-c", "import fanficfare.cli as c; "
                                "print(c.version)"], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip() == version:
            return exe, f"FanFicFare {version} (bench/.venv-fff)"
    print(f"installing FanFicFare {version} from PyPI into {FFF_VENV} ...", flush=True)
    made = subprocess.run([sys.executable, "-m", "venv", "--clear", str(FFF_VENV)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        return None, f"cannot create {FFF_VENV}: {made.stderr.strip()[-300:]}"
    pip = subprocess.run([str(python), "-m", "pip", "install", "-q", f"FanFicFare=={version}"],
                         capture_output=True, text=True, timeout=900)
    if pip.returncode != 0 or not exe.exists():
        tail = (pip.stderr or pip.stdout).strip().splitlines()[-3:]
        return None, "pip could not install FanFicFare: " + " / ".join(tail)
    return exe, f"FanFicFare {version} (bench/.venv-fff, installed now)"


def run_fff(exe: Path, model: ArchiveModel, work: Path, conditional: bool) -> list[Pass]:
    site = serve(model, conditional)
    out = work / "fff"
    home = work / "fff-home"  # no ~/.fanficfare of whoever runs this
    out.mkdir()
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home)}
    per_page = EFictionOptions().per_page
    listings = [f"http://{FFF_DOMAIN}/browse.php?type=titles&offset={offset}"
                for offset in range(0, len(model.visible_stories()), per_page)]
    passes = []
    mark = 0
    try:
        for name, extra in (("download", []), ("update (-u)", ["-u"])):
            result = Pass("FanFicFare", name)
            for listing in listings:
                wall, cpu, rss, code, _ = run([
                    str(exe), "--non-interactive", "--json-meta-file",
                    "-o", f"http_proxy=http://{site.host}:{site.port}",
                    "-o", "slow_down_sleep_time=0", "-o", "is_adult=true",
                    "-o", "output_filename=" + str(out / "${storyId}.epub"),
                    *extra, f"--download-list={listing}"], cwd=out, env=env)
                result.wall += wall
                result.cpu += cpu
                result.rss_mb = max(result.rss_mb, rss)
                result.exit_codes.append(code)
            mark = count_log(site, mark, result)
            result.stories = len(list(out.glob("*.epub")))
            if name == "download":
                score(result, model, fff_facts(out))
            passes.append(result)
    finally:
        site.stop()
    return passes


def fff_facts(out: Path) -> dict[int, dict[str, Any]]:
    found = {}
    for meta_file in out.glob("*.epub.json"):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        epub = Path(str(meta_file)[: -len(".json")])
        texts = _epub_chapters(epub) if epub.exists() else []
        chapters = [c[1]["title"] for c in meta.get("zchapters", [])]
        words = (meta.get("numWords") or "").replace(",", "")
        sid = str(meta.get("storyId", ""))
        found[int(sid) if sid.isdigit() else -1] = {
            "title": meta.get("title") or None,
            "author": meta.get("author") or None,
            "rating": meta.get("rating") or None,
            "categories": _split(meta.get("category")),
            "characters": _split(meta.get("characters")),
            "warnings": _split(meta.get("warnings")),
            "genres": _split(meta.get("genre")),
            "series": _fff_series(meta.get("series")),
            "status": {"Completed": "complete", "In-Progress": "in-progress"}.get(
                meta.get("status", "")),
            "word count": int(words) if words.isdigit() else None,
            "published": (meta.get("datePublished") or "")[:10] or None,
            "updated": (meta.get("dateUpdated") or "")[:10] or None,
            "summary": _line(_html_text(meta.get("description") or "")),
            "story notes": _line(meta.get("storynotes")),
            "chapter titles": chapters,
            "chapter texts": texts,
            # The adapter keeps the chapter text only; author's and end notes are dropped.
            "chapter notes": [(None, None)] * len(chapters),
        }
    return found


def _epub_chapters(path: Path) -> list[str | None]:
    with zipfile.ZipFile(path) as epub:
        names = sorted(n for n in epub.namelist() if re.fullmatch(r"OEBPS/file\d+\.xhtml", n))
        texts = []
        for name in names:
            page = epub.read(name).decode("utf-8", "replace")
            body = page.split("</h3>", 1)[-1]  # after the chapter title heading
            texts.append(_line(_html_text(body)))
        return texts


def _fff_series(value: str | None) -> tuple[str, int | None] | None:
    if not value:
        return None
    found = re.fullmatch(r"(.*?)\s*\[(\d+)\]", value)
    return (found[1], int(found[2])) if found else (value, None)


# ---- fanarchive --------------------------------------------------------------------------------


def run_fanarchive(model: ArchiveModel, work: Path, conditional: bool,
                   label: str) -> list[Pass]:
    site = serve(model, conditional)
    db = f"sqlite:///{work / 'fanarchive.sqlite3'}"
    env = {**os.environ, "FANARCHIVE_HOME": str(work / "fanarchive-home")}
    env.pop("FANARCHIVE_DB", None)
    passes = []
    mark = 0
    try:
        for name in ("import", "import again"):
            result = Pass(label, name)
            wall, cpu, rss, code, err = run([
                str(FANARCHIVE), "--db", db, "import", site.url + "/", "--delay", "0",
                "--ignore-crawl-delay", "--concurrency", "2", "--adult", "--allow-private",
                "-q"], cwd=work, env=env)
            result.wall, result.cpu, result.rss_mb, result.exit_codes = wall, cpu, rss, [code]
            if code != 0:
                result.note = err.strip().splitlines()[-1] if err.strip() else f"exit {code}"
            mark = count_log(site, mark, result)
            exported = work / "export.jsonl"
            done = subprocess.run([str(FANARCHIVE), "--db", db, "export", "--format", "jsonl",
                                   "-o", str(exported)], capture_output=True, text=True,
                                  env=env, cwd=work)
            found: dict[int, dict[str, Any]] = {}
            if done.returncode == 0:
                for line in exported.read_text(encoding="utf-8").splitlines():
                    record = json.loads(line)
                    sids = {int(m[1]) for src in record["sources"]
                            if (m := re.search(r"[?&]sid=(\d+)", src.get("url") or ""))}
                    for sid in sids:
                        found[sid] = fanarchive_facts(record)
            summary = re.search(r"(\d+) new, (\d+) updated",
                                (work / "stdout.txt").read_text(errors="replace"))
            if summary:
                result.written = int(summary[1]) + int(summary[2])
            result.stories = len(found)
            if name == "import":
                score(result, model, found)
            passes.append(result)
    finally:
        site.stop()
    return passes


def fanarchive_facts(record: dict[str, Any]) -> dict[str, Any]:
    series = record.get("series")
    chapters = record.get("chapters", [])
    words = (record.get("raw_headers") or {}).get("Word count", "")
    return {
        "title": record.get("title"),
        "author": ", ".join(a["name"] for a in record.get("authors", [])) or None,
        "rating": (record.get("rating") or {}).get("raw"),
        "categories": sorted(record.get("categories") or []),
        "characters": sorted(record.get("characters") or []),
        "warnings": sorted(record.get("warnings") or []),
        "genres": sorted(record.get("tags") or []),
        "series": (series["title"], series.get("part")) if series else None,
        "status": record.get("status"),
        # The site's own count, kept as written (the record's word_count is fanarchive's).
        "word count": int(words) if str(words).isdigit() else None,
        "published": record.get("published"),
        "updated": record.get("updated"),
        "summary": _line(record.get("summary")),
        "story notes": _line(record.get("notes")),
        "chapter titles": [c.get("title") for c in chapters],
        "chapter texts": [_line(c.get("text")) for c in chapters],
        "chapter notes": [(_line(c.get("notes")), _line(c.get("end_notes")))
                          for c in chapters],
    }


# ---- scoring ----------------------------------------------------------------------------------


def model_facts(model: ArchiveModel, sid: int) -> dict[str, Any]:
    e = model.expected(sid)
    series = e["series"]
    return {
        "title": e["title"],
        "author": e["author"]["penname"],
        "rating": e["rating"],
        "categories": sorted(e["categories"]),
        "characters": sorted(e["characters"]),
        "warnings": sorted(e["warnings"]),
        "genres": sorted(e["genres"]),
        "series": (series["title"], series["part"]) if series else None,
        "status": "complete" if e["completed"] else "in-progress",
        "word count": e["word_count"],
        "published": e["published"].isoformat(),
        "updated": e["updated"].isoformat(),
        "summary": _line(e["summary"]),
        "story notes": _line(e["notes"]),
        "chapter titles": [c["title"] for c in e["chapters"]],
        "chapter texts": [_line(c["text"]) for c in e["chapters"]],
        "chapter notes": [(_line(c["notes"]), _line(c["end_notes"])) for c in e["chapters"]],
    }


def score(result: Pass, model: ArchiveModel, found: dict[int, dict[str, Any]]) -> None:
    """Facts per readable story: captured (present where the model has one) and right."""
    readable = [s.sid for s in model.visible_stories() if not s.members_only]
    captured = right = 0
    misses: dict[str, int] = {}
    for sid in readable:
        want = model_facts(model, sid)
        got = found.get(sid)
        for fact in FACTS:
            value = got.get(fact) if got else None
            if value not in (None, [], "") and want[fact] not in (None, []):
                captured += 1
            if got is not None and _same(fact, value, want[fact]):
                right += 1
            else:
                misses[fact] = misses.get(fact, 0) + 1
    result.captured = captured / len(readable)
    result.right = right / len(readable)
    result.misses = misses


def _same(fact: str, got: Any, want: Any) -> bool:
    if fact == "chapter texts" and isinstance(got, list) and len(got) == len(want):
        # An epub chapter may carry more than the text (a title line): the text must be there.
        return all(w is None or (g is not None and w in g) for g, w in zip(got, want,
                                                                          strict=True))
    if fact == "chapter notes" and isinstance(got, list) and len(got) == len(want):
        return all(g == w for g, w in zip(got, want, strict=True))
    return bool(got == want)


def _split(value: str | None) -> list[str]:
    return sorted(v.strip() for v in (value or "").split(",") if v.strip())


def _line(value: str | None) -> str | None:
    if value is None:
        return None
    joined = " ".join(str(value).split())
    return joined or None


def _html_text(fragment: str) -> str:
    return html_to_text(fragment.replace("<br/>", "<br />"))


# ---- report --------------------------------------------------------------------------------


def table(passes: list[Pass], readable: int) -> str:
    head = (f"{'tool':<24} {'pass':<13} {'wall s':>6} {'CPU s':>6} {'RSS MB':>6} {'requests':>8} "
            f"{'req/story':>9} {'bodies':>6} {'304s':>5} {'stories':>7} {'written':>7} "
            f"{'facts/story':>11} {'right/story':>11}  exit")
    lines = [head, "-" * len(head)]
    for p in passes:
        captured = f"{p.captured:.1f}" if p.captured is not None else "-"
        right = f"{p.right:.1f}" if p.right is not None else "-"
        codes = ",".join(sorted({str(c) for c in p.exit_codes}))
        written = "-" if p.written is None else str(p.written)
        lines.append(
            f"{p.tool:<24} {p.name:<13} {p.wall:>6.1f} {p.cpu:>6.1f} {p.rss_mb:>6.0f} "
            f"{p.requests:>8} "
            f"{p.requests / readable:>9.2f} {p.bodies:>6} {p.not_modified:>5} {p.stories:>7} "
            f"{written:>7} {captured:>11} {right:>11}  {codes}"
            f"{'  ' + p.note if p.note else ''}")
    return "\n".join(lines)


def targets(passes: list[Pass], readable: int) -> list[str]:
    fff = {p.name: p for p in passes if p.tool == "FanFicFare"}
    fa = {p.name: p for p in passes if p.tool == "fanarchive"}
    if "download" not in fff or "import" not in fa:
        return []
    f1, a1, a2 = fff["download"], fa["import"], fa["import again"]

    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    return [
        f"wall time <= 0.5x FanFicFare: {a1.wall:.1f} s vs {f1.wall:.1f} s "
        f"({a1.wall / f1.wall:.2f}x; CPU {a1.cpu:.1f} s vs {f1.cpu:.1f} s) - "
        f"{mark(a1.wall <= 0.5 * f1.wall)}",
        f"requests per story <= FanFicFare: {a1.requests / readable:.2f} vs "
        f"{f1.requests / readable:.2f} - {mark(a1.requests <= f1.requests)}",
        f"facts right per story >= FanFicFare: {a1.right:.1f} vs {f1.right:.1f} of "
        f"{len(FACTS)} - {mark((a1.right or 0) >= (f1.right or 0))}",
        f"unchanged re-run fetches no story body: {a2.bodies} bodies fetched - "
        f"{mark(a2.bodies == 0)}",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", type=int, default=50)
    ap.add_argument("--chapters", type=int, default=10, help="chapters of every story")
    ap.add_argument("--min-chapters", type=int,
                    help="fewest chapters of a story (default: --chapters, so every story has "
                    "that many: issue 4 asks for at least 50 stories x 10 chapters)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-fff", action="store_true", help="fanarchive only")
    ap.add_argument("--fff-version", default=FFF_VERSION)
    ap.add_argument("--no-validators-run", action="store_true",
                    help="skip fanarchive's extra run against the site with ETag/Last-Modified")
    ap.add_argument("--popups", action="store_true",
                    help="listings link rated stories through eFiction's javascript confirm() "
                    "popups, which carry the consent (its disablepopups off)")
    ap.add_argument("--details", action="store_true", help="misses per fact")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()

    fewest = args.chapters if args.min_chapters is None else args.min_chapters
    model = ArchiveModel.generate(seed=args.seed, stories=args.stories,
                                  max_chapters=args.chapters, min_chapters=fewest)
    readable = sum(1 for s in model.visible_stories() if not s.members_only)
    chapters = sum(len(s.chapters) for s in model.visible_stories())
    efiction_pages.printable = _with_chapter_index(efiction_pages.printable)
    if args.popups:
        SITE_OPTIONS["popups"] = True
    work = Path(tempfile.mkdtemp(prefix="bench-fff-"))
    passes: list[Pass] = []
    notes = []
    try:
        if args.skip_fff:
            notes.append("FanFicFare: skipped (--skip-fff)")
        else:
            exe, note = ensure_fff(args.fff_version)
            notes.append(note)
            if exe is not None:
                fff_dir = work / "fff-run"
                fff_dir.mkdir()
                passes += run_fff(exe, model, fff_dir, conditional=False)
        fa_dir = work / "fa-run"
        fa_dir.mkdir()
        passes += run_fanarchive(model, fa_dir, conditional=False, label="fanarchive")
        if not args.no_validators_run:
            fa_dir = work / "fa-validators"
            fa_dir.mkdir()
            passes += run_fanarchive(model, fa_dir, conditional=True,
                                     label="fanarchive (ETag site)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"site: eFiction-like, {len(model.visible_stories())} stories ({readable} readable, "
          f"1 members-only), {chapters} chapters ({fewest} to {args.chapters} per story), "
          f"seed {args.seed}; printer view with eFiction 3.5's chapter index; rated stories "
          + ("linked through javascript confirm() popups" if args.popups
             else "behind the interstitial"))
    for note in notes:
        print(note)
    print(f"facts compared with the model: {len(FACTS)} ({', '.join(FACTS)})")
    print()
    print(table(passes, readable))
    print()
    for line in targets(passes, readable):
        print(line)
    if args.details:
        print()
        for p in passes:
            if p.misses:
                print(f"{p.tool} {p.name}, stories with the fact wrong or missing: " + ", ".join(
                    f"{k} {v}" for k, v in sorted(p.misses.items())))
        for p in passes:
            print(f"{p.tool} {p.name}, requests by script: " + ", ".join(
                f"{k} {v}" for k, v in sorted(p.routes.items(), key=lambda kv: -kv[1])))
    if args.keep:
        print(f"work folder kept: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
