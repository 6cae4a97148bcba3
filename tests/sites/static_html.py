"""A static HTML fan fiction archive in the style of Automated Archive sites (late 1990s-2000s).

One page per story part, metadata as label runs whose markup differs between stories
(``<b>Label:</b>``, ``<p><strong>Label:</strong>``, table cells), parts chained with "Next part"
links, and site chrome everywhere: nav bars, ad blocks, footers, "Back to index" links. Served
like Apache serves files: ``text/html`` without a charset, validators always on, and some older
pages in windows-1252 while their meta tag claims ISO-8859-1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.sites.content import ArchiveModel, Chapter, Story
from tests.sites.markup import esc, esc_text, html_to_text, slugify
from tests.sites.traps import ERROR_PAGE, LOGIN_PAGE, OFFSITE, OFFSITE_REDIRECT, REDIRECT_LOOP
from tests.sites.wire import Request, Response

LABEL_STYLES = ("bold", "strong", "table")


@dataclass
class StaticOptions:
    conditional: bool = True  # Apache sends ETag/Last-Modified for files
    disallow: tuple[str, ...] = ("/cgi-bin/",)


@dataclass(frozen=True)
class PartRef:
    sid: int
    part: int  # 1-based; single-part stories have part 1 only


@dataclass
class StaticSite:
    model: ArchiveModel
    options: StaticOptions = field(default_factory=StaticOptions)
    name: str = "static"
    _path_cache: tuple[int, dict[int, list[str]]] | None = field(default=None, repr=False)

    # ---- layout decisions, all derived from the sid so they survive mutations --------------

    @staticmethod
    def label_style(sid: int) -> str:
        return LABEL_STYLES[sid % 3]

    def charset(self, story: Story) -> str:
        """windows-1252 for every fifth story when its text fits; UTF-8 otherwise."""
        if story.sid % 5 == 0:
            try:
                for part in range(1, len(story.chapters) + 1):
                    self._story_page(story, part, "cp1252").encode("cp1252")
                return "cp1252"
            except UnicodeEncodeError:
                pass
        return "utf-8"

    # ---- URL helpers ------------------------------------------------------------------------

    def _paths(self) -> dict[int, list[str]]:
        """sid -> part paths, rebuilt only when the model changed (titles drive file names)."""
        cached = self._path_cache
        if cached is not None and cached[0] == self.model.version:
            return cached[1]
        paths: dict[int, list[str]] = {}
        taken: set[str] = set()
        for story in sorted(self.model.stories.values(), key=lambda s: s.sid):
            stem = f"/stories/{slugify(self.model.author_of(story).penname)}/"
            stem += slugify(story.title)
            if stem in taken:
                stem = f"{stem}-{story.sid}"
            taken.add(stem)
            if len(story.chapters) == 1:
                paths[story.sid] = [f"{stem}.html"]
            else:
                paths[story.sid] = [f"{stem}{n}.html" for n in range(1, len(story.chapters) + 1)]
        self._path_cache = (self.model.version, paths)
        return paths

    def part_path(self, sid: int, part: int = 1) -> str:
        return self._paths()[sid][part - 1]

    def story_path(self, sid: int) -> str:
        return self.part_path(sid, 1)

    def part_paths(self, sid: int) -> list[str]:
        return list(self._paths()[sid])

    def story_paths(self) -> list[str]:
        return [self.story_path(s.sid) for s in self.model.visible_stories()]

    def _resolve(self, path: str) -> PartRef | None:
        for sid, parts in self._paths().items():
            if path in parts and self.model.visible(sid):
                return PartRef(sid, parts.index(path) + 1)
        return None

    def expected_headers(self, sid: int, part: int = 1) -> dict[str, str]:
        """Label -> value (plain text, whitespace collapsed) under this story's label names."""
        story = self.model.story(sid)
        fields = self._header_fields(story, part)
        return {label: " ".join(html_to_text(value).split()) for label, value in fields}

    # ---- dispatch -----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        routes: dict[str, Callable[[], Response]] = {
            "/": self._index,
            "/index.html": self._index,
            "/new.html": self._new,
            "/links.html": self._links,
            "/robots.txt": self._robots,
            "/cgi-bin/guestbook.pl": self._guestbook,
        }
        route = routes.get(request.path)
        if route is not None:
            return route()
        ref = self._resolve(request.path) if request.path.startswith("/stories/") else None
        if ref is None:
            return Response.not_found()
        story = self.model.story(ref.sid)
        charset = self.charset(story)
        page = self._story_page(story, ref.part, charset)
        return Response(body=page.encode(charset), content_type="text/html",
                        last_modified=story.modified)

    def _html(self, page: str) -> Response:
        return Response(body=page.encode("utf-8"), content_type="text/html",
                        last_modified=self.model.now)

    # ---- chrome -------------------------------------------------------------------------------

    def _chrome(self, title: str, content: str, charset: str = "utf-8", ad: int = 0) -> str:
        meta_charset = "iso-8859-1" if charset == "cp1252" else charset
        nav = (
            '<table width="100%" class="navbar"><tr><td><a href="/index.html">Home</a> | '
            '<a href="/new.html">What\'s New</a> | <a href="/links.html">Links</a> | '
            '<a href="/submit.html">Submit a Story</a> | '
            '<a href="/cgi-bin/guestbook.pl">Guestbook</a></td></tr></table>'
        )
        ad_block = (
            f'<div class="ad"><a href="{OFFSITE}/ads/click?id={ad}"><img '
            f'src="{OFFSITE}/ads/banner{ad % 4}.gif" alt="Advertisement" width="468" '
            'height="60"></a><br><small>Advertisement</small></div>'
        )
        footer = (
            '<div class="footer"><hr><p>Copyright &copy; 1999-2004 '
            f"{esc(self.model.site_name)}. All stories remain the property of their authors."
            '</p><p><a href="/index.html">Back to index</a> | '
            '<a href="mailto:archivist@example.org">Contact the archivist</a></p>'
            '<img src="/cgi-bin/counter.pl?page=main" alt="hit counter"></div>'
        )
        return (
            "<html>\n<head>\n"
            f'<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">\n'
            f"<title>{esc(title)}</title>\n"
            '<link rel="stylesheet" type="text/css" href="/style.css">\n</head>\n'
            f'<body bgcolor="#FFFFF0" text="#000000">\n{nav}\n{ad_block}\n{content}\n'
            f"{footer}\n</body>\n</html>\n"
        )

    # ---- site pages ---------------------------------------------------------------------------

    def _robots(self) -> Response:
        lines = ["User-agent: *"] + [f"Disallow: {p}" for p in self.options.disallow]
        response = Response.text("\n".join(lines) + "\n")
        response.last_modified = self.model.now
        return response

    def _guestbook(self) -> Response:
        page = self._chrome("Guestbook", "<h2>Guestbook</h2><p>Sign our guestbook!</p>")
        return Response.html(page, cacheable=False)

    def _story_item(self, story: Story) -> str:
        rating = self.model.rating_of(story).name
        link = self.story_path(story.sid).lstrip("/")
        item = (
            f'<li><a href="{link}">{esc_text(story.title)}</a> ({esc_text(rating)}) &ndash; '
            f"{story.summary}"
        )
        if len(story.chapters) > 1:
            parts = " ".join(
                f'<a href="{p.lstrip("/")}">{n}</a>'
                for n, p in enumerate(self.part_paths(story.sid), start=1)
            )
            item += f"<br><small>Parts: {parts}</small>"
        return item + "</li>"

    def _index(self) -> Response:
        model = self.model
        by_author: dict[int, list[Story]] = {}
        for story in sorted(model.visible_stories(), key=lambda s: s.title.casefold()):
            by_author.setdefault(story.uid, []).append(story)
        authors = sorted((model.authors[uid] for uid in by_author),
                         key=lambda a: a.penname.casefold())
        jump = " | ".join(f'<a href="#{slugify(a.penname)}">{esc_text(a.penname)}</a>'
                          for a in authors)
        sections = []
        for author in authors:
            items = "\n".join(self._story_item(s) for s in by_author[author.uid])
            sections.append(
                f'<h3><a name="{slugify(author.penname)}"></a>{esc_text(author.penname)}</h3>\n'
                f"<ul>\n{items}\n</ul>"
            )
        content = (
            f"<h1>{esc_text(model.site_name)}</h1>\n<p>Stories are listed by author. "
            f"Last updated {model.now:%d %B %Y}.</p>\n<p class=\"jump\">{jump}</p>\n"
            + "\n".join(sections)
        )
        return self._html(self._chrome(model.site_name, content))

    def _new(self) -> Response:
        items = "\n".join(self._story_item(s) for s in self.model.recent(10))
        content = f"<h2>What's New</h2>\n<ul>\n{items}\n</ul>"
        return self._html(self._chrome("What's New", content, ad=1))

    def _links(self) -> Response:
        content = (
            "<h2>Links</h2>\n<ul>"
            f'<li><a href="{OFFSITE}/">The Fandom Webring</a></li>'
            f'<li><a href="{OFFSITE_REDIRECT}">Our mirror</a></li>'
            f'<li><a href="{REDIRECT_LOOP}">Old guestbook</a></li>'
            f'<li><a href="{ERROR_PAGE}">Archive statistics</a></li>'
            f'<li><a href="{LOGIN_PAGE}">Members only lounge</a></li>'
            "</ul>"
        )
        return self._html(self._chrome("Links", content, ad=2))

    # ---- story pages --------------------------------------------------------------------------

    def _header_fields(self, story: Story, part: int) -> list[tuple[str, str]]:
        """(label, HTML value) pairs; label names differ by markup style, as on real sites."""
        model = self.model
        style = self.label_style(story.sid)
        author = model.author_of(story)
        names = {
            "bold": ("Rating", "Fandom", "Genre"),
            "strong": ("Rating", "Category", "Genre"),
            "table": ("Rated", "Fandom", "Genre"),
        }[style]
        fields = [
            ("Title", esc_text(story.title)),
            ("Author", f'<a href="mailto:{esc(author.email)}">{esc_text(author.penname)}</a>'),
            (names[0], esc_text(model.rating_of(story).name)),
            (names[1], esc_text(", ".join(model.categories[c].name for c in story.catids))),
            ("Characters", esc_text(", ".join(model.characters[c].name for c in story.charids))),
        ]
        if story.pairings:
            fields.append(("Pairing", esc_text(", ".join(story.pairings))))
        fields.append((names[2], esc_text(", ".join(g.name for g in model.genres_of(story)))))
        warnings = ", ".join(w.name for w in model.warnings_of(story)) or "None"
        fields.append(("Warnings", esc_text(warnings)))
        found = model.series_of(story.sid)
        if found is not None:
            fields.append(("Series", f"{esc_text(found[0].title)}, part {found[1]}"))
        fields.append(("Status", "Complete" if story.completed else "Work in Progress"))
        if style == "table":
            fields.append(("Words", str(story.word_count)))
        if len(story.chapters) > 1:
            fields.append(("Part", f"{part} of {len(story.chapters)}"))
        fields.append(("Summary", story.summary))
        if story.notes:
            fields.append(("Author's Notes" if style == "bold" else "Notes", story.notes))
        fields.append(("Disclaimer", "These characters are not mine; no profit is made."))
        return fields

    def _header(self, story: Story, part: int) -> str:
        fields = self._header_fields(story, part)
        style = self.label_style(story.sid)
        if style == "bold":
            return "\n".join(f"<b>{label}:</b> {value}<br>" for label, value in fields)
        if style == "strong":
            return "\n".join(f"<p><strong>{label}:</strong> {value}</p>" for label, value in fields)
        rows = "\n".join(f'<tr><td class="label" valign="top">{label}</td><td>{value}</td></tr>'
                         for label, value in fields)
        return f'<table class="storyinfo" border="0" cellpadding="2">\n{rows}\n</table>'

    @staticmethod
    def _text(story: Story, chapter: Chapter) -> str:
        if story.br_paragraphs:
            return "<br><br>\n".join(chapter.paragraphs)
        return "\n".join(f"<p>{p}</p>" for p in chapter.paragraphs)

    def _story_page(self, story: Story, part: int, charset: str) -> str:
        author = self.model.author_of(story)
        chapter = story.chapters[part - 1]
        total = len(story.chapters)
        heading = f"<h2>{esc_text(story.title)}</h2>"
        if total > 1:
            heading += f'\n<h3 class="parttitle">Part {part}: {esc_text(chapter.title)}</h3>'
        notes = (f'<div class="notes"><b>Part notes:</b> {chapter.notes}</div>\n'
                 if chapter.notes else "")
        end_notes = (f'<div class="endnotes"><b>End notes:</b> {chapter.end_notes}</div>\n'
                     if chapter.end_notes else "")
        name = self.part_path(story.sid, part).rsplit("/", 1)[1]
        stem = name.removesuffix(f"{part}.html") if total > 1 else name
        nav = []
        if part > 1:
            nav.append(f'<a href="{stem}{part - 1}.html">Previous part</a>')
        if part < total:
            nav.append(f'<a href="{stem}{part + 1}.html">Next part</a>')
        nav.append('<a href="../../index.html">Back to index</a>')
        body = self._text(story, chapter)
        if self.label_style(story.sid) != "bold":
            body = f'<div class="storytext">\n{body}\n</div>'
        content = (
            f"{heading}\n{self._header(story, part)}\n<hr>\n{notes}{body}\n{end_notes}<hr>\n"
            f'<p class="storynav">{" | ".join(nav)}</p>'
        )
        title = f"{story.title} by {author.penname}"
        if total > 1:
            title += f" (part {part})"
        return self._chrome(title, content, charset, ad=story.sid)
