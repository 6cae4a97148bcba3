"""The wheel carries the parsers, the migrations and the default config."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"src/fanarchive": "fanarchive", "parsers": "fanarchive_parsers",
          "db": "fanarchive_db", "config": "fanarchive_config"}


def _declared_packages() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return set(data["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_listed_in_pyproject() -> None:
    found: set[str] = set()
    for folder, package in MAPPED.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            found.add(".".join([package, *rel.parts]))
    missing = found - _declared_packages()
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(out), str(ROOT)], check=True, capture_output=True)
    [built] = out.glob("fanarchive-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_contains_parsers_migrations_config_and_schema(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for required in (
        "fanarchive/cli/__init__.py",
        "fanarchive/export/story.schema.json",
        "fanarchive_parsers/plaintext/__init__.py",
        "fanarchive_db/env.py",
        "fanarchive_db/script.py.mako",
        "fanarchive_db/versions/0001_initial_schema.py",
        "fanarchive_config/fanarchive.toml",
        "fanarchive_config/ratings.toml",
        "fanarchive_config/fandoms.toml",
    ):
        assert required in names, f"{required} missing from the wheel"
    migrations = {n for n in names if n.startswith("fanarchive_db/versions/") and n.endswith(".py")}
    on_disk = {f"fanarchive_db/versions/{p.name}" for p in (ROOT / "db" / "versions").glob("*.py")}
    assert on_disk <= migrations
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = wheel.read(entry_points).decode()
    assert "[fanarchive.parsers]" in text
    assert "plaintext = fanarchive_parsers.plaintext" in text
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
