"""Fixtures for the crawler tests: the served test archives and a source to crawl into."""

from __future__ import annotations

import pytest

from fanarchive.store.models import Source
from fanarchive.store.store import Store
from tests.sites.fixtures import efiction_site, site_factory  # noqa: F401 - pytest fixtures


@pytest.fixture
def source(store: Store) -> Source:
    created = store.ensure_source("web-test", "http://127.0.0.1/", kind="web")
    store.commit()
    return created
