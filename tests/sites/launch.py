"""Start a served archive of a given kind: the one entry point fixtures and scripts share."""

from __future__ import annotations

from typing import Any

from tests.sites.content import ArchiveModel
from tests.sites.efiction import EFictionOptions, EFictionSite
from tests.sites.faults import FaultPlan
from tests.sites.server import ArchiveServer
from tests.sites.static_html import StaticOptions, StaticSite
from tests.sites.txt_listing import TxtOptions, TxtSite

SITE_KINDS = ("efiction", "static", "txt")


def build_site(
    kind: str, model: ArchiveModel, **options: Any
) -> EFictionSite | StaticSite | TxtSite:
    """A site renderer of ``kind``; ``options`` are fields of that kind's options dataclass."""
    if kind == "efiction":
        return EFictionSite(model, EFictionOptions(**options))
    if kind == "static":
        return StaticSite(model, StaticOptions(**options))
    if kind == "txt":
        return TxtSite(model, TxtOptions(**options))
    raise ValueError(f"unknown site kind {kind!r}; expected one of {SITE_KINDS}")


def start_site(kind: str, *, seed: int = 0, stories: int = 40, max_chapters: int = 12,
               model: ArchiveModel | None = None, faults: FaultPlan | None = None,
               host: str = "127.0.0.1", port: int = 0, **options: Any) -> ArchiveServer:
    """Generate (or reuse) a model and serve it; the caller must ``stop()`` the result.

    Pass the same ``model`` to several kinds to serve one archive in three shapes.
    """
    model = model or ArchiveModel.generate(seed=seed, stories=stories, max_chapters=max_chapters)
    site = build_site(kind, model, **options)
    return ArchiveServer(site, faults, host=host, port=port).start()
