"""The sample dump loaded into MariaDB gives the same bundles read live as read from the file."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from efiction_helpers import dump_text, site_copy
from sqlalchemy import make_url

from fanarchive.document import Document
from fanarchive.sources.efiction_db import (
    EfictionDatabase,
    iter_bundle_documents,
    iter_bundles,
)
from tests.databases import fresh_database

pytestmark = pytest.mark.mariadb


def _load(url: str, sql: str) -> None:
    client = shutil.which("mysql") or shutil.which("mariadb")
    if client is None:
        pytest.skip("the mysql client binary is not installed")
    parsed = make_url(url)
    # The dump creates and switches to a database of its own; it must land in the test one.
    sql = re.sub(r"^(CREATE DATABASE|USE) [^;]*;\s*$", "", sql, flags=re.M | re.I)
    subprocess.run(
        [client, f"-h{parsed.host}", f"-P{parsed.port or 3306}", f"-u{parsed.username}",
         *([f"-p{parsed.password}"] if parsed.password else []), str(parsed.database)],
        input=sql.encode("utf-8"), check=True, capture_output=True, timeout=60,
    )


def _without_source(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in b.items() if k != "source"} for b in found]


def test_live_database_bundles_equal_dump_bundles(tmp_path: Path) -> None:
    dump = site_copy(tmp_path)
    with fresh_database("mariadb") as url:
        _load(url, dump_text())
        with EfictionDatabase(url, stories_dir=tmp_path / "storiesef") as live:
            assert live.prefixes == ["fanfiction_"]
            from_db = list(live.bundles())
        documents = list(iter_bundle_documents(url, stories_dir=tmp_path / "storiesef"))
    from_file = list(iter_bundles(dump))
    assert len(from_db) == 15
    assert from_db[0]["source"]["kind"] == "database"
    assert _without_source(from_db) == _without_source(from_file)
    assert all(isinstance(d, Document) for d in documents) and len(documents) == 15
    assert documents[0].locator.endswith("#sid=1")
    assert "password" not in documents[0].locator
