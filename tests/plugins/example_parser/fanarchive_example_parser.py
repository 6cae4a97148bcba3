"""A tiny parser for "EXAMPLE STORY" files: line 1 magic, line 2 title, the rest is text."""

from __future__ import annotations

from fanarchive.document import Document
from fanarchive.hookspecs import hookimpl
from fanarchive.parsed import ParsedChapter, ParsedStory, ParseResult

MAGIC = "EXAMPLE STORY"


class ExampleParser:
    name = "example"
    version = "0.3.0"
    description = "files starting with the line EXAMPLE STORY"

    def detect(self, document: Document) -> float:
        return 0.99 if document.content.startswith(MAGIC.encode()) else 0.0

    def parse(self, document: Document) -> ParseResult:
        _, title, text = document.text.split("\n", 2)
        story = ParsedStory(raw_headers={"Title": title}, fields={"title": title},
                            chapters=[ParsedChapter(text=text.strip())])
        return ParseResult(stories=[story])


@hookimpl
def fanarchive_parsers() -> list[ExampleParser]:
    return [ExampleParser()]
