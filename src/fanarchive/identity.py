"""Which stored story a parsed story is: the key that makes re-imports idempotent."""

from __future__ import annotations

import re
import unicodedata

from fanarchive.parsed import ParsedStory
from fanarchive.store.hashing import sha256_text
from fanarchive.story import Story

_NON_WORD = re.compile(r"[\W_]+")


def _key(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value.casefold())
    return _NON_WORD.sub(" ", folded).strip()


def story_identity(parsed: ParsedStory, story: Story) -> str:
    """A parser's own id when it has one (an eFiction sid), else author and title, else text.

    Author+title makes the same story found at two paths one story, and lets the parts of a
    multi-part posting find each other. A story with neither is known by its text.
    """
    if parsed.identity:
        return parsed.identity
    if story.title and story.authors:
        authors = "&".join(sorted(_key(a.name) for a in story.authors))
        return f"story:{authors}|{_key(story.title)}"
    text = "\n\n".join(c.text for c in story.chapters)
    return f"text:{sha256_text(_key(text))}"
