"""The whole plugin surface of fanarchive, one hook per concept.

A plugin is a module registered under the ``fanarchive.parsers`` entry-point group that
implements one or more of these hooks with ``@fanarchive.hookspecs.hookimpl``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

import pluggy

from fanarchive.document import Document
from fanarchive.parsed import ParseResult

hookspec = pluggy.HookspecMarker("fanarchive")
hookimpl = pluggy.HookimplMarker("fanarchive")


@runtime_checkable
class Parser(Protocol):
    """Turns documents into parsed stories. Parsers never fetch: sources do that.

    ``detect`` returns a confidence from 0.0 (not mine) to 1.0 (certainly mine); the most
    confident parser wins auto-detection. ``parse`` may raise
    :class:`fanarchive.errors.ParseError` with a reason a person can act on.
    """

    name: str
    version: str
    description: str

    def detect(self, document: Document) -> float: ...

    def parse(self, document: Document) -> ParseResult: ...


@hookspec
def fanarchive_parsers() -> Iterable[Parser]:  # type: ignore[empty-body]
    """Return the parser instances this plugin provides."""
