"""Small fan fiction archives served on 127.0.0.1 for crawler, sync and benchmark tests.

Start one with :func:`start_site` (or the pytest fixtures in :mod:`tests.sites.fixtures`);
compare what a crawler found with :meth:`ArchiveModel.expected`.
"""

from tests.sites.content import ArchiveModel
from tests.sites.faults import FaultPlan
from tests.sites.launch import SITE_KINDS, build_site, start_site
from tests.sites.requestlog import LogEntry, RequestLog
from tests.sites.server import ArchiveServer

__all__ = [
    "SITE_KINDS",
    "ArchiveModel",
    "ArchiveServer",
    "FaultPlan",
    "LogEntry",
    "RequestLog",
    "build_site",
    "start_site",
]
