"""Security checks through the real command line, where the unit tests do not already go.

* Private and loopback addresses are refused for sources unless ``--allow-private`` (or the
  source's ``allow_private`` setting) allows them, including the spellings that resolve to
  127.0.0.1 without saying so; nothing is fetched and the reason is recorded.
* Secrets never leave: a database URL with a password and a source URL with user:password are
  never printed by import, status, source add/list/show, sync or export (their error paths
  included), nor stored in the runs table's ``options`` and ``message`` or the run errors.
* Hostile titles and tags (quotes, backslashes, SQL, NUL) round-trip through a real import and
  export: SQL is built from parameters only.
* The HTML and EPUB exports of stories carrying ``<script>``, ``onerror=`` and ``javascript:``
  in their metadata, text and markup pass a sanitizer check (parsed, not grepped).

The store on every backend (``tests/test_store.py``), the sanitizer itself
(``tests/export/test_sanitize.py``) and the crawler's refusal of private addresses
(``tests/web/test_web_crawl.py``) have their own tests; these go end to end.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from campaign import cli_env, free_port, query, run_cli, sqlite_url

SECRET = "s3cret"
SECRET_DBS = [
    f"postgresql+psycopg://user:{SECRET}@127.0.0.1:1/x",
    f"mysql+pymysql://user:{SECRET}@127.0.0.1:1/x",
]
CRAWL = ["--delay", "0", "--ignore-crawl-delay"]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("security")


@pytest.fixture(scope="module")
def env(work: Path) -> dict[str, str]:
    return cli_env(work / "home")


@pytest.fixture(scope="module")
def quick(work: Path) -> list[str]:
    """``--config`` for crawls of dead hosts: one retry, short backoff (defaults: 5 and 1 s)."""
    config = work / "quick.toml"
    config.write_text("[fanarchive.crawl]\nretries = 1\nbackoff_base = 0.05\n"
                      "backoff_cap = 0.2\n", encoding="utf-8")
    return ["--config", str(config)]


@pytest.fixture(scope="module")
def site() -> Iterator:
    from tests.sites.launch import start_site

    server = start_site("efiction", seed=5, stories=4, max_chapters=2, crawl_delay=0)
    yield server
    server.stop()


def _no_secret(*texts: str, what: str) -> None:
    for text in texts:
        assert SECRET not in text, f"{what} shows the password:\n{text[-3000:]}"


# -- private addresses ---------------------------------------------------------------------------


def test_private_addresses_are_refused_unless_allowed(work: Path, env: dict[str, str],
                                                      site) -> None:  # noqa: ANN001
    logs = work / "logs-private"
    db = work / "private.sqlite3"
    port = site.port
    # 127.0.0.1 under other names: a name, IPv6, and the decimal and short forms that
    # inet_aton (and so getaddrinfo) still reads as 127.0.0.1.
    spellings = [f"http://127.0.0.1:{port}/", f"http://localhost:{port}/",
                 f"http://[::1]:{port}/", f"http://2130706433:{port}/",
                 f"http://127.1:{port}/", f"http://0x7f000001:{port}/"]
    refused = run_cli(["--db", sqlite_url(db), "import", "-q", *spellings, *CRAWL], env=env,
                      logs=logs)
    assert len(site.log) == 0, f"fetched {site.log.paths()} without --allow-private"
    errors = query(db, "SELECT locator, code, message FROM run_errors")
    codes = {locator: code for locator, code, _ in errors}
    for url in spellings:
        assert codes.get(url) == "private-address", (url, errors, refused.stdout)
    assert all("allow_private" in message for _, _, message in errors), errors
    assert query(db, "SELECT count(*) FROM stories") == [(0,)]
    status = run_cli(["--db", sqlite_url(db), "status"], env=env, logs=logs).stdout
    assert "private-address" in status and "allow_private" in status, status

    # A registered source: refused until its settings allow it.
    run_cli(["--db", sqlite_url(db), "source", "add", "mirror", site.url + "/", *CRAWL,
             "--adult"], env=env, logs=logs)
    run_cli(["--db", sqlite_url(db), "sync", "mirror", "-q"], env=env, logs=logs)
    assert len(site.log) == 0, f"sync fetched {site.log.paths()} without allow_private"

    allowed = run_cli(["--db", sqlite_url(db), "import", "-q", site.url + "/", *CRAWL,
                       "--adult", "--allow-private"], env=env, logs=logs)
    stories = query(db, "SELECT count(*) FROM stories")[0][0]
    assert len(site.log) > 0 and stories > 0, allowed.stdout
    run_cli(["--db", sqlite_url(db), "source", "add", "mirror", site.url + "/", *CRAWL,
             "--adult", "--allow-private", "--replace"], env=env, logs=logs)
    synced = run_cli(["--db", sqlite_url(db), "sync", "mirror", "-q"], env=env, logs=logs)
    assert re.search(r"mirror: \d+ new, \d+ updated, [1-9]\d* unchanged", synced.stdout), \
        synced.stdout


# -- secrets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", SECRET_DBS, ids=["postgresql", "mysql"])
def test_database_password_is_never_printed(work: Path, env: dict[str, str],
                                            db_url: str) -> None:
    logs = work / "logs-dbsecret"
    folder = work / "one-story"
    folder.mkdir(exist_ok=True)
    (folder / "s.txt").write_text("Title: T\n\nAuthor: A\n\n----\n\nWords.\n", encoding="utf-8")
    commands = [
        ["status"], ["import", "-q", str(folder)], ["source", "list"], ["source", "show", "x"],
        ["source", "add", "x", str(folder)], ["sync"], ["db", "upgrade"],
        ["export", "--format", "jsonl", "-o", str(work / "never.jsonl")],
        ["export", "--format", "opendoors", "--to", db_url],
    ]
    for argv in commands:
        done = run_cli(["--db", db_url, *argv], env=env, logs=logs, expect=None)
        assert done.code == 1, (argv, done.code, done.stdout, done.stderr)
        _no_secret(done.stdout, done.stderr, what=f"`fanarchive --db URL {' '.join(argv)}`")
        assert "user:***@127.0.0.1" in done.stderr or "cannot" in done.stderr, done.stderr
    # The same URL from the environment.
    done = run_cli(["status"], env={**env, "FANARCHIVE_DB": db_url}, logs=logs, expect=1)
    _no_secret(done.stdout, done.stderr, what="`status` with FANARCHIVE_DB")


def test_source_password_is_never_printed_nor_stored_in_runs(
        work: Path, env: dict[str, str], quick: list[str], site) -> None:  # noqa: ANN001
    logs = work / "logs-srcsecret"
    db = work / "secret-source.sqlite3"
    secret_url = site.url.replace("http://", f"http://reader:{SECRET}@") + "/"
    dead_url = f"http://reader:{SECRET}@127.0.0.1:{free_port()}/"
    dump_url = f"mysql+pymysql://efiction:{SECRET}@127.0.0.1:1/efiction"
    commands = [
        ["source", "add", "web", secret_url, *CRAWL, "--allow-private"],
        ["source", "add", "dead", dead_url, *CRAWL, "--allow-private"],
        ["source", "add", "dump", dump_url],
        ["source", "list"], ["source", "show", "web"], ["source", "show", "dead"],
        ["source", "show", "dump"],
        ["sync", "web"],  # with the progress bar
        ["sync", "dead", "-q"], ["sync", "dump", "-q"],
        # No --adult: the gated stories are reported with their URLs.
        ["import", "-q", secret_url, *CRAWL, "--allow-private"],
        ["import", dead_url, *CRAWL, "--allow-private"],
        ["import", "-q", dump_url],
        ["status"],
    ]
    for argv in commands:
        done = run_cli(["--db", sqlite_url(db), *quick, *argv], env=env, logs=logs,
                       expect=None)
        assert done.code in (0, 1), (argv, done.code, done.stderr)
        _no_secret(done.stdout, done.stderr, what=f"`fanarchive {' '.join(argv)}`")
    assert len(site.log) > 0, "the source with a password in its URL was never crawled"
    for (uid,) in query(db, "SELECT uid FROM stories"):
        shown = run_cli(["--db", sqlite_url(db), "show", uid], env=env, logs=logs)
        _no_secret(shown.stdout, shown.stderr, what=f"`fanarchive show {uid}`")
    stored = query(db, "SELECT id, kind, status, options, message FROM runs")
    assert len(stored) >= 6, stored
    for row in stored:
        _no_secret(json.dumps(row), what=f"runs row {row[0]}")
    for row in query(db, "SELECT run_id, locator, message FROM run_errors"):
        _no_secret(json.dumps(row), what="a run error (status prints them)")


# Regression: exports once copied a source URL's password verbatim.
def test_source_password_stays_out_of_exports(work: Path, env: dict[str, str],
                                              site) -> None:  # noqa: ANN001
    logs = work / "logs-exportsecret"
    db = work / "export-secret.sqlite3"
    secret_url = site.url.replace("http://", f"http://reader:{SECRET}@") + "/"
    run_cli(["--db", sqlite_url(db), "import", "-q", secret_url, *CRAWL, "--adult",
             "--allow-private"], env=env, logs=logs)
    assert query(db, "SELECT count(*) FROM stories")[0][0] > 0
    leaks = []
    for fmt in ("jsonl", "csv", "html", "epub", "opendoors", "ao3"):
        target = work / f"export-secret.{fmt}"
        run_cli(["--db", sqlite_url(db), "export", "--format", fmt, "-o", str(target)],
                env=env, logs=logs)
        files = [target] if target.is_file() else sorted(p for p in target.rglob("*")
                                                          if p.is_file())
        for path in files:
            data = path.read_bytes()
            if path.suffix == ".epub":
                with zipfile.ZipFile(path) as book:
                    data = b"".join(book.read(name) for name in book.namelist())
            if SECRET.encode() in data:
                leaks.append(f"{fmt}: {path.relative_to(work)}")
    assert not leaks, "exports carrying the source's password:\n" + "\n".join(leaks)


# -- SQL built from parameters -------------------------------------------------------------------

HOSTILE_TITLE = "Bobby'); DROP TABLE stories;-- \\\" \\' %s %% ` \\x00"
# Tags and authors are lists split on "," and ";": these carry neither, so each stays whole.
HOSTILE_TAGS = ["') OR '1'='1' --", "O'Neil \\ back\\slash", "\"double\" `tick`", "50% off %s"]
HOSTILE_AUTHOR = "Robert') DELETE FROM authors WHERE ('1'='1"


def test_hostile_titles_and_tags_round_trip(work: Path, env: dict[str, str]) -> None:
    logs = work / "logs-sql"
    folder = work / "hostile-sql"
    folder.mkdir()
    title = HOSTILE_TITLE + " NUL[\x00]"
    (folder / "bobby.txt").write_text(
        f"Title: {title}\n\nAuthor: {HOSTILE_AUTHOR}\n\nRating: PG\n\n"
        f"Tags: {', '.join(HOSTILE_TAGS)}\n\n----\n\nLittle Bobby Tables went to school.\n",
        encoding="utf-8")
    db = work / "sql.sqlite3"
    out = work / "sql.jsonl"
    # A NUL byte makes auto-detection take the file for binary; naming the parser imports it.
    argv = ["--db", sqlite_url(db), "import", "-q", "--parser", "plaintext", str(folder)]
    run_cli(argv, env=env, logs=logs)
    run_cli(["--db", sqlite_url(db), "export", "--format", "jsonl", "-o", str(out)], env=env,
            logs=logs)
    tables = {name for (name,) in query(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"stories", "tags", "authors"} <= tables
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 1, records
    record = records[0]
    # NUL is a control character the normalizer removes; everything else arrives verbatim.
    assert record["title"] == title.replace("\x00", ""), record["title"]
    assert query(db, "SELECT title FROM stories") == [(record["title"],)]
    assert record["tags"] == HOSTILE_TAGS, record["tags"]
    assert [a["name"] for a in record["authors"]] == [HOSTILE_AUTHOR], record["authors"]
    raw = {raw for (raw,) in query(db, "SELECT raw FROM tags WHERE type = 'freeform'")}
    assert raw == set(HOSTILE_TAGS), raw
    # A second import finds the very same story: the identity made of these strings matches.
    again = run_cli(argv, env=env, logs=logs)
    assert "0 new, 0 updated, 1 unchanged" in again.stdout, again.stdout


# -- exported HTML passes a sanitizer check ------------------------------------------------------

XSS_HTML_STORY = """<html><head><title>Page &lt;script&gt;</title>
<script>alert('head')</script></head><body onload="alert('body')">
<b>Title:</b> The Scripted Page<br><b>Author:</b> Mallory<br><b>Rating:</b> PG<br><hr>
<div id="story"><p>She opened the door.<script>alert('inline')</script> The hall was dark and
the house was quiet, as it had been every evening since the letters stopped coming.</p>
<p><img src="x" onerror="alert('img')">A picture that never loaded, hanging in the hall.</p>
<p><a href="javascript:alert('link')">A link</a> and <a href=" JaVaScRiPt:alert(2)">another</a>
and <a href="java&#x09;script:alert(3)">a third</a> in the prose of the story.</p>
<p onclick="alert('p')" style="width:expression(alert('ie'))">Clicked text goes on here.</p>
<iframe src="javascript:alert('frame')"></iframe><svg onload="alert('svg')"></svg>
<p>The end of the story, which is long enough to be read as one.</p></div></body></html>
"""

XSS_TEXT_STORY = """Title: <script>alert('title')</script> A Title
Author: <img src=x onerror=alert('author')>
Rating: PG
Tags: <a href="javascript:alert('tag')">tag</a>, onerror=alert(1)
Summary: <svg onload=alert('summary')> javascript:alert('summary')

----

He typed <script>alert('x')</script> into the box, and then <img src=x onerror=alert(1)>
and <a href="javascript:alert(2)">this</a> for good measure.
"""

_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "xlink:href", "background",
                   "poster", "srcset", "srcdoc", "{http://www.w3.org/1999/xlink}href")


def _active_content(markup: bytes, name: str) -> list[str]:
    """Everything in ``markup`` a browser would run: parsed, so escaped text never counts."""
    from lxml import etree
    from lxml import html as lxml_html

    found = []
    if re.search(rb"<\s*script", markup, re.IGNORECASE):
        found.append(f"{name}: a <script> tag")
    try:
        root = lxml_html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return found + [f"{name}: unparseable"]
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        local = tag.rsplit("}", 1)[-1].lower()
        if local in ("script", "iframe", "object", "embed", "applet", "frame", "base"):
            found.append(f"{name}: <{local}>")
        for attribute, value in element.attrib.items():
            attr = attribute.rsplit("}", 1)[-1].lower()
            if attr.startswith("on"):
                found.append(f"{name}: {attr}= on <{local}>")
            squeezed = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
            if attribute.lower() in _URL_ATTRIBUTES and squeezed.startswith(
                    ("javascript:", "vbscript:", "data:text/html")):
                found.append(f"{name}: {attr}={value!r}")
            if "expression(" in squeezed:
                found.append(f"{name}: {attr}={value!r}")
    return found


def _exported_markup(target: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(target.rglob("*")):
        if path.suffix in (".html", ".xhtml", ".htm"):
            yield str(path.relative_to(target)), path.read_bytes()
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as book:
                for member in book.namelist():
                    if member.endswith((".html", ".xhtml", ".htm", ".ncx", ".opf")):
                        yield f"{path.name}!{member}", book.read(member)


def test_exported_html_and_epub_pass_a_sanitizer_check(work: Path, env: dict[str, str]) -> None:
    logs = work / "logs-xss"
    folder = work / "xss"
    folder.mkdir()
    (folder / "scripted.html").write_text(XSS_HTML_STORY, encoding="utf-8")
    (folder / "scripted.txt").write_text(XSS_TEXT_STORY, encoding="utf-8")
    db = work / "xss.sqlite3"
    imported = run_cli(["--db", sqlite_url(db), "import", "-q", str(folder)], env=env, logs=logs)
    assert query(db, "SELECT count(*) FROM stories") == [(2,)], imported.stdout
    for fmt in ("html", "epub"):
        target = work / f"xss-{fmt}"
        run_cli(["--db", sqlite_url(db), "export", "--format", fmt, "-o", str(target)],
                env=env, logs=logs)
        files = list(_exported_markup(target))
        assert len(files) >= 2, f"{fmt}: nothing to check in {target}"
        found = [hit for name, markup in files for hit in _active_content(markup, name)]
        assert not found, f"{fmt} export carries active content:\n" + "\n".join(found[:20])
        words = b" ".join(markup for _, markup in files)
        assert b"A picture that never loaded" in words and b"into the box" in words, fmt
