"""Import a synthetic eFiction dump into SQLite (or only read it): stories/s and peak RSS.

    python bench/bench_efiction_dump.py                      # 10,000 stories, full import
    python bench/bench_efiction_dump.py --stories 2000 --read-only

Writes an eFiction 3.5 style dump (Sequel Pro layout: multi-row INSERTs, tables in alphabetical
order so chapters come before stories, a large reviews table that the importer skips) with N
stories of 5 chapters each, chapter text in the database or, with ``--files``, in
``storiesef/<uid>/<chapid>.txt``. Then imports it into a fresh SQLite database with the
importer, exactly as ``fanarchive import dump.sql`` does (issue 5's target: at least 300
stories/s, peak RSS under 250 MB). With ``--read-only`` it only reads all bundles (and, with
``--parse``, parses them). Prints throughput and peak memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from fanarchive.document import Document  # noqa: E402
from fanarchive.sources.efiction_db import MEDIA_TYPE, EfictionDump  # noqa: E402

WORDS = [
    "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "Bill's",
    "café", '"quoted"', "naïve", "rôle", "O'Connell", ";", "--", "#", "/*", "not", "comments",
    "*/", "and,", "then;", "it's",
]
ROWS_PER_INSERT = 500


def _quote(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    for old, new in (("\\", "\\\\"), ("'", "\\'"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(old, new)
    return f"'{text}'"


def _table(out: IO[str], name: str, columns: list[str], rows: Iterator[tuple[object, ...]]) -> None:
    out.write(f"\n# Dump of table {name}\nDROP TABLE IF EXISTS `{name}`;\n")
    out.write(f"CREATE TABLE `{name}` (\n")
    out.write(",\n".join(f"  `{c}` text" for c in columns))
    out.write(f"\n) ENGINE=MyISAM DEFAULT CHARSET=latin1;\n\nLOCK TABLES `{name}` WRITE;\n")
    head = f"INSERT INTO `{name}` ({', '.join(f'`{c}`' for c in columns)})\nVALUES\n"
    batch: list[str] = []
    for row in rows:
        batch.append("\t(" + ",".join(_quote(v) for v in row) + ")")
        if len(batch) == ROWS_PER_INSERT:
            out.write(head + ",\n".join(batch) + ";\n")
            batch = []
    if batch:
        out.write(head + ",\n".join(batch) + ";\n")
    out.write("UNLOCK TABLES;\n")


def _text(rng: random.Random, size: int) -> str:
    paragraphs, length = [], 0
    while length < size:
        paragraph = " ".join(rng.choices(WORDS, k=rng.randint(30, 90))) + "."
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(paragraphs)


def write_dump(folder: Path, stories: int, chapter_bytes: int, files: bool) -> Path:
    rng = random.Random(1234)
    authors = max(1, stories // 10)
    path = folder / "efiction.sql"
    texts = [_text(rng, chapter_bytes) for _ in range(50)]  # for reviews
    with path.open("w", encoding="utf-8") as out:
        out.write("/*!40101 SET NAMES utf8 */;\n")
        _table(out, "fanfiction_authors", ["uid", "penname", "email"],
               ((u, f"Author {u}", f"a{u}@example.com") for u in range(1, authors + 1)))
        _table(out, "fanfiction_categories", ["catid", "parentcatid", "category"],
               ((c, -1, f"Category {c}") for c in range(1, 51)))

        def chapters() -> Iterator[tuple[object, ...]]:
            for sid in range(1, stories + 1):
                uid = (sid % authors) + 1
                for n in range(1, 6):
                    chapid = (sid - 1) * 5 + n
                    # Every chapter its own text: a dump of repeated texts would import as a
                    # few stories with many aliases (same-text identity), not as N stories.
                    text = _text(rng, chapter_bytes)
                    if n % 2:  # as eFiction's rich-text editor stores them; the rest nl2br
                        text = "".join(f"<p>{p}</p>\n" for p in text.split("\n\n"))
                    if files:
                        target = folder / "storiesef" / str(uid) / f"{chapid}.txt"
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_text(text, encoding="utf-8")
                        text = ""
                    yield (chapid, f"Chapter {n}", n, "Notes.", text, None, "1", sid, uid)

        _table(out, "fanfiction_chapters", ["chapid", "title", "inorder", "notes", "storytext",
                                            "endnotes", "validated", "sid", "uid"], chapters())
        _table(out, "fanfiction_characters", ["charid", "catid", "charname"],
               ((c, -1, f"Character {c}") for c in range(1, 101)))
        _table(out, "fanfiction_classes", ["class_id", "class_type", "class_name"],
               ((c, 1 + (c > 30), f"Class {c}") for c in range(1, 41)))
        _table(out, "fanfiction_classtypes", ["classtype_id", "classtype_name", "classtype_title"],
               iter([(1, "genres", "Genres"), (2, "warnings", "Warnings")]))
        _table(out, "fanfiction_coauthors", ["sid", "uid"],
               ((sid, (sid % authors) + 2) for sid in range(1, stories + 1, 7)))
        _table(out, "fanfiction_inseries", ["seriesid", "sid", "subseriesid", "confirmed",
                                            "inorder"],
               ((sid // 20 + 1, sid, 0, 1, sid % 20 + 1) for sid in range(1, stories + 1, 3)))
        _table(out, "fanfiction_ratings", ["rid", "rating"],
               iter([(1, "G"), (2, "PG"), (3, "PG-13"), (4, "R"), (5, "NC-17")]))
        _table(out, "fanfiction_reviews", ["reviewid", "item", "chapid", "reviewer", "review"],
               ((r, r % stories + 1, r % (stories * 5) + 1, "Reader", texts[r % 50][:300])
                for r in range(1, stories * 3 + 1)))
        _table(out, "fanfiction_series", ["seriesid", "title"],
               ((s, f"Series {s}") for s in range(1, stories // 20 + 2)))
        _table(out, "fanfiction_settings", ["sitekey", "sitename", "storiespath", "store"],
               iter([("key", "Bench Archive", "storiesef", "files" if files else "mysql")]))
        _table(out, "fanfiction_stories", [
            "sid", "title", "summary", "storynotes", "catid", "classes", "charid", "rid", "date",
            "updated", "uid", "coauthors", "completed", "wordcount"],
            ((sid, f"Story {sid}", "<p>A summary &amp; more.</p>", None,
              f"{sid % 50 + 1}", f"{sid % 30 + 1},{31 + sid % 10}", f"{sid % 100 + 1},1",
              str(sid % 5 + 1), "2008-01-01 10:00:00", "2009-01-01 10:00:00",
              (sid % authors) + 1, "1" if sid % 7 == 1 else "0", str(sid % 2), 5000)
             for sid in range(1, stories + 1)))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--chapter-bytes", type=int, default=2_000)
    parser.add_argument("--files", action="store_true", help="chapter text in files, not the DB")
    parser.add_argument("--parse", action="store_true", help="also run the efiction-db parser")
    parser.add_argument("--read-only", action="store_true",
                        help="read the bundles only, without importing into a database")
    args = parser.parse_args()
    if not args.read_only:
        import_dump(args)
        return

    with tempfile.TemporaryDirectory(prefix="bench-efiction-") as tmp:
        dump, size = _generate(Path(tmp), args)
        parse = None
        if args.parse:
            from fanarchive_parsers.efiction_db import EfictionDumpRecordParser

            parse = EfictionDumpRecordParser().parse
        start = time.perf_counter()
        cpu_start = time.process_time()
        with EfictionDump(dump) as archive:
            staged = time.perf_counter()
            count = chapters = 0
            for bundle in archive.bundles():
                count += 1
                chapters += len(bundle["chapters"])
                if parse is not None:
                    content = json.dumps(bundle, ensure_ascii=False).encode("utf-8")
                    parse(Document(content=content, locator="bench", media_type=MEDIA_TYPE))
            errors = archive.errors
        done = time.perf_counter()
        cpu = time.process_time() - cpu_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = done - start
    print(f"staged the dump in {staged - start:.2f} s ({size / 1e6 / (staged - start):.1f} MB/s)")
    print(f"built {count} bundles / {chapters} chapters in {done - staged:.2f} s"
          + (" (with parsing)" if parse else ""))
    print(f"total {total:.2f} s: {count / total:.0f} stories/s, {chapters / total:.0f} chapters/s")
    # On a shared machine wall time includes waiting for the CPU; CPU time is the cost.
    print(f"CPU {cpu:.2f} s: {count / cpu:.0f} stories/s, {size / 1e6 / cpu:.1f} MB/s per core")
    print(f"peak RSS {peak_mb:.0f} MB; dump errors: {len(errors)}")
    if count != args.stories or errors:
        raise SystemExit("unexpected result")


def _generate(folder: Path, args: argparse.Namespace) -> tuple[Path, int]:
    start = time.perf_counter()
    dump = write_dump(folder, args.stories, args.chapter_bytes, args.files)
    size = dump.stat().st_size
    print(f"generated {dump.name}: {size / 1e6:.1f} MB, {args.stories} stories, "
          f"{args.stories * 5} chapters in {time.perf_counter() - start:.1f} s")
    return dump, size


def import_dump(args: argparse.Namespace) -> None:
    from fanarchive.config import load_config
    from fanarchive.importing import Importer
    from fanarchive.store.store import Store

    with tempfile.TemporaryDirectory(prefix="bench-efiction-") as tmp:
        folder = Path(tmp)
        dump, _ = _generate(folder, args)
        store = Store.open(f"sqlite:///{folder / 'bench.sqlite3'}")
        start = time.perf_counter()
        cpu_start = time.process_time()
        report = Importer(store, load_config()).run([str(dump)])
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"imported {report.new} new stories ({report.failed} failed) into SQLite")
    print(f"wall {wall:.2f} s: {report.new / wall:.0f} stories/s")
    # On a shared machine wall time includes waiting for the CPU; CPU time is the cost.
    print(f"CPU {cpu:.2f} s: {report.new / cpu:.0f} stories/s per core")
    print(f"peak RSS {peak_mb:.0f} MB")
    if report.new != args.stories or report.failed:
        raise SystemExit(f"unexpected result: {report.new} new, {report.errors[:3]}")


if __name__ == "__main__":
    main()
