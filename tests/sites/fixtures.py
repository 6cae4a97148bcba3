"""pytest plugin: served test archives on 127.0.0.1.

Load it with ``pytest_plugins = ["tests.sites.fixtures"]`` in the root conftest.

* ``efiction_site``, ``static_site``, ``txt_site``: a fresh server per test (40 stories, seed 0,
  faults off) yielding an :class:`~tests.sites.server.ArchiveServer` with ``.url``, ``.model``,
  ``.log``, ``.faults``, ``.options`` and ``.stop()``.
* ``site_factory``: ``site_factory(kind, seed=, stories=, max_chapters=, model=, faults=,
  **options)`` for anything else; every server it started is stopped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.sites.launch import start_site
from tests.sites.server import ArchiveServer

SiteFactory = Callable[..., ArchiveServer]


@pytest.fixture
def site_factory() -> Iterator[SiteFactory]:
    started: list[ArchiveServer] = []

    def start(kind: str = "efiction", **kwargs: Any) -> ArchiveServer:
        server = start_site(kind, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def efiction_site(site_factory: SiteFactory) -> ArchiveServer:
    return site_factory("efiction")


@pytest.fixture
def static_site(site_factory: SiteFactory) -> ArchiveServer:
    return site_factory("static")


@pytest.fixture
def txt_site(site_factory: SiteFactory) -> ArchiveServer:
    return site_factory("txt")
