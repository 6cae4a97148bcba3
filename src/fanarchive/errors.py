"""Errors a person can act on: each names the item and the reason."""

from __future__ import annotations


class FanarchiveError(Exception):
    """Base class; the message is shown to the user as one line."""


class UsageError(FanarchiveError):
    """Bad arguments or configuration: nothing could be done (exit status 1)."""


class DatabaseError(FanarchiveError):
    """The database cannot be reached or upgraded (exit status 1)."""


class ItemError(FanarchiveError):
    """One item failed; it is recorded and the run goes on.

    ``code`` is a short stable word for grouping in ``status`` (``binary``, ``empty``,
    ``too-large``, ``unsafe-path``, ``decompression-bomb``, ``unreadable``, ``parse``, ...).
    """

    def __init__(self, locator: str, code: str, reason: str) -> None:
        super().__init__(f"{locator}: {reason}")
        self.locator = locator
        self.code = code
        self.reason = reason


class ParseError(FanarchiveError):
    """Raised by parsers; the pipeline turns it into an ItemError for the document."""

    code = "parse"
