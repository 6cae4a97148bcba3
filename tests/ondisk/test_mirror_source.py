"""wget and HTTrack mirrors made in a tmp folder from pages the test archive served."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit

import pytest

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError, UsageError
from fanarchive.sources.mirror import detect_mirror, iter_mirror_documents, wget_url

HREF = re.compile(r"""<a\b[^>]*?\shref=(["'])(.*?)\1""", re.IGNORECASE)


if TYPE_CHECKING:
    from conftest import Page  # the ondisk conftest's captured page


def wget_name(url: str, *, windows: bool, adjust: bool) -> str:
    """The file wget --mirror writes a URL to (host folder included)."""
    parts = urlsplit(url)
    host = parts.netloc.replace(":", "+") if windows else parts.netloc
    path = parts.path.lstrip("/") or "index.html"
    if path.endswith("/"):
        path += "index.html"
    if parts.query:
        path += ("@" if windows else "?") + parts.query
    is_html = not path.endswith(".txt")
    if adjust and is_html and not re.search(r"\.[Hh][Tt][Mm][Ll]?$", path):
        path += ".html"
    return f"{host}/{path}"


def make_wget_mirror(root: Path, pages: list[Page], *, windows: bool = False,
                     adjust: bool = True, convert: bool = False) -> dict[str, Path]:
    names = {p.url: wget_name(p.url, windows=windows, adjust=adjust) for p in pages}
    files: dict[str, Path] = {}
    for page in pages:
        body = page.body
        if convert:
            body = _convert_links(page, body, names)
        target = root / names[page.url]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        files[page.url] = target
    return files


def _convert_links(page: Page, body: bytes, names: dict[str, str]) -> bytes:
    """What wget -k does: links to saved pages become relative file names (with ``?`` escaped
    as %3F), links to pages not saved become absolute URLs."""
    here = names[page.url].rpartition("/")[0]

    def replace(match: re.Match[str]) -> str:
        value = html.unescape(match.group(2))
        if value.startswith(("#", "mailto:", "javascript:")) or "://" in value:
            return match.group(0)
        absolute = urljoin(page.url, value).partition("#")[0]
        if absolute in names:
            local = names[absolute]
            rel = local[len(here) + 1:] if local.startswith(here + "/") else "../" + local
            new = quote(rel, safe="/@=&+.-_")
        else:
            new = absolute
        return match.group(0).replace(match.group(2), html.escape(new))

    return HREF.sub(replace, body.decode("utf-8")).encode("utf-8")


def docs_and_errors(items: list[Document | ItemError]) -> tuple[list[Document], list[ItemError]]:
    return ([i for i in items if isinstance(i, Document)],
            [i for i in items if isinstance(i, ItemError)])


def page_urls(pages: list[Page]) -> list[Page]:
    return [p for p in pages if not p.url.endswith("robots.txt")]


@pytest.mark.parametrize("windows", [False, True], ids=["unix-names", "windows-names"])
def test_wget_mirror_maps_back_to_urls_and_bytes(tmp_path: Path, site_pages: list[Page],
                                                 ondisk_config: Config, windows: bool) -> None:
    make_wget_mirror(tmp_path, site_pages, windows=windows)
    assert detect_mirror(tmp_path) == "wget"
    docs, errors = docs_and_errors(list(iter_mirror_documents(tmp_path, ondisk_config)))
    pages = page_urls(site_pages)  # robots.txt is the tool's business, not a page
    assert {d.url for d in docs} == {p.url for p in pages}
    for page in pages:
        doc = next(d for d in docs if d.url == page.url)
        assert doc.content == page.body  # no -k: the bytes are exactly as served
        assert doc.media_type == "text/html" and doc.http_status == 200
        assert doc.path and Path(doc.path).is_file()
    # The pages link to listings, login, calendar... that this small mirror lacks; the
    # robots.txt-disallowed admin.php and reviews.php are not broken links.
    assert errors and {e.code for e in errors} == {"missing-page"}
    assert not any("admin.php" in e.locator or "reviews.php" in e.locator for e in errors)
    assert any(e.locator.endswith("/calendar.php") for e in errors)


def test_wget_without_adjust_extension(tmp_path: Path, site_pages: list[Page],
                                       ondisk_config: Config) -> None:
    make_wget_mirror(tmp_path, site_pages, adjust=False)
    docs, _ = docs_and_errors(list(iter_mirror_documents(tmp_path, ondisk_config,
                                                         report_missing=False)))
    assert {d.url for d in docs} == {p.url for p in page_urls(site_pages)}


def test_wget_convert_links_are_restored(tmp_path: Path, site_pages: list[Page],
                                         ondisk_config: Config) -> None:
    make_wget_mirror(tmp_path, site_pages, convert=True)
    docs, _ = docs_and_errors(list(iter_mirror_documents(tmp_path, ondisk_config)))
    checked = 0
    for page in page_urls(site_pages):
        doc = next(d for d in docs if d.url == page.url)
        original = [urljoin(page.url, html.unescape(m.group(2)))
                    for m in HREF.finditer(page.body.decode())]
        restored = [urljoin(doc.url, html.unescape(m.group(2)))
                    for m in HREF.finditer(doc.content.decode())]
        assert restored == original
        checked += len(original)
    assert checked > 100


def test_missing_page_is_reported_with_its_link(tmp_path: Path, site_pages: list[Page],
                                                ondisk_config: Config) -> None:
    files = make_wget_mirror(tmp_path, site_pages)
    gone = next(p for p in site_pages if p.url.endswith("viewstory.php?sid=3"))
    files[gone.url].unlink()
    docs, errors = docs_and_errors(list(iter_mirror_documents(tmp_path, ondisk_config)))
    assert gone.url not in {d.url for d in docs}
    (err,) = [e for e in errors if e.locator == gone.url]
    assert err.code == "missing-page" and "linked from http://" in err.reason
    # each missing URL is reported once, whatever the number of pages linking to it
    assert len({e.locator for e in errors}) == len(errors)


def test_wget_url_rules() -> None:
    assert wget_url("h.org", "viewstory.php?sid=3.html") == "http://h.org/viewstory.php?sid=3"
    assert wget_url("h.org", "viewstory.php@sid=3.html", windows=True) == (
        "http://h.org/viewstory.php?sid=3")
    assert wget_url("h.org", "a/index.html") == "http://h.org/a/"
    assert wget_url("h.org", "index.php.html") == "http://h.org/index.php"
    assert wget_url("h.org", "stories/page.html") == "http://h.org/stories/page.html"
    assert wget_url("h.org", "my story.txt", scheme="https") == "https://h.org/my%20story.txt"
    assert wget_url("h.org", "x.php?a=1.html", adjusted=False) == "http://h.org/x.php?a=1.html"


def test_protocol_directories_and_base_url(tmp_path: Path, site_pages: list[Page],
                                           ondisk_config: Config) -> None:
    page = next(p for p in site_pages if "sid=1" in p.url)
    https = tmp_path / "proto" / "https" / "fic.example.org" / "viewstory.php?sid=1.html"
    https.parent.mkdir(parents=True)
    https.write_bytes(page.body)
    (doc,) = [i for i in iter_mirror_documents(tmp_path / "proto", ondisk_config)
              if isinstance(i, Document)]
    assert doc.url == "https://fic.example.org/viewstory.php?sid=1"

    flat = tmp_path / "flat"  # wget -nH: no host folder, the user says where it came from
    (flat / "archive").mkdir(parents=True)
    (flat / "archive" / "story1.txt").write_bytes(b"Title: One\n\nText.\n")
    with pytest.raises(UsageError):
        list(iter_mirror_documents(flat, ondisk_config))
    (doc,) = list(iter_mirror_documents(flat, ondisk_config,
                                        base_url="http://old.example.net/fic/"))
    assert isinstance(doc, Document)
    assert doc.url == "http://old.example.net/fic/archive/story1.txt"
    assert doc.media_type == "text/plain"


HTTRACK_TOP = (b"<html><head><title>List of available projects - HTTrack Website Copier"
               b"</title></head><body>...</body></html>")


def make_httrack_mirror(root: Path, pages: list[Page]) -> dict[str, Path]:
    """A project folder as HTTrack leaves it: its index, hts-cache, a host folder with hashed
    names for query strings, comments and a meta tag added to each page."""
    (root / "hts-cache").mkdir(parents=True)
    (root / "index.html").write_bytes(HTTRACK_TOP)
    (root / "hts-log.txt").write_text("HTTrack3.49-2 launched on ...\n")
    log = ["date\tsize\tflags\tstatuscode\tstatus\tMIME\tEtag\tURL\tlocalfile\t(from URL)"]
    files: dict[str, Path] = {}
    for i, page in enumerate(pages):
        parts = urlsplit(page.url)
        host = parts.netloc
        stem = parts.path.lstrip("/").rsplit(".", 1)[0] or "index"
        name = f"{stem}{i:04x}.html" if parts.query else f"{stem}.html"
        target = root / host / name
        target.parent.mkdir(parents=True, exist_ok=True)
        stamp = f"{host}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        body = page.body.replace(
            b"<head>", f"<!-- Mirrored from {stamp} by HTTrack Website Copier/3.x [XR&CO'2014],"
                       f" Sun, 31 Jan 2016 06:40:15 GMT -->\n<head><!-- Added by HTTrack -->"
                       "<meta http-equiv=\"content-type\" content=\"text/html;charset=utf-8\" />"
                       "<!-- /Added by HTTrack -->".encode(), 1)
        target.write_bytes(body)
        files[page.url] = target
        if i % 2:  # half the pages are only known from their comment
            log.append(f"10:00:00\t{len(body)}/{len(body)}\t---M--\t200\tadded ('OK')\t"
                       f"text/html\tdate:x\t{stamp}\tC:/My Web Sites/proj/{host}/{name}\t(from x)")
    (root / "hts-cache" / "new.txt").write_text("\n".join(log) + "\n")
    return files


def test_httrack_mirror(tmp_path: Path, site_pages: list[Page], ondisk_config: Config) -> None:
    pages = page_urls(site_pages)
    make_httrack_mirror(tmp_path, pages)
    assert detect_mirror(tmp_path) == "httrack"
    docs, _ = docs_and_errors(list(iter_mirror_documents(tmp_path, ondisk_config,
                                                         report_missing=False)))
    assert {d.url for d in docs} == {p.url for p in pages}
    for page in pages:
        doc = next(d for d in docs if d.url == page.url)
        assert b"HTTrack" not in doc.content
        assert doc.content.replace(b"\n", b"") == page.body.replace(b"\n", b"")


def test_not_a_mirror(tmp_path: Path) -> None:
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "a.txt").write_text("x")
    assert detect_mirror(tmp_path) is None
    assert detect_mirror(tmp_path / "nope") is None
