"""A third-party parser joins with nothing but an entry point, installed from a folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = Path(__file__).parent / "plugins" / "example_parser"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(PLUGIN)],
        check=True, capture_output=True,
    )
    return target


def _fanarchive(args: list[str], plugin_path: Path | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if plugin_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_path),
                                                          env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "fanarchive", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_installed_plugin_is_listed_and_used(plugin_path: Path, tmp_path: Path) -> None:
    listed = _fanarchive(["parsers"], plugin_path)
    assert listed.returncode == 0, listed.stderr
    assert "example" in listed.stdout and "0.3.0" in listed.stdout
    assert "plaintext" in listed.stdout

    story = tmp_path / "story.ex"
    story.write_text("EXAMPLE STORY\nPlugged In\nIt works.\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    done = _fanarchive(["--db", db, "import", "-q", str(story)], plugin_path)
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stdout
    out = tmp_path / "out.jsonl"
    assert _fanarchive(["--db", db, "export", "-o", str(out)], plugin_path).returncode == 0
    record = json.loads(out.read_text("utf-8"))
    assert record["title"] == "Plugged In"
    assert record["sources"][0]["parser"] == "example"
    assert record["chapters"][0]["text"] == "It works."


def test_without_the_plugin_the_file_is_unrecognised(tmp_path: Path) -> None:
    story = tmp_path / "story.ex"
    story.write_bytes(b"EXAMPLE STORY\nPlugged In\n\x00\x01binary-ish\n")
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    listed = _fanarchive(["parsers"], None)
    assert "example" not in listed.stdout
    done = _fanarchive(["--db", db, "import", "-q", str(story)], None)
    assert done.returncode == 0
    assert "1 failed" in done.stdout
