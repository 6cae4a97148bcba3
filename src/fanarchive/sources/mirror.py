"""Site mirrors on disk (wget, HTTrack) replayed as the pages they were copied from.

Each page becomes a :class:`Document` with the URL it had on the live site, so the web parsers
(eFiction, listings, story pages) work on a mirror exactly as on a crawl. The file names are
mapped back to URLs by undoing each tool's naming rules:

* **wget** (``--mirror``): ``host[:port]/path``; ``-E`` appends ``.html`` to pages whose name does
  not already end in it (``viewstory.php?sid=3.html``); ``--restrict-file-names=windows`` writes
  ``?`` as ``@`` and ``:`` in ``host:port`` as ``+``; ``URL/`` is saved as ``URL/index.html``;
  ``--protocol-directories`` adds ``http/`` or ``https/`` above the host.
* **HTTrack**: the URL is in the comment HTTrack puts in each page (``<!-- Mirrored from
  host/path by HTTrack Website Copier ...``) and in ``hts-cache/new.txt``; both beat the file
  name, which HTTrack shortens with a hash for query strings. HTTrack's insertions (that comment,
  its ``<meta>``) are removed so the page is as the site served it.

Links that the mirroring tool rewrote to local files (``wget -k``, HTTrack) are turned back into
the site's URLs. Links to pages of the mirrored site that are not on disk are reported once each
as ``missing-page`` items (pages robots.txt kept the tool away from are not reported).
Assets (images, CSS, scripts) are skipped: only HTML and text pages are documents.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit

from protego import Protego

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError, UsageError
from fanarchive.sources.limits import Limits
from fanarchive.sources.names import is_hidden

__all__ = ["detect_mirror", "iter_mirror_documents", "wget_url"]

PAGE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml", ".txt"})
DYNAMIC_SUFFIXES = frozenset({".php", ".php3", ".php4", ".phtml", ".asp", ".aspx", ".cgi",
                              ".pl", ".jsp", ".cfm", ".shtml"})
# A link without one of these suffixes (or with none) may be a page worth reporting as missing.
_PAGE_LINK_SUFFIXES = PAGE_SUFFIXES | DYNAMIC_SUFFIXES | {""}
_SESSION_PARAMS = frozenset({"phpsessid", "jsessionid", "sessionid", "sid_session", "oscsid"})
MAX_MISSING_REPORTS = 500
HTTRACK_FILES = frozenset({"hts-log.txt", "backblue.gif", "fade.gif", "cookies.txt",
                           "hts-in_progress.lock", "hts-err.txt"})

_HOST = re.compile(r"(?:localhost|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
                   r"(?:[a-z]{2,24}|\d{1,3}))(?:[:+]\d{1,5})?", re.IGNORECASE)
_QUERY_NAME = re.compile(r"\.[A-Za-z0-9]{1,5}[?@]")
_MIRRORED_FROM = re.compile(rb"<!--\s*Mirrored from (\S+) by HTTrack Website Copier[^>]*-->[ \t]*"
                            rb"(?:\r?\n)?")
_ADDED_BY_HTTRACK = re.compile(rb"<!--\s*Added by HTTrack\s*-->.*?<!--\s*/Added by HTTrack\s*-->",
                               re.DOTALL)
# href/src of elements that link to pages (not images, stylesheets or scripts).
_PAGE_LINK = re.compile(rb"""(<(?:a|area|frame|iframe)\b[^>]*?\s(?:href|src)\s*=\s*)"""
                        rb"""(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)


@dataclass(frozen=True)
class _Page:
    path: Path
    rel: str  # posix path below the mirror folder
    url: str
    media_type: str
    status: int = 200


def detect_mirror(folder: str | Path) -> str | None:
    """``"httrack"``, ``"wget"`` or None for a folder that is not a recognisable site mirror."""
    root = Path(folder)
    if not root.is_dir():
        return None
    if (root / "hts-cache").is_dir() or (root / "hts-log.txt").is_file():
        return "httrack"
    hosts = _host_dirs(root)
    for host_dir, _, _ in hosts:
        if _httrack_page(host_dir):
            return "httrack"
    if any(_wget_evidence(host_dir) for host_dir, _, _ in hosts):
        return "wget"
    return None


def iter_mirror_documents(folder: str | Path, config: Config | None = None, *,
                          base_url: str | None = None, scheme: str = "http",
                          report_missing: bool = True) -> Iterator[Document | ItemError]:
    """Documents for the pages of a wget or HTTrack mirror, with their original URLs.

    ``base_url`` is needed only for a wget mirror made without host folders (``-nH``); it is
    then the URL the folder stood for. ``scheme`` is the scheme wget mirrors are assumed to
    have been made over (wget does not record it unless ``--protocol-directories`` was used).
    """
    root = Path(folder)
    if not root.is_dir():
        raise UsageError(f"{folder}: not a folder")
    kind = detect_mirror(root)
    pages = _httrack_pages(root, scheme) if kind == "httrack" else _wget_pages(
        root, scheme, base_url)
    if not pages and kind is None and base_url is None:
        raise UsageError(f"{folder}: not a wget or HTTrack mirror (no host folders); pass the "
                         "site's base URL if it was mirrored without them (wget -nH)")
    yield from _Replay(root, pages, Limits.from_config(config), kind or "wget",
                       report_missing).documents()


# -- wget ------------------------------------------------------------------------------------


def _host_dirs(root: Path) -> list[tuple[Path, str, str]]:
    """(folder, host[:port], scheme) for each host folder of a mirror rooted at ``root``."""
    found: list[tuple[Path, str, str]] = []
    candidates = [root] if _HOST.fullmatch(root.name) else []
    candidates += sorted(p for p in root.iterdir() if p.is_dir() and not is_hidden(p.name))
    for folder in candidates:
        if folder.name in ("http", "https") and folder.parent == root:
            found += [(sub, _host_name(sub.name), folder.name) for sub in sorted(folder.iterdir())
                      if sub.is_dir() and _HOST.fullmatch(sub.name)]
        elif _HOST.fullmatch(folder.name):
            found.append((folder, _host_name(folder.name), ""))
    return found


def _host_name(dirname: str) -> str:
    host, plus, port = dirname.rpartition("+")  # windows file names: host+port
    return f"{host}:{port}".lower() if plus and port.isdigit() else dirname.lower()


def _wget_evidence(host_dir: Path) -> bool:
    """A host-named folder holds a mirror when it has what wget leaves behind."""
    for i, path in enumerate(host_dir.rglob("*")):
        if i > 2000:
            break
        name = path.name
        if name in ("robots.txt", "index.html") or _QUERY_NAME.search(name):
            return True
        if path.suffix.lower() in DYNAMIC_SUFFIXES or name.lower().endswith(".php.html"):
            return True
    return False


def wget_url(host: str, rel: str, *, scheme: str = "http", windows: bool = False,
             adjusted: bool = True) -> str:
    """The URL wget saved as ``host/rel``.

    ``windows``: names were written with ``--restrict-file-names=windows`` (``@`` for ``?``).
    ``adjusted``: ``-E`` was used, so a ``.html`` after a query or a script name is wget's own.
    """
    directory, _, name = rel.rpartition("/")
    query = None
    split_at = name.find("?")
    if split_at < 0 and windows:
        split_at = name.find("@")
    if split_at >= 0:
        name, query = name[:split_at], name[split_at + 1:]
        if adjusted and query.endswith(".html"):
            query = query[: -len(".html")]
    elif adjusted and name.endswith(".html"):
        stem = name[: -len(".html")]
        if posixpath.splitext(stem)[1].lower() in DYNAMIC_SUFFIXES:
            name = stem
    if name in ("index.html", "index.htm") and query is None:
        name = ""  # wget saves URL/ as URL/index.html
    path = f"{directory}/{name}" if directory else name
    url = f"{scheme}://{host}/" + quote(path, safe="/%:@!$&'()*+,;=~-._")
    if query is not None:
        url += "?" + quote(query, safe="=&%;/:@!$'()*+,?~-._")
    return url


def _wget_pages(root: Path, scheme: str, base_url: str | None) -> list[_Page]:
    hosts = _host_dirs(root)
    if base_url and not hosts:
        parts = urlsplit(base_url)
        base_path = parts.path.strip("/")
        hosts = [(root, parts.netloc.lower(), parts.scheme)]
    else:
        base_path = ""
    pages: list[_Page] = []
    for host_dir, host, host_scheme in hosts:
        files = [p for p in sorted(host_dir.rglob("*")) if p.is_file() and not is_hidden(
            p.relative_to(host_dir).as_posix())]
        rels = [p.relative_to(host_dir).as_posix() for p in files]
        windows = "+" in host_dir.name or any(
            "?" not in r and _QUERY_NAME.search(r.rpartition("/")[2]) for r in rels)
        adjusted = any(_adjusted_name(r) for r in rels)
        for path, rel in zip(files, rels, strict=True):
            media_type = _media_type(path, rel)
            if media_type is None:
                continue
            full = f"{base_path}/{rel}" if base_path else rel
            url = wget_url(host, full, scheme=host_scheme or scheme, windows=windows,
                           adjusted=adjusted)
            pages.append(_Page(path, path.relative_to(root).as_posix(), url, media_type))
    return pages


def _adjusted_name(rel: str) -> bool:
    """A name only ``wget -E`` makes: ``x.php.html`` or ``x.php?a=1.html``."""
    name = rel.rpartition("/")[2].lower()
    if not name.endswith(".html"):
        return False
    stem = name[: -len(".html")]
    return bool(_QUERY_NAME.search(stem)) or posixpath.splitext(stem)[1] in DYNAMIC_SUFFIXES


def _media_type(path: Path, rel: str) -> str | None:
    """text/html or text/plain for pages; None for assets and the tools' own files."""
    name = path.name
    if name in ("robots.txt", ".listing") or name in HTTRACK_FILES:
        return None
    base = name
    split = min((i for i in (name.find("?"), name.find("@")) if i >= 0), default=-1)
    if split >= 0:
        base = name[:split]
        if name.lower().endswith((".html", ".htm")):
            return "text/html"
    suffix = posixpath.splitext(base)[1].lower()
    if suffix == ".txt":
        return "text/plain"
    if suffix in PAGE_SUFFIXES or suffix in DYNAMIC_SUFFIXES:
        return "text/html"
    if suffix == "":
        try:
            with path.open("rb") as fh:
                head = fh.read(1024).lstrip().lower()
        except OSError:
            return None
        if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
            return "text/html"
    return None


# -- HTTrack ---------------------------------------------------------------------------------


def _httrack_page(host_dir: Path) -> bool:
    for i, path in enumerate(sorted(host_dir.rglob("*.htm*"))):
        if i > 20:
            break
        if _mirrored_from(_read_head(path)):
            return True
    return False


def _read_head(path: Path, size: int = 4096) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def _mirrored_from(head: bytes) -> str | None:
    match = _MIRRORED_FROM.search(head)
    if match is None:
        return None
    return _absolute(match.group(1).decode("latin-1"), "http")


def _absolute(url: str, scheme: str) -> str:
    return url if "://" in url else f"{scheme}://{url}"


def _httrack_log(root: Path, scheme: str) -> dict[str, tuple[str, str, int]]:
    """rel path -> (URL, MIME, status) from ``hts-cache/new.txt``, matched by the longest tail
    of HTTrack's absolute local file name that exists below ``root``."""
    log = root / "hts-cache" / "new.txt"
    out: dict[str, tuple[str, str, int]] = {}
    try:
        lines = log.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return out
    for line in lines[1:]:
        cols = line.split("\t")
        if len(cols) < 9:
            continue
        status = int(cols[3]) if cols[3].strip().isdigit() else 200
        parts = [p for p in cols[8].replace("\\", "/").split("/") if p]
        for k in range(len(parts), 0, -1):
            rel = "/".join(parts[-k:])
            if (root / rel).is_file():
                out[rel] = (_absolute(cols[7], scheme), cols[5].strip(), status)
                break
    return out


def _httrack_pages(root: Path, scheme: str) -> list[_Page]:
    logged = _httrack_log(root, scheme)
    hosts = {folder: (host, host_scheme) for folder, host, host_scheme in _host_dirs(root)}
    pages: list[_Page] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or rel.startswith("hts-cache/") or is_hidden(rel):
            continue
        if path.parent == root and path.name in ("index.html", "index.htm"):
            continue  # HTTrack's own list of mirrored projects
        media_type = _media_type(path, rel)
        if rel in logged:
            url, mime, status = logged[rel]
            media_type = mime.split(";")[0].strip().lower() or media_type
            if media_type not in ("text/html", "text/plain", "application/xhtml+xml"):
                continue
            pages.append(_Page(path, rel, url, media_type, status))
            continue
        if media_type is None:
            continue
        found = _mirrored_from(_read_head(path)) if media_type == "text/html" else None
        if found is not None:
            url = found
        else:
            host_dir = next((h for h in hosts if h in path.parents), None)
            if host_dir is None:
                continue
            host, host_scheme = hosts[host_dir]
            url = wget_url(host, path.relative_to(host_dir).as_posix(),
                           scheme=host_scheme or scheme, adjusted=False)
        pages.append(_Page(path, rel, url, media_type))
    return pages


# -- replay ----------------------------------------------------------------------------------


def _key(url: str) -> str:
    """One spelling per page: no scheme, fragment or session id; index.html is its folder."""
    parts = urlsplit(url)
    path = unquote(parts.path) or "/"
    for index in ("/index.html", "/index.htm"):
        if path.endswith(index):
            path = path[: -len(index) + 1]
    query = "&".join(f"{k}={v}" for k, v in parse_qsl(parts.query, keep_blank_values=True)
                     if k.lower() not in _SESSION_PARAMS)
    return f"{parts.netloc.lower()}{path}" + (f"?{query}" if query else "")


def _without_session(url: str) -> str:
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k.lower() not in _SESSION_PARAMS]
    if len(kept) == len(pairs):
        return url
    return parts._replace(query=urlencode(kept), fragment="").geturl()


class _Replay:
    def __init__(self, root: Path, pages: list[_Page], limits: Limits, kind: str,
                 report_missing: bool) -> None:
        self.root = root
        self.pages = pages
        self.cap = limits.max_document_bytes
        self.kind = kind
        self.report_missing = report_missing
        self.by_rel = {p.rel: p for p in pages}
        self.keys = {_key(p.url) for p in pages}
        self.hosts = {urlsplit(p.url).netloc.lower() for p in pages}
        self.robots = self._robots()
        self.missing: dict[str, str] = {}  # missing page URL -> the first page linking to it

    def _robots(self) -> dict[str, Protego]:
        found: dict[str, Protego] = {}
        for host in self.hosts:
            for name in (host, host.replace(":", "+")):
                robots = self.root / name / "robots.txt"
                if robots.is_file():
                    found[host] = Protego.parse(robots.read_text("utf-8", errors="replace"))
                    break
        return found

    def documents(self) -> Iterator[Document | ItemError]:
        for page in self.pages:
            yield self._document(page)
        if self.report_missing:
            for n, (url, referrer) in enumerate(sorted(self.missing.items())):
                if n == MAX_MISSING_REPORTS:
                    yield ItemError(str(self.root), "missing-page",
                                    f"{len(self.missing) - n} more linked pages are missing")
                    break
                yield ItemError(url, "missing-page",
                                f"linked from {referrer} but not in the mirror")

    def _document(self, page: _Page) -> Document | ItemError:
        try:
            stat = page.path.stat()
            if stat.st_size > self.cap:
                return ItemError(str(page.path), "too-large",
                                 f"{stat.st_size:,} bytes, more than max_document_bytes "
                                 f"({self.cap:,})")
            data = page.path.read_bytes()
        except OSError as exc:
            return ItemError(str(page.path), "unreadable", f"cannot read file: {exc.strerror}")
        if page.media_type == "text/html":
            if self.kind == "httrack":
                data = _ADDED_BY_HTTRACK.sub(b"", _MIRRORED_FROM.sub(b"", data))
            data = self._restore_links(page, data)
        return Document(content=data, locator=str(page.path), url=page.url,
                        path=str(page.path), media_type=page.media_type,
                        http_status=page.status, http_headers={"Content-Type": page.media_type},
                        fetched_at=datetime.fromtimestamp(stat.st_mtime, UTC))

    def _restore_links(self, page: _Page, data: bytes) -> bytes:
        """Links rewritten to local files point at the site again; missing pages are noted."""
        folder = posixpath.dirname(page.rel)

        def replace(match: re.Match[bytes]) -> bytes:
            raw = next(g for g in match.groups()[1:] if g is not None)
            value = html.unescape(raw.decode("latin-1")).strip()
            if not value or value.startswith(("#", "mailto:", "javascript:", "data:")):
                return match.group(0)
            target, _, fragment = value.partition("#")
            url = self._local_target(folder, target) if "://" not in target else None
            if url is None:
                self._check(urljoin(page.url, target), page)
                return match.group(0)
            if _key(urljoin(page.url, target)) == _key(url):
                return match.group(0)  # the link already works against the page's own URL
            new = url + (f"#{fragment}" if fragment else "")
            return match.group(1) + b'"' + html.escape(new).encode("latin-1", "replace") + b'"'

        return _PAGE_LINK.sub(replace, data)

    def _local_target(self, folder: str, target: str) -> str | None:
        if not target or target.startswith("/"):
            return None
        rel = posixpath.normpath(posixpath.join(folder, unquote(target)))
        page = self.by_rel.get(rel)
        if page is None and (target.endswith("/") or not target):
            page = self.by_rel.get(posixpath.join(rel, "index.html"))
        return page.url if page is not None else None

    def _check(self, url: str, page: _Page) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() not in self.hosts:
            return
        if posixpath.splitext(parts.path)[1].lower() not in _PAGE_LINK_SUFFIXES:
            return
        key = _key(url)
        if key in self.keys:
            return
        self.keys.add(key)  # report each page once, however many pages link to it
        robots = self.robots.get(parts.netloc.lower())
        if robots is not None and not robots.can_fetch(url, "*"):
            return  # the mirroring tool was told to stay away; not a broken link
        self.missing[_without_session(url)] = page.url
