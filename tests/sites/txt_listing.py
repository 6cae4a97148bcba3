"""A directory of plain-text stories behind web-server autoindex pages.

``/stories/`` and its fandom subdirectories are Apache ``mod_autoindex`` listings (with their
``?C=N;O=D`` sort links, which return the same files in another order); ``/stories/misc/`` is
an nginx listing. Story files use the classic plain-text header (``Title:``, ``Author:``, ...,
``Summary:``), a ``----`` separator, then the prose. Some files are windows-1252 with CRLF line
endings, one is UTF-8 with a BOM, the rest UTF-8; all are served as ``text/plain`` with no
charset, the way Apache serves ``.txt`` files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tests.sites.content import ArchiveModel, Story
from tests.sites.markup import esc, html_to_text, slugify
from tests.sites.wire import Request, Response

ROOT = "/stories/"
NGINX_DIR = "/stories/misc/"
README = (
    "This is the text archive of the Lantern & Quill mailing list.\n"
    "Stories are filed by fandom under /stories/. Please do not hotlink.\n"
)


@dataclass
class TxtOptions:
    conditional: bool = True  # Apache sends ETag/Last-Modified for files
    disallow: tuple[str, ...] = ("/private/",)


@dataclass(frozen=True)
class Entry:
    name: str  # file or directory name; directories end with "/"
    modified: datetime
    size: int | None  # None for directories


@dataclass
class TxtSite:
    model: ArchiveModel
    options: TxtOptions = field(default_factory=TxtOptions)
    name: str = "txt"
    # Listings need every file's size; rendering all files per listing would be O(n) renders.
    _bytes_cache: tuple[int, dict[int, bytes]] = field(default=(-1, {}), repr=False)

    # ---- layout ---------------------------------------------------------------------------

    def directory_of(self, story: Story) -> str:
        """Crossovers and original fiction go to the nginx-served misc/; older stories to old/."""
        if len(story.catids) > 1 or self.model.categories[story.catids[0]].name.startswith(
            "Original"
        ):
            return NGINX_DIR
        fandom = slugify(self.model.categories[story.catids[0]].name)
        old = "old/" if story.published.year < 2005 else ""
        return f"{ROOT}{fandom}/{old}"

    def file_path(self, sid: int) -> str:
        story = self.model.story(sid)
        author = slugify(self.model.author_of(story).penname)
        return f"{self.directory_of(story)}{author}_{slugify(story.title)}-{sid}.txt"

    def story_path(self, sid: int) -> str:
        return self.file_path(sid)

    def story_paths(self) -> list[str]:
        return [self.file_path(s.sid) for s in self.model.visible_stories()]

    def encoding(self, sid: int) -> str:
        """``cp1252``, ``utf-8-sig`` (exactly one story) or ``utf-8``."""
        story = self.model.story(sid)
        if sid == self._bom_sid():
            return "utf-8-sig"
        if sid % 3 == 0:
            try:
                self.render_text(story).encode("cp1252")
                return "cp1252"
            except UnicodeEncodeError:
                pass
        return "utf-8"

    def _bom_sid(self) -> int | None:
        candidates = [s.sid for s in self.model.stories.values() if s.sid % 3 == 1]
        return min(candidates) if candidates else None

    # ---- the text format ------------------------------------------------------------------

    def headers(self, story: Story) -> list[tuple[str, str]]:
        """Header lines in order, as (label, value) exactly as written in the file."""
        model = self.model
        author = model.author_of(story)
        fields = [
            ("Title", story.title),
            ("Author", f"{author.penname} <{author.email}>"),
            ("Rating", model.rating_of(story).name),
            ("Fandom", ", ".join(model.categories[c].name for c in story.catids)),
        ]
        if story.pairings:
            fields.append(("Pairing", ", ".join(story.pairings)))
        fields.append(("Characters", ", ".join(model.characters[c].name for c in story.charids)))
        fields.append(("Category", ", ".join(g.name for g in model.genres_of(story))))
        fields.append(("Warnings", ", ".join(w.name for w in model.warnings_of(story)) or "None"))
        found = model.series_of(story.sid)
        if found is not None:
            fields.append(("Series", f"{found[0].title}, part {found[1]}"))
        fields.append(("Status", "Complete" if story.completed else "WIP"))
        fields.append(("Summary", " ".join(html_to_text(story.summary).split())))
        if story.notes:
            fields.append(("Notes", html_to_text(story.notes)))
        return fields

    def body(self, story: Story) -> str:
        """The prose after the separator: chapter headings only when there are several."""
        blocks: list[str] = []
        several = len(story.chapters) > 1
        for chapter in story.chapters:
            if several:
                blocks.append(f"Chapter {chapter.number}: {chapter.title}")
            if chapter.notes:
                blocks.append(f"Author's note: {html_to_text(chapter.notes)}")
            blocks.append(chapter.text)
            if chapter.end_notes:
                blocks.append(f"End note: {html_to_text(chapter.end_notes)}")
        return "\n\n".join(blocks)

    def render_text(self, story: Story) -> str:
        """The file as text with LF line endings (CRLF is applied when encoding cp1252)."""
        header_lines = [f"{label}: {value}" for label, value in self.headers(story)]
        # Half the files put a blank line between header lines, as many list posts did.
        joiner = "\n\n" if story.sid % 2 else "\n"
        return f"{joiner.join(header_lines)}\n\n----\n\n{self.body(story)}\n"

    def file_bytes(self, sid: int) -> bytes:
        version, cache = self._bytes_cache
        if version != self.model.version:
            cache = {}
            self._bytes_cache = (self.model.version, cache)
        if sid not in cache:
            text = self.render_text(self.model.story(sid))
            encoding = self.encoding(sid)
            if encoding == "cp1252":
                cache[sid] = text.replace("\n", "\r\n").encode("cp1252")
            else:
                cache[sid] = text.encode(encoding)
        return cache[sid]

    # ---- dispatch ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/robots.txt":
            lines = ["User-agent: *"] + [f"Disallow: {p}" for p in self.options.disallow]
            return self._file("\n".join(lines).encode() + b"\n", self.model.now)
        if path == "/README.txt":
            return self._file(README.encode("ascii"), self.model.now)
        if path.endswith(".txt"):
            for story in self.model.visible_stories():
                if self.file_path(story.sid) == path:
                    return self._file(self.file_bytes(story.sid), story.modified)
            return Response.not_found()
        directories = self._directories()
        if path in directories:
            return self._listing(path, directories[path], request)
        if path + "/" in directories:
            return Response.redirect(path + "/", status=301)
        return Response.not_found()

    @staticmethod
    def _file(data: bytes, modified: datetime) -> Response:
        return Response(body=data, content_type="text/plain", last_modified=modified)

    def _directories(self) -> dict[str, list[Entry]]:
        """Every directory path -> its entries, built from the visible stories."""
        tree: dict[str, dict[str, Entry]] = {"/": {}, ROOT: {}, NGINX_DIR: {}}
        now = self.model.now
        tree["/"]["stories/"] = Entry("stories/", now, None)
        tree["/"]["README.txt"] = Entry("README.txt", now, len(README))
        tree[ROOT]["misc/"] = Entry("misc/", now, None)
        for story in self.model.visible_stories():
            path = self.file_path(story.sid)
            directory, name = path.rsplit("/", 1)
            directory += "/"
            tree.setdefault(directory, {})[name] = Entry(
                name, story.modified, len(self.file_bytes(story.sid))
            )
            # Register every ancestor directory in its parent.
            while directory not in ("/", ROOT):
                parent, child = directory.rstrip("/").rsplit("/", 1)
                parent += "/"
                tree.setdefault(parent, {})[child + "/"] = Entry(child + "/", now, None)
                directory = parent
        return {path: list(entries.values()) for path, entries in tree.items()}

    def _listing(self, path: str, entries: list[Entry], request: Request) -> Response:
        if path == NGINX_DIR:
            page = nginx_index(path, sorted(entries, key=lambda e: e.name))
        else:
            page = apache_index(path, _apache_sort(entries, request.target))
        return Response(body=page.encode("utf-8"), content_type="text/html;charset=UTF-8",
                        last_modified=self.model.now)


def _apache_sort(entries: list[Entry], target: str) -> list[Entry]:
    """mod_autoindex's ?C=<column>;O=<order>: directories stay first either way."""
    query = target.partition("?")[2]
    params = dict(p.split("=", 1) for p in query.split(";") if "=" in p)
    column, descending = params.get("C", "N"), params.get("O", "A") == "D"
    keys = {
        "M": lambda e: (e.modified, e.name),
        "S": lambda e: (e.size or 0, e.name),
    }
    ordered = sorted(entries, key=keys.get(column, lambda e: e.name), reverse=descending)
    return [e for e in ordered if e.size is None] + [e for e in ordered if e.size is not None]


def _human_size(size: int) -> str:
    if size < 1024:
        return str(size)
    return f"{size / 1024:.1f}K"


def apache_index(path: str, entries: list[Entry]) -> str:
    title = f"Index of {path.rstrip('/') or '/'}"
    rows = []
    if path != "/":
        parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
        rows.append(
            '<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td>'
            f'<a href="{parent}">Parent Directory</a></td><td>&nbsp;</td>'
            '<td align="right">  - </td><td>&nbsp;</td></tr>'
        )
    for entry in entries:
        icon, alt = ("folder.gif", "[DIR]") if entry.size is None else ("text.gif", "[TXT]")
        size = "  - " if entry.size is None else _human_size(entry.size)
        rows.append(
            f'<tr><td valign="top"><img src="/icons/{icon}" alt="{alt}"></td>'
            f'<td><a href="{esc(entry.name)}">{esc(entry.name)}</a></td>'
            f'<td align="right">{entry.modified:%Y-%m-%d %H:%M}  </td>'
            f'<td align="right">{size}</td><td>&nbsp;</td></tr>'
        )
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n'
        f"  <title>{esc(title)}</title>\n </head>\n <body>\n<h1>{esc(title)}</h1>\n"
        "  <table>\n   <tr><th valign=\"top\"><img src=\"/icons/blank.gif\" alt=\"[ICO]\"></th>"
        '<th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th>'
        '<th><a href="?C=S;O=A">Size</a></th><th><a href="?C=D;O=A">Description</a></th></tr>\n'
        '   <tr><th colspan="5"><hr></th></tr>\n'
        + "\n".join(rows)
        + '\n   <tr><th colspan="5"><hr></th></tr>\n</table>\n'
        "<address>Apache/2.2.22 (Unix) Server at localhost Port 80</address>\n</body></html>\n"
    )


def nginx_index(path: str, entries: list[Entry]) -> str:
    lines = ['<a href="../">../</a>']
    for entry in entries:
        name = entry.name if len(entry.name) <= 50 else entry.name[:47] + "..>"
        size = "-" if entry.size is None else str(entry.size)
        pad = " " * (51 - len(name))
        lines.append(f'<a href="{esc(entry.name)}">{esc(name)}</a>{pad}'
                     f"{entry.modified:%d-%b-%Y %H:%M}{size:>20}")
    return (
        f"<html>\r\n<head><title>Index of {esc(path)}</title></head>\r\n<body>\r\n"
        f"<h1>Index of {esc(path)}</h1><hr><pre>" + "\n".join(lines) + "\n</pre><hr></body>\r\n"
        "</html>\r\n"
    )
