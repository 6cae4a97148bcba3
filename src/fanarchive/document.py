"""The one seam between sources and parsers: bytes plus where they came from."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fanarchive.normalize.encoding import DecodedText


@dataclass(frozen=True)
class Document:
    """Raw bytes of one fetched or imported item.

    ``locator`` names the item for people and for identity: the URL, the file path, or
    ``archive.zip!member/path.txt`` for archive members.
    """

    content: bytes
    locator: str
    url: str | None = None
    path: str | None = None
    media_type: str | None = None
    declared_charset: str | None = None
    http_status: int | None = None
    http_headers: Mapping[str, str] = field(default_factory=dict)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @cached_property
    def name(self) -> str:
        """The last path segment of the locator, for extension checks."""
        return PurePosixPath(self.locator.split("!")[-1].split("?")[0]).name

    @cached_property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()

    def decoded(self) -> DecodedText:
        """Text of the document, decoded once and cached (BOM, charset detection, repairs)."""
        cached = self.__dict__.get("_decoded")
        if cached is None:
            from fanarchive.normalize.encoding import decode_bytes

            cached = decode_bytes(
                self.content, declared=self.declared_charset, is_html=self.looks_like_html
            )
            object.__setattr__(self, "_decoded", cached)
        return cached

    @property
    def text(self) -> str:
        return self.decoded().text

    @cached_property
    def looks_like_html(self) -> bool:
        if self.media_type and "html" in self.media_type:
            return True
        if self.suffix in {".html", ".htm", ".xhtml", ".php", ".asp", ".shtml"}:
            return True
        head = self.content[:1024].lstrip().lower()
        return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head
