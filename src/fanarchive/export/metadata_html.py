"""Every metadata field of a story as an HTML block, shared by the EPUB title page and the site.

The markup is also well-formed XHTML (``<br />``, quoted attributes, escaped text), so the EPUB
can use it unchanged. Author e-mail addresses are left out on purpose: these formats are for
readers, and Open Doors, too, removes addresses before anything is published.
"""

from __future__ import annotations

from collections.abc import Callable

from fanarchive.export.items import ExportItem
from fanarchive.export.sanitize import escape, text_to_html

Href = Callable[[str], str | None]


def _linked(values: list[str], href: Href | None) -> str:
    out = []
    for value in values:
        target = href(value) if href else None
        out.append(f'<a href="{escape(target)}">{escape(value)}</a>' if target else escape(value))
    return ", ".join(out)


def _row(label: str, value_html: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<dt{cls}>{escape(label)}</dt><dd{cls}>{value_html}</dd>\n"


def _xhtml_paragraphs(text: str) -> str:
    return text_to_html(text).replace("<br>", "<br />")


def metadata_block(item: ExportItem, *, fandom_href: Href | None = None,
                   rating_href: Href | None = None) -> str:
    """A ``<dl>`` of every field, then summary, notes, disclaimer, epigraph, sources, flags.

    The authors are not in it: both callers put them in the byline under the title.
    """
    s = item.story
    rows = []
    rating = _linked([s.rating.canonical], rating_href)
    if s.rating.raw and s.rating.raw != s.rating.canonical:
        rating += f" (originally “{escape(s.rating.raw)}”)"
    rows.append(_row("Rating", rating))
    for label, values, href in (("Fandoms", s.fandoms, fandom_href),
                                ("Relationships", s.relationships, None),
                                ("Characters", s.characters, None),
                                ("Warnings", s.warnings, None),
                                ("Categories", s.categories, None),
                                ("Tags", s.tags, None)):
        if values:
            rows.append(_row(label, _linked(values, href)))
    if s.series:
        part = f", part {s.series.part}" if s.series.part else ""
        part += f" of {s.series.of}" if s.series.of else ""
        rows.append(_row("Series", escape(s.series.title) + escape(part)))
    for label, value in (("Language", s.language), ("Status", s.status),
                         ("Published", s.published), ("Updated", s.updated)):
        if value:
            rows.append(_row(label, escape(value)))
    rows.append(_row("Words", f"{s.word_count:,}"))
    rows.append(_row("Chapters", str(len(s.chapters))))
    rows.append(_row("Archive id", f"<code>{escape(item.uid)}</code>"))
    parts = [f'<dl class="meta">\n{"".join(rows)}</dl>\n']
    for label, text, css in (("Summary", s.summary, "summary"), ("Notes", s.notes, "notes"),
                             ("Disclaimer", s.disclaimer, "disclaimer")):
        if text:
            parts.append(f'<section class="{css}"><h2>{label}</h2>\n'
                         f"{_xhtml_paragraphs(text)}</section>\n")
    if s.epigraph:
        parts.append('<section class="epigraph"><h2>Epigraph</h2>\n<blockquote>'
                     f"{_xhtml_paragraphs(s.epigraph)}</blockquote></section>\n")
    parts.append(_provenance(item))
    return "".join(parts)


def _provenance(item: ExportItem) -> str:
    """Where the text came from and what the rescue noticed: the archivist's evidence."""
    s = item.story
    out = []
    if item.sightings:
        lines = []
        for src in item.sightings:
            where = escape(src.url or src.path or src.locator)
            fetched = f", {src.fetched_at:%Y-%m-%d}" if src.fetched_at else ""
            gone = " (no longer at the source)" if src.removed_at else ""
            lines.append(f"<li>{where} <small>({escape(src.parser or 'unknown parser')}"
                         f"{fetched}){gone}</small></li>")
        out.append('<section class="sources"><h2>Sources</h2>\n<ul>'
                   + "".join(lines) + "</ul></section>\n")
    if s.quality_flags:
        flags = "".join(f"<li><code>{escape(f.code)}</code>"
                        + (f": {escape(f.detail)}" if f.detail else "") + "</li>"
                        for f in s.quality_flags)
        out.append('<section class="flags"><h2>Quality notes</h2>\n<ul>'
                   f"{flags}</ul></section>\n")
    if s.raw_headers:
        rows = "".join(_row(k, escape(v)) for k, v in s.raw_headers.items())
        out.append('<section class="headers"><h2>Original headers</h2>\n'
                   f'<dl class="raw">{rows}</dl></section>\n')
    if item.revisions:
        revs = "".join(f"<li>Revision {r.number}, {r.created_at:%Y-%m-%d}"
                       f"{' (' + escape(r.reason) + ')' if r.reason else ''}: "
                       f"{escape(r.summary)}</li>" for r in item.revisions)
        out.append('<section class="revisions"><h2>History</h2>\n<ol>'
                   f"{revs}</ol></section>\n")
    return "".join(out)
