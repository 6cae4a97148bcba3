"""EPUB 3: one book per story in a folder (``-o FOLDER``), built with ebooklib.

Each book has a title page carrying every metadata field (summary, notes, disclaimer, epigraph,
sources, quality notes, original headers), one XHTML document per chapter, and EPUB 3 ``nav``
plus an NCX for older readers. Chapter markup goes through the shared sanitizer and is written
as XHTML we build and check ourselves: ebooklib's own HTML handling re-parses content and turns
a document it cannot parse into an empty one without a word, which would lose a chapter.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from ebooklib import epub
from lxml import etree

from fanarchive.export.filenames import UniqueNames, safe_stem
from fanarchive.export.folder import atomic_folder
from fanarchive.export.items import ExportItem, iter_items
from fanarchive.export.metadata_html import metadata_block
from fanarchive.export.sanitize import (
    chapter_html,
    escape,
    text_to_html,
    to_xhtml,
    xml_safe,
)
from fanarchive.store.store import Store
from fanarchive.story import Chapter

CSS = """body { font-family: serif; line-height: 1.45; margin: 0 4%; }
h1 { font-size: 1.6em; text-align: center; margin: 1.5em 0 0.3em; }
p.byline { text-align: center; font-style: italic; margin-bottom: 2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; }
dl.meta dt, dl.raw dt { font-weight: bold; margin-top: 0.4em; }
dl.meta dd, dl.raw dd { margin-left: 1.5em; }
section.epigraph blockquote { font-style: italic; margin: 1em 2em; }
section.chapter-notes, section.end-notes { border-left: 3px solid #999; padding-left: 0.8em; }
.missing { font-style: italic; color: #555; }
"""

_DOC = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" \
lang="{lang}" xml:lang="{lang}">
<head>
<meta charset="utf-8" />
<title>{title}</title>
<link rel="stylesheet" type="text/css" href="style.css" />
</head>
<body>
{body}
</body>
</html>
"""


class _Document(epub.EpubHtml):  # type: ignore[misc]
    """An XHTML content document whose bytes we made and checked (see module doc)."""

    def __init__(self, uid: str, file_name: str, title: str, xhtml: bytes) -> None:
        super().__init__(uid=uid, file_name=file_name, title=title)
        self._xhtml = xhtml

    def get_content(self, default: Any = None) -> bytes:
        return self._xhtml


def _render(lang: str, title: str, body: str) -> bytes:
    return _DOC.format(lang=escape(lang), title=escape(title), body=body).encode("utf-8")


def _document(lang: str, title: str, body: str, fallback: Callable[[], str]) -> bytes:
    """A complete XHTML document; when ``body`` is not well-formed, ``fallback()`` is used."""
    data = _render(lang, title, body)
    try:
        etree.fromstring(data)
    except etree.XMLSyntaxError:
        data = _render(lang, title, fallback())
    return data


def _chapter_body(chapter: Chapter, heading: str) -> str:
    parts = [f"<h2>{escape(heading)}</h2>"]
    if chapter.notes:
        parts.append('<section class="chapter-notes">'
                     + text_to_html(chapter.notes).replace("<br>", "<br />") + "</section>")
    parts.append(to_xhtml(chapter_html(chapter)))
    if chapter.end_notes:
        parts.append('<section class="end-notes">'
                     + text_to_html(chapter.end_notes).replace("<br>", "<br />") + "</section>")
    return "\n".join(parts)


def _plain_chapter_body(chapter: Chapter, heading: str) -> str:
    # Only used when the chapter's own markup cannot be made well-formed: keep every word.
    return (f"<h2>{escape(heading)}</h2>\n"
            + text_to_html(chapter.text).replace("<br>", "<br />"))


def build_book(item: ExportItem) -> epub.EpubBook:
    """The EPUB of one story, ready for ``epub.write_epub``."""
    story = item.story
    # ebooklib writes metadata with lxml, which refuses control characters outright.
    title = xml_safe(story.title) or "Untitled"
    lang = story.language or "und"
    book = epub.EpubBook()
    book.set_identifier(f"urn:fanarchive:{item.uid}")
    book.set_title(title)
    book.set_language(lang)
    for number, author in enumerate(story.authors, start=1):
        # ebooklib would give every creator the same XML id ("creator") unless told otherwise.
        book.add_author(xml_safe(author.name), uid=f"creator{number}")
    if story.summary:
        book.add_metadata("DC", "description", xml_safe(story.summary))
    for subject in [*story.fandoms, *story.relationships, *story.characters, *story.tags]:
        book.add_metadata("DC", "subject", xml_safe(subject))
    if story.published:
        book.add_metadata("DC", "date", story.published)
    if item.url:
        book.add_metadata("DC", "source", xml_safe(item.url))
    book.add_item(epub.EpubItem(uid="style", file_name="style.css", media_type="text/css",
                                content=CSS.encode("utf-8")))

    byline = ", ".join(a.name for a in story.authors)
    front = [f"<h1>{escape(title)}</h1>"]
    if byline:
        front.append(f'<p class="byline">by {escape(byline)}</p>')
    front.append(metadata_block(item))
    if not story.chapters:
        front.append('<p class="missing">No chapter text of this story survived.</p>')
    title_page = _Document("titlepage", "title.xhtml", title,
                           _document(lang, title, "\n".join(front),
                                     lambda: f"<h1>{escape(title)}</h1>"))
    book.add_item(title_page)
    toc: list[Any] = [epub.Link("title.xhtml", "Title page", "toc-title")]
    spine: list[Any] = [title_page]
    for number, chapter in enumerate(story.chapters, start=1):
        heading = xml_safe(chapter.title) or (
            f"Chapter {chapter.position}" if len(story.chapters) > 1 else title)
        doc = _Document(f"chapter{number}", f"chapter{number:04d}.xhtml", heading,
                        _document(lang, heading, _chapter_body(chapter, heading),
                                  partial(_plain_chapter_body, chapter, heading)))
        book.add_item(doc)
        toc.append(epub.Link(doc.file_name, heading, f"toc-{number}"))
        spine.append(doc)
    book.toc = toc
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav(title="Contents"))
    book.spine = [*spine, ("nav", "no")]
    return book


def write(store: Store, options: Any, output: Path,
          on_record: Callable[[], None] | None = None) -> int:
    """One ``.epub`` per selected story in the folder ``output``; returns how many."""
    count = 0
    names = UniqueNames()
    with atomic_folder(output, "epub") as folder:
        for item in iter_items(store, options):
            story = item.story
            label = story.title or "Untitled"
            if story.authors:
                label += " - " + story.authors[0].name
            name = names.claim(safe_stem(label, fallback=item.uid), ".epub")
            epub.write_epub(str(folder / name), build_book(item),
                            {"raise_exceptions": True, "epub3_pages": False})
            count += 1
            if on_record:
                on_record()
    return count
