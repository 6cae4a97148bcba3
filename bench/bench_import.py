"""Plain-text import speed and memory: N generated ~15 KB stories into a fresh SQLite database.

    python bench/bench_import.py                  # 1,000 / 5,000 / 20,000 stories
    python bench/bench_import.py --sizes 2000     # one size

Each size runs in its own process so its peak RSS is its own. Targets (issue 3): at least 500
stories/s on one core, peak memory flat as N grows.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import figure, peak_rss_mb  # noqa: E402

WORDS = ("the night was cold and she walked along the river thinking of what he had said "
         "before the war ended nobody knew whether the letters would ever arrive but he kept "
         "writing them anyway every evening by the window with the lamp turned low").split()
RATINGS = ["G", "PG", "PG-13", "Strong PG13", "R", "NC-17", "FRT", "M"]
PAIRINGS = ["B/S", "W/T", "X/A", "none", "Mulder/Scully", "J/D"]


def story_text(i: int, rng: random.Random, size: int = 15_000) -> str:
    head = (
        f"Title: Generated Story {i}\n\nAuthor: Writer {i % 97} <writer{i % 97}@example.org>\n\n"
        f"Rating: {rng.choice(RATINGS)}\n\nPairing: {rng.choice(PAIRINGS)}\n\n"
        f"Summary: A generated story number {i} for the benchmark,\nwith a two-line summary.\n\n"
        "Disclaimer: Not mine.\n\n----\n\n"
    )
    paragraphs: list[str] = []
    length = len(head)
    while length < size:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 120)))
        paragraph = sentence.capitalize() + "."
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return head + "\n\n".join(paragraphs) + "\n"


def generate(folder: Path, n: int) -> int:
    rng = random.Random(n)
    total = 0
    for i in range(n):
        sub = folder / f"d{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        data = story_text(i, rng).encode("utf-8")
        (sub / f"story{i:06d}.txt").write_bytes(data)
        total += len(data)
    return total


def run_one(n: int) -> dict[str, float]:
    from fanarchive.config import load_config
    from fanarchive.importing import Importer
    from fanarchive.store.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "stories"
        folder.mkdir()
        size = generate(folder, n)
        store = Store.open(f"sqlite:///{tmp}/bench.sqlite3")
        started = time.perf_counter()
        cpu = time.process_time()
        report = Importer(store, load_config()).run([str(folder)])
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        store.close()
        assert report.new == n, f"expected {n} new stories, got {report}"
        return {"n": n, "wall": wall, "cpu": cpu, "stories_per_s": n / wall,
                "mb": size / 1e6, "rss_mb": peak_rss_mb()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,5000,20000")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    print("fanarchive plain-text import benchmark (SQLite, one process per size)")
    for n in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"-- {n:,} stories ({r['mb']:.0f} MB of text)")
        print(figure("wall time", r["wall"], "s"))
        print(figure("stories per second (wall)", r["stories_per_s"], "stories/s"))
        print(figure("stories per CPU second", n / r["cpu"], "stories/s"))
        print(figure("peak RSS", r["rss_mb"], "MB"))


if __name__ == "__main__":
    main()
