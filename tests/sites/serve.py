"""Serve all three test archives until Ctrl-C, for benchmarks and poking around by hand.

    python -m tests.sites.serve --stories 50 --chapters 10 [--seed 0] [--fault-rate 0.2]

Prints one ``kind url`` line per site (machine-readable), then serves. ``--chapters`` is the
maximum chapters per story; one story always has exactly that many.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from tests.sites.content import ArchiveModel
from tests.sites.faults import FaultPlan
from tests.sites.launch import SITE_KINDS, start_site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sites.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=40)
    parser.add_argument("--chapters", type=int, default=12, help="max chapters per story")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0,
                        help="first port (the others follow); 0 picks free ports")
    parser.add_argument("--kinds", default=",".join(SITE_KINDS))
    args = parser.parse_args(argv)

    model = ArchiveModel.generate(seed=args.seed, stories=args.stories,
                                  max_chapters=args.chapters)
    servers = []
    for i, kind in enumerate(k.strip() for k in args.kinds.split(",") if k.strip()):
        faults = FaultPlan(rate=args.fault_rate, seed=args.seed)
        port = args.port + i if args.port else 0
        servers.append(start_site(kind, model=model, faults=faults, port=port))
        print(f"{kind} {servers[-1].url}", flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
