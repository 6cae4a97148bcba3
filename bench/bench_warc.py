"""WARC reading and importing: N pages of the test eFiction site, replayed from a WARC.

    python bench/bench_warc.py                   # 5,000 pages, gzip per record
    python bench/bench_warc.py --pages 20000 --plain --revisits 10 --parse

The pages are rendered by the test site's own eFiction renderer (story indexes and chapters of
a generated archive, with real headers), written with warcio as request + response records,
and every tenth page (``--revisits``) captured again as a revisit record. Reading runs in a
fresh process so its peak RSS is its own, not the generator's; then, in another fresh process,
the WARC is imported into a new SQLite database exactly as ``fanarchive import file.warc.gz``
does (parsed, normalized, stored). Target (issue 5): peak RSS under 250 MB whatever the number
of pages, because records are streamed one at a time.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(Path(__file__).resolve().parent)]

from _common import figure, peak_rss_mb  # noqa: E402


def write_warc(path: Path, pages: int, *, gz: bool, revisit_every: int) -> int:
    """Render ``pages`` pages of a generated eFiction archive into a WARC; returns the count."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from tests.sites.launch import build_site
    from tests.sites.requestlog import Headers
    from tests.sites.wire import Request

    model_stories = max(10, pages // 4)
    from tests.sites.content import ArchiveModel

    model = ArchiveModel.generate(seed=1, stories=model_stories, max_chapters=6)
    site = build_site("efiction", model, session_ids=False)
    base = "http://archive.example.org"
    targets = []
    for story in model.visible_stories():
        targets.append(site.story_path(story.sid))
        targets += [site.chapter_path(story.sid, n) for n in range(1, len(story.chapters) + 1)]
    targets = (targets * (pages // max(len(targets), 1) + 1))[:pages]
    written = 0
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gz)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench"}))
        for i, target in enumerate(targets):
            response = site.handle(Request("GET", target, Headers([("Host", "archive")])))
            headers = [("Content-Type", response.content_type), *response.headers,
                       ("Content-Length", str(len(response.body)))]
            http = StatusAndHeaders(f"{response.status} OK", headers, protocol="HTTP/1.1")
            url = f"{base}{target}&copy={i}" if i >= len(set(targets)) else base + target
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(response.body),
                                               http_headers=http)
            request = writer.create_warc_record(
                url, "request", payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(f"GET {target}", [("Host", "archive")],
                                              protocol="HTTP/1.1"))
            writer.write_record(request)
            writer.write_record(record)
            written += 1
            if revisit_every and i % revisit_every == 0:
                writer.write_record(writer.create_revisit_record(
                    url, record.rec_headers.get_header("WARC-Payload-Digest"), url,
                    record.rec_headers.get_header("WARC-Date"), http_headers=http))
                written += 1
    return written


def read_warc(path: Path, parse: bool) -> dict[str, float]:
    from fanarchive.config import load_config
    from fanarchive.document import Document
    from fanarchive.sources.warc import iter_warc_documents

    choose = None
    if parse:
        from fanarchive.plugins import choose_parser

        choose = choose_parser
    config = load_config()
    started = time.perf_counter()
    docs = errors = parsed = 0
    size = 0
    for item in iter_warc_documents(path, config):
        if isinstance(item, Document):
            docs += 1
            size += len(item.content)
            if choose is not None:
                choice = choose(item)
                if choice is not None:
                    choice[0].parse(item)
                    parsed += 1
        else:
            errors += 1
    seconds = time.perf_counter() - started
    return {"documents": docs, "errors": errors, "parsed": parsed, "seconds": seconds,
            "megabytes": size / 1e6, "peak_rss_mb": peak_rss_mb()}


def import_warc(path: Path) -> dict[str, float]:
    from fanarchive.config import load_config
    from fanarchive.importing import Importer
    from fanarchive.store.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.sqlite3")
        started, cpu = time.perf_counter(), time.process_time()
        report = Importer(store, load_config()).run([str(path)])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        store.close()
    return {"documents": report.documents, "stories": report.new, "failed": report.failed,
            "seconds": seconds, "cpu": cpu, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--plain", action="store_true", help="uncompressed WARC")
    parser.add_argument("--revisits", type=int, default=10, metavar="N",
                        help="add a revisit record after every N-th page (0: none)")
    parser.add_argument("--parse", action="store_true", help="also run the chosen parser")
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)  # the child processes
    parser.add_argument("--import-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        print(json.dumps(read_warc(args.read, args.parse)))
        return
    if args.import_into:
        print(json.dumps(import_warc(args.import_into)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("bench.warc" if args.plain else "bench.warc.gz")
        started = time.perf_counter()
        records = write_warc(path, args.pages, gz=not args.plain, revisit_every=args.revisits)
        print(figure("generate + write", time.perf_counter() - started, "s"))
        print(figure("WARC size", path.stat().st_size / 1e6, "MB"))
        child = [sys.executable, __file__, "--read", str(path)] + (["--parse"] if args.parse
                                                                    else [])
        out = subprocess.run(child, check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        out = subprocess.run([sys.executable, __file__, "--import-into", str(path)], check=True,
                             capture_output=True, text=True).stdout
        imported = json.loads(out.strip().splitlines()[-1])
    print(figure("pages (response + revisit)", records, "records"))
    print(figure("documents read", result["documents"], "docs"))
    print(figure("errors", result["errors"], "items"))
    if args.parse:
        print(figure("parsed", result["parsed"], "docs"))
    print(figure("read time", result["seconds"], "s"))
    print(figure("throughput", result["documents"] / max(result["seconds"], 1e-9), "pages/s"))
    print(figure("payload", result["megabytes"] / max(result["seconds"], 1e-9), "MB/s"))
    print(figure("peak RSS (reader process)", result["peak_rss_mb"], "MB"))
    print("-- imported into SQLite (fanarchive import)")
    print(figure("stories stored", imported["stories"], "stories"))
    print(figure("failed items", imported["failed"], "items"))
    print(figure("import time (wall)", imported["seconds"], "s"))
    print(figure("pages per second (wall)", imported["documents"] / imported["seconds"], "pages/s"))
    print(figure("pages per CPU second", imported["documents"] / imported["cpu"], "pages/s"))
    print(figure("peak RSS (import process)", imported["peak_rss_mb"], "MB"))


if __name__ == "__main__":
    main()
