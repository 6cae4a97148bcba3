"""Export speed and memory for every format: N generated stories in a SQLite store.

    python bench/bench_export.py                   # 10,000 stories, every format
    python bench/bench_export.py --stories 1000    # smaller
    python bench/bench_export.py --formats jsonl,html
    python bench/bench_export.py --keep /tmp/fa-bench   # keep (and reuse) the store

The store is filled once through the Store API; then each format is exported in its own
process, so each peak RSS is that format's alone. Targets (issue 7): JSONL at least 2,000
stories/s, peak memory under 250 MB for every format (exports stream).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import figure, peak_rss_mb  # noqa: E402

FORMATS = ("jsonl", "csv", "opendoors", "ao3", "epub", "html")
OUTPUTS = {"jsonl": "stories.jsonl", "csv": "stories.csv", "opendoors": "opendoors.sql",
           "ao3": "ao3", "epub": "epub", "html": "site"}
JSONL_TARGET = 2_000
RSS_TARGET_MB = 250
SENTENCE = ("the night was cold and she walked along the river thinking of what he had said "
            "before the war ended nobody knew whether the letters would ever arrive but he "
            "kept writing them anyway every evening by the window with the lamp turned low")
WORDS = SENTENCE.split(" ")
FANDOMS = ["Buffy the Vampire Slayer", "Due South", "The X-Files", "Stargate SG-1",
           "Star Trek: The Original Series", "Blake's 7", "Highlander", "Sentinel"]
RATINGS = [("G", "General Audiences"), ("PG-13", "Teen And Up Audiences"),
           ("R", "Mature"), ("NC-17", "Explicit"), (None, "Not Rated")]
TAGS = ["angst", "hurt/comfort", "first time", "fluff", "established relationship", "AU",
        "humor", "drama", "romance", "character study", "missing scene", "post-canon"]


def _paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 110))).capitalize() + "."


def generate(url: str, n: int, seed: int = 7) -> float:
    """Fill the store at ``url`` with ``n`` stories of about 8 KB; returns seconds taken."""
    from fanarchive.parsed import QualityFlag
    from fanarchive.store.store import Sighting, Store
    from fanarchive.story import Author, Chapter, Rating, Story

    rng = random.Random(seed)
    store = Store.open(url)
    source = store.ensure_source("bench", "/bench")
    started = time.perf_counter()
    for i in range(n):
        chapters = []
        for position in range(1, rng.choice([1, 1, 2, 3]) + 1):
            text = "\n\n".join(_paragraph(rng) for _ in range(rng.randint(4, 9)))
            html = None
            if rng.random() < 0.2:  # some chapters keep their archive markup
                html = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
                html = html.replace("river", "<i>river</i>") + '<script>alert("x")</script>'
            chapters.append(Chapter(position, text, f"Part {position}", html=html,
                                    word_count=len(text.split())))
        raw, canonical = rng.choice(RATINGS)
        author = f"Writer {rng.randint(1, 600)}"
        story = Story(
            title=f"Generated Story {i}: {rng.choice(WORDS).title()} {rng.choice(WORDS)}",
            authors=[Author(author, f"{author.replace(' ', '').lower()}@example.org")],
            rating=Rating(raw, canonical), fandoms=[rng.choice(FANDOMS)],
            relationships=["A/B"] if rng.random() < 0.5 else [],
            warnings=["Character Death"] if rng.random() < 0.1 else [],
            tags=rng.sample(TAGS, rng.randint(0, 4)),
            summary=" ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 40))),
            notes="Thanks for reading." if rng.random() < 0.3 else None,
            published=f"{rng.randint(1996, 2012)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            status=rng.choice(["complete", "in-progress", None]), language="en",
            chapters=chapters,
            quality_flags=[QualityFlag("encoding-guessed", "cp1252")] if i % 50 == 0 else [],
        )
        store.save_story(story, f"bench:{i}", Sighting(source.id, f"/bench/{i}.txt",
                                                        path=f"/bench/{i}.txt",
                                                        parser="plaintext"))
        if i % 500 == 499:
            store.commit()
    store.commit()
    store.close()
    return time.perf_counter() - started


def run_one(url: str, fmt: str, output: Path) -> dict[str, float]:
    """Export in this process and report time and peak memory (called in a child)."""
    from fanarchive.export import ExportOptions, export
    from fanarchive.store.store import Store

    store = Store.open(url, upgrade=False)
    started, cpu_started = time.perf_counter(), time.process_time()
    count = export(store, fmt, output, ExportOptions())
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    store.close()
    return {"stories": count, "seconds": seconds, "cpu_seconds": cpu,
            "peak_rss_mb": peak_rss_mb()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", type=int, default=10_000)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--keep", metavar="DIR", help="keep the generated store and exports in DIR "
                    "and reuse a store already there")
    ap.add_argument("--run", help=argparse.SUPPRESS)  # child: export one format
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        print(json.dumps(run_one(args.db, args.run, Path(args.out))))
        return 0

    failed = False
    with tempfile.TemporaryDirectory(prefix="fa-bench-export-") as scratch:
        tmp = Path(args.keep or scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        db = tmp / f"bench-{args.stories}.sqlite3"
        url = f"sqlite:///{db}"
        if not db.exists():
            took = generate(url, args.stories)
            print(figure(f"generate {args.stories:,} stories", args.stories / took,
                         "stories/s"))
        for fmt in args.formats.split(","):
            out = tmp / OUTPUTS[fmt]
            if out.is_dir():
                shutil.rmtree(out)  # a kept run's folder is a previous export: replace it
            done = subprocess.run(
                [sys.executable, __file__, "--run", fmt, "--db", url, "--out", str(out)],
                capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{fmt}: FAILED\n{done.stderr[-2000:]}")
                failed = True
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            rate = result["stories"] / result["seconds"]
            cpu_rate = result["stories"] / max(result["cpu_seconds"], 1e-9)
            rss = result["peak_rss_mb"]
            print(figure(f"{fmt} export (wall clock)", rate, "stories/s"))
            print(figure(f"{fmt} export (per CPU second)", cpu_rate, "stories/s"))
            print(figure(f"{fmt} peak RSS", rss, "MB"))
            if rss >= RSS_TARGET_MB or (fmt == "jsonl" and rate < JSONL_TARGET):
                print(f"  {fmt}: target missed (JSONL >= {JSONL_TARGET:,} stories/s, "
                      f"RSS < {RSS_TARGET_MB} MB)")
                failed = True
    load = os.getloadavg()
    print(f"load average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"on {os.cpu_count()} CPUs (wall-clock rates drop on a busy machine)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
