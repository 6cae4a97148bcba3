"""Shared helpers of the end-to-end crawl tests: run an import, read it back, compare.

The other modules in this folder import from here. (Every file in ``tests/crawl`` is named
``test_*.py``; this one holds a single self-check of the comparison itself.)

What the archive should hold is always derived from the served site's model
(``site.model.expected(sid)``), mapped to the JSON Lines export contract:

* text fields are compared the way the contract writes them (multi-line values joined with
  single spaces);
* ``word_count`` is the words of the chapter texts, counted by fanarchive's own rule, over the
  model's chapter texts (the model counts whitespace tokens, so "—" and "&" differ);
* fandoms are the categories the shipped fandom map knows, under their canonical names.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from fanarchive.config import Config, load_config
from fanarchive.export import ExportOptions, iter_records
from fanarchive.importing import Importer, ImportReport
from fanarchive.normalize.fandoms import FandomMap
from fanarchive.normalize.text import word_count
from fanarchive.store.models import RunError
from fanarchive.store.store import Store
from tests.sites.content import ArchiveModel
from tests.sites.efiction import EFictionSite
from tests.sites.server import ArchiveServer
from tests.sites.wire import Request, Response

ROOT = Path(__file__).resolve().parents[2]
# The command installed next to the interpreter running the tests (any venv, CI's included).
FANARCHIVE = Path(os.environ.get("FANARCHIVE_BIN", Path(sys.executable).with_name("fanarchive")))

# Politeness off for loopback test sites (the contract's flags), and failure backoff short
# so injected faults and trap pages do not cost minutes; Retry-After is still honoured.
FAST: dict[str, Any] = {
    "delay": 0, "adult": True, "allow_private": True, "ignore_crawl_delay": True,
    "backoff_base": 0.02, "backoff_cap": 0.3,
}
# The same for the command line: flags plus a config file for the backoff.
CLI_FLAGS = ("--delay", "0", "--adult", "--allow-private", "--ignore-crawl-delay")
CLI_CONFIG = "[fanarchive.crawl]\nbackoff_base = 0.02\nbackoff_cap = 0.3\n"

# Every table a crawl-import writes, for before/after comparisons.
TABLES = ("stories", "revisions", "chapters", "texts", "documents", "blobs", "story_sources",
          "authors", "tags", "revision_tags", "crawl_urls")


class CookielessSite:
    """The eFiction site with PHP's session cookie switched off (``session.use_cookies=0``).

    Consent to a gate then travels in the URL only. With the cookie on, which page a URL
    returns depends on what the crawling process consented to earlier in its session, which
    a killed process (or a later crawl) does not have; that is the crawler's own problem (its
    HTTP client keeps cookies), shown by ``test_crawl_recrawl.py::
    test_conditional_recrawl_of_efiction_with_sessions_writes_nothing``. Tests of resuming
    and revalidating use this site so that they measure those alone.
    """

    def __init__(self, inner: EFictionSite) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.options = inner.options

    def handle(self, request: Request) -> Response:
        response = self.inner.handle(request)
        response.headers = [(k, v) for k, v in response.headers if k.lower() != "set-cookie"]
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def serve_cookieless(seed: int = 0, stories: int = 12, max_chapters: int = 3, port: int = 0,
                     **options: Any) -> ArchiveServer:
    """A :class:`CookielessSite` eFiction archive on 127.0.0.1; the caller stops it."""
    from tests.sites.efiction import EFictionOptions

    model = ArchiveModel.generate(seed=seed, stories=stories, max_chapters=max_chapters)
    site = CookielessSite(EFictionSite(model, EFictionOptions(**options)))
    return ArchiveServer(site, port=port).start()  # type: ignore[arg-type]


# ---- running imports ------------------------------------------------------------------------


def crawl(store: Store, url: str, config: Config | None = None, **overrides: Any) -> ImportReport:
    """Import ``url`` through the pipeline, as ``fanarchive import URL`` does."""
    settings = {**FAST, **overrides}
    return Importer(store, config or load_config(), crawl=settings).run([url])


def cli_config(tmp_path: Path) -> Path:
    path = tmp_path / "crawl-test.toml"
    path.write_text(CLI_CONFIG, encoding="utf-8")
    return path


def cli(db_url: str, *args: str, config: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed ``fanarchive`` command (a real process, as a user would)."""
    command = [str(FANARCHIVE), "--db", db_url]
    if config is not None:
        command += ["--config", str(config)]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=_env())


def cli_import(db_url: str, url: str, *extra: str, config: Path | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return cli(db_url, "import", url, *CLI_FLAGS, "-q", *extra, config=config, timeout=timeout)


def start_cli_import(db_url: str, url: str, *extra: str,
                     config: Path | None = None) -> subprocess.Popen[str]:
    command = [str(FANARCHIVE), "--db", db_url]
    if config is not None:
        command += ["--config", str(config)]
    command += ["import", url, *CLI_FLAGS, "-q", *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env=_env())


def kill_hard(process: subprocess.Popen[str]) -> None:
    """SIGKILL: no handler, no flush, no commit; what a crash or an OOM kill does."""
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FANARCHIVE_DB", None)
    env["FANARCHIVE_HOME"] = env.get("FANARCHIVE_HOME") or str(Path("/tmp") / "fanarchive-crawl")
    return env


# ---- reading back -----------------------------------------------------------------------------


def records(store: Store) -> list[dict[str, Any]]:
    store.session.expire_all()
    return list(iter_records(store, ExportOptions()))


def by_title(found: Iterable[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    out: dict[str | None, list[dict[str, Any]]] = {}
    for record in found:
        out.setdefault(record["title"], []).append(record)
    return out


def counts(store: Store) -> dict[str, int]:
    store.session.expire_all()
    return {table: int(store.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
            for table in TABLES}


def run_errors(store: Store, run_id: int | None = None) -> list[tuple[str, str, str]]:
    """(locator, code, message) of the recorded per-URL outcomes of one run (or all runs)."""
    query = select(RunError.locator, RunError.code, RunError.message)
    if run_id is not None:
        query = query.where(RunError.run_id == run_id)
    rows = store.session.execute(query).all()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


_DUPLICATES = {
    "stories": "SELECT identity_hash FROM stories GROUP BY identity_hash",
    "story titles": "SELECT title FROM stories GROUP BY title",
    "revisions": "SELECT story_id FROM revisions GROUP BY story_id, number",
    "documents": "SELECT sha256 FROM documents GROUP BY source_id, locator_hash, sha256",
    "story_sources": "SELECT story_id FROM story_sources GROUP BY story_id, source_id, "
                     "locator_hash",
    "crawl_urls": "SELECT url_hash FROM crawl_urls GROUP BY source_id, url_hash",
}


def duplicate_rows(store: Store) -> dict[str, int]:
    """Groups of rows that say the same thing twice (one story under two identities, one page
    logged twice, ...); all zero in a healthy database."""
    store.session.expire_all()
    return {name: int(store.session.execute(text(
        f"SELECT COUNT(*) FROM ({query} HAVING COUNT(*) > 1) AS twice")).scalar_one())
        for name, query in _DUPLICATES.items()}


# ---- what the archive should hold -------------------------------------------------------------


def one_line(value: str | None) -> str | None:
    if value is None:
        return None
    joined = " ".join(value.split())
    return joined or None


def fandoms_of(categories: Sequence[str], config: Config | None = None) -> list[str]:
    fandom_map = FandomMap((config or load_config()).section("fandoms"))
    out: list[str] = []
    for name in categories:
        known = fandom_map.known_fandom(name)
        if known and known not in out:
            out.append(known)
    return out


def expected_record(model: ArchiveModel, sid: int) -> dict[str, Any]:
    """The model's story in contract terms (see the module docstring)."""
    e = model.expected(sid)
    series = e["series"]
    return {
        "title": e["title"],
        "authors": [e["author"]["penname"]],
        "rating": e["rating"],
        "categories": e["categories"],
        "fandoms": fandoms_of(e["categories"]),
        "characters": e["characters"],
        "relationships": e["pairings"],
        "warnings": e["warnings"],
        "tags": e["genres"],
        "series": {"title": series["title"], "part": series["part"]} if series else None,
        "status": "complete" if e["completed"] else "in-progress",
        "published": e["published"].isoformat(),
        "updated": e["updated"].isoformat(),
        "summary": one_line(e["summary"]),
        "notes": one_line(e["notes"]),
        "word_count": sum(word_count(c["text"]) for c in e["chapters"]),
        "chapter titles": [c["title"] for c in e["chapters"]],
        "chapter texts": [c["text"] for c in e["chapters"]],
        "chapter notes": [one_line(c["notes"]) for c in e["chapters"]],
        "chapter end notes": [one_line(c["end_notes"]) for c in e["chapters"]],
    }


def found_record(record: dict[str, Any]) -> dict[str, Any]:
    """An exported record in the same shape as :func:`expected_record`."""
    series = record["series"]
    chapters = record["chapters"]
    return {
        "title": record["title"],
        "authors": [a["name"] for a in record["authors"]],
        "rating": record["rating"]["raw"],
        "categories": record["categories"],
        "fandoms": record["fandoms"],
        "characters": record["characters"],
        "relationships": record["relationships"],
        "warnings": record["warnings"],
        "tags": record["tags"],
        "series": {"title": series["title"], "part": series["part"]} if series else None,
        "status": record["status"],
        "published": record["published"],
        "updated": record["updated"],
        "summary": record["summary"],
        "notes": record["notes"],
        "word_count": record["word_count"],
        "chapter titles": [c["title"] for c in chapters],
        "chapter texts": [c["text"] for c in chapters],
        "chapter notes": [one_line(c.get("notes")) for c in chapters],
        "chapter end notes": [one_line(c.get("end_notes")) for c in chapters],
    }


def mismatches(record: dict[str, Any], model: ArchiveModel, sid: int,
               fields: Iterable[str] | None = None,
               overrides: dict[str, Any] | None = None) -> list[str]:
    """Human-readable differences between an exported record and the model, field by field."""
    want = {**expected_record(model, sid), **(overrides or {})}
    got = found_record(record)
    out = []
    for name in fields or want:
        if got[name] != want[name]:
            out.append(f"sid {sid} {name}: got {_short(got[name])}, want {_short(want[name])}")
    return out


def _short(value: Any) -> str:
    text_ = repr(value)
    return text_ if len(text_) <= 300 else text_[:300] + "..."


def visible_sids(model: ArchiveModel, *, access: Iterable[str] | None = None) -> list[int]:
    wanted = set(access) if access is not None else None
    return [s.sid for s in model.visible_stories()
            if wanted is None or model.access(s) in wanted]


READABLE = ("open", "warning", "age_consent")  # access levels a consenting crawl can read


def readable_problems(store: Store, model: ArchiveModel, *, chapters: bool = False
                      ) -> list[str]:
    """What is wrong with the stored records of the model's readable stories: each must be
    there exactly once with its fields as served (relationships aside, the site's pairing
    names are not the config's), with every chapter when ``chapters``, and nothing else."""
    found = by_title(records(store))
    readable = visible_sids(model, access=READABLE)
    problems = []
    for sid in readable:
        hits = found.get(model.story(sid).title, [])
        if len(hits) != 1:
            problems.append(f"sid {sid}: {len(hits)} records")
            continue
        problems += mismatches(hits[0], model, sid, overrides={"relationships": []})
        if chapters and len(hits[0]["chapters"]) != len(model.story(sid).chapters):
            problems.append(f"sid {sid}: {len(hits[0]['chapters'])} chapters")
    if len(found) != len(readable):
        problems.append(f"{len(found)} records for {len(readable)} readable stories")
    return problems


def printer_url(site: ArchiveServer, sid: int) -> str:
    """The URL a crawl asks for a story by: its printer view of every chapter, canonical."""
    from fanarchive.sources.web import canonicalize

    return canonicalize(f"{site.url}/viewstory.php?sid={sid}&action=printable&textsize=0"
                        "&chapter=all")


def printer_path(site: ArchiveServer, sid: int) -> str:
    """:func:`printer_url` as the server logs it (path and query)."""
    return printer_url(site, sid)[len(site.url):]


def story_requests(site: ArchiveServer, route: str) -> list[str]:
    return [e.path for e in site.log if e.route == route]


def test_expected_record_matches_itself() -> None:
    """The comparison finds nothing to report for a record built from the model itself."""
    model = ArchiveModel.generate(seed=3, stories=6, max_chapters=3)
    sid = model.visible_stories()[0].sid
    want = expected_record(model, sid)
    record = {
        "title": want["title"], "authors": [{"name": want["authors"][0], "email": None}],
        "rating": {"raw": want["rating"], "canonical": "Not Rated"},
        **{k: want[k] for k in ("categories", "fandoms", "characters", "relationships",
                                "warnings", "tags", "status", "published", "updated",
                                "summary", "notes", "word_count")},
        "series": {**want["series"], "of": None} if want["series"] else None,
        "chapters": [{"title": t, "text": x, "notes": n, "end_notes": e} for t, x, n, e in zip(
            want["chapter titles"], want["chapter texts"], want["chapter notes"],
            want["chapter end notes"], strict=True)],
    }
    assert mismatches(record, model, sid) == []
    record["chapters"][0]["text"] += " extra"
    assert [m.split(":")[0] for m in mismatches(record, model, sid)] == [
        f"sid {sid} chapter texts"]
