"""Helpers shared by the benchmarks: peak memory and a figure line format."""

from __future__ import annotations

import resource
import sys


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024


def figure(name: str, value: float, unit: str) -> str:
    return f"{name:<34} {value:>12,.1f} {unit}"
