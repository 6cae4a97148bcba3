"""Header labels as people wrote them, mapped to the canonical field names of ``fields``.

The table is the whole knowledge of which words mean what; add synonyms here, never in the
scanner. Keys are folded with :func:`label_key`.
"""

from __future__ import annotations

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("title", "story title", "name", "story name", "fic title"),
    "authors": ("author", "authors", "by", "written by", "writer", "writers", "pen name",
                "penname", "pen names", "author name", "pseudonym"),
    "email": ("email", "e-mail", "emails", "email address", "e-mail address", "feedback",
              "feedback to", "contact", "mail"),
    "rating": ("rating", "rated", "ratings"),
    "relationships": ("pairing", "pairings", "relationship", "relationships", "ship", "ships"),
    "summary": ("summary", "synopsis", "description", "blurb"),
    "notes": ("note", "notes", "author's note", "author's notes", "authors note", "authors notes",
              "authors' note", "authors' notes", "author note", "author notes", "a/n", "a/ns",
              "an", "a.n", "a.n."),
    "disclaimer": ("disclaimer", "disclaimers"),
    # Genres are freeform tags (as eFiction's Genre class is): "Category" on the old lists meant
    # Gen/Het/Slash or the fandom, never "Angst" or "Humor".
    "categories": ("category", "categories"),
    "warnings": ("warning", "warnings", "content warning", "content warnings",
                 "archive warning", "archive warnings"),
    "spoilers": ("spoilers", "spoiler", "spoiler warning", "spoiler warnings"),
    "series": ("series",),
    "part": ("part", "parts"),
    "archive": ("archive", "archiving", "archive permission", "archiving permission"),
    "fandoms": ("fandom", "fandoms"),
    "characters": ("character", "characters"),
    "status": ("status", "complete", "completed"),
    "published": ("date", "posted", "published", "date posted", "first posted", "posted on",
                  "date published"),
    "updated": ("updated", "last updated", "date updated"),
    "word_count": ("word count", "words", "wordcount", "length"),
    "tags": ("keywords", "keyword", "tags", "tag", "genre", "genres"),
    "language": ("language", "lang"),
}

LABELS: dict[str, str] = {syn: name for name, syns in _SYNONYMS.items() for syn in syns}

# Fields whose values are lists: several headers for one of them are joined with commas, so the
# normalizer's list splitting still sees separate items.
LIST_FIELDS = frozenset({"authors", "relationships", "categories", "warnings", "fandoms",
                         "characters", "tags"})

# Fields that never wrap onto a second line; a line right under them is not their continuation.
SINGLE_LINE_FIELDS = frozenset({"title", "rating", "email", "part", "status", "published",
                                "updated", "word_count", "language"})

# Labels that are also everyday words at the start of a prose sentence ("Note: the door was
# locked."). A line with one of them opening a paragraph only counts as a header when its value
# does not read like a sentence.
PROSE_PRONE = frozenset({"note", "notes", "name", "date", "warning", "status", "words", "contact",
                         "mail", "by", "ship", "part", "archive", "series", "length", "complete",
                         "completed", "tag", "posted", "updated", "language", "an"})

# First words of lines that look like ``Label: value`` but are headings or links, never headers.
NOT_LABELS = frozenset({"chapter", "chap", "ch", "prologue", "epilogue", "book", "act", "scene",
                        "section", "interlude", "http", "https", "ftp", "mailto", "www"})


def label_key(label: str) -> str:
    """The lookup form of a label: lower case, straight apostrophes, single spaces."""
    return " ".join(label.replace("’", "'").replace("`", "'").lower().split())


def field_for(key: str) -> str | None:
    """The canonical field a label (folded by :func:`label_key`) stands for, or None."""
    found = LABELS.get(key)
    if found is None and key.endswith("."):
        found = LABELS.get(key.rstrip("."))
    return found
