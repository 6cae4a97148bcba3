"""fanarchive: rescue fan fiction from legacy fandom archives.

The library is the product; the ``fanarchive`` command is a thin layer over it.
Data flows one way: sources -> parsers -> normalize -> store -> sync -> export.
"""

from fanarchive.document import Document
from fanarchive.parsed import ParsedChapter, ParsedStory, ParseResult, QualityFlag
from fanarchive.story import Author, Chapter, Rating, Series, Story

__version__ = "0.1.0"

__all__ = [
    "Author",
    "Chapter",
    "Document",
    "ParseResult",
    "ParsedChapter",
    "ParsedStory",
    "QualityFlag",
    "Rating",
    "Series",
    "Story",
    "__version__",
]
