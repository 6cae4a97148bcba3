"""EPUB 3: one book per story, opened by ebooklib, structurally checked, safe file names."""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from ebooklib import epub
from export_stories import SCRIPT_HTML, empty_story, fill, full_story, hostile_story
from lxml import etree

from fanarchive.export import ExportOptions, export
from fanarchive.store.store import Store
from fanarchive.story import Author, Chapter, Story

NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container",
      "opf": "http://www.idpf.org/2007/opf", "x": "http://www.w3.org/1999/xhtml"}


def check_structure(path: Path) -> dict[str, bytes]:
    """What epubcheck would look at first; returns the XHTML documents by name."""
    with zipfile.ZipFile(path) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"
        assert not first.extra  # readers find the type at a fixed offset
        names = set(z.namelist())
        container = etree.fromstring(z.read("META-INF/container.xml"))
        opf_path = container.find(".//c:rootfile", NS).get("full-path")
        assert opf_path in names
        opf = etree.fromstring(z.read(opf_path))
        xml_ids = opf.xpath("//@id")
        assert len(xml_ids) == len(set(xml_ids)), f"duplicate ids in the OPF: {xml_ids}"
        base = posixpath.dirname(opf_path)
        manifest = {}
        for item in opf.findall(".//opf:manifest/opf:item", NS):
            href = posixpath.normpath(posixpath.join(base, item.get("href")))
            assert href in names, f"manifest names missing {href}"
            manifest[item.get("id")] = (href, item.get("media-type"), item.get("properties"))
        navs = [v for v in manifest.values() if v[2] and "nav" in v[2].split()]
        assert len(navs) == 1, "exactly one EPUB 3 navigation document"
        nav = etree.fromstring(z.read(navs[0][0]))
        assert nav.findall(".//x:nav", NS), "the nav document has a <nav>"
        spine = [ref.get("idref") for ref in opf.findall(".//opf:spine/opf:itemref", NS)]
        assert spine and all(ref in manifest for ref in spine)
        assert opf.find(".//{http://purl.org/dc/elements/1.1/}identifier").text
        docs = {}
        for href, media_type, _ in manifest.values():
            if media_type == "application/xhtml+xml":
                data = z.read(href)
                etree.fromstring(data)  # well-formed XHTML, or this raises
                docs[posixpath.basename(href)] = data
        # Every link in the navigation points at a document in the book.
        for a in nav.iterfind(".//x:a", NS):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(navs[0][0]),
                                                       a.get("href").split("#")[0]))
            assert target in names
        return docs


def test_one_valid_book_per_story(store: Store, tmp_path: Path) -> None:
    fill(store, [full_story(), hostile_story(), empty_story()])
    out = tmp_path / "books"
    assert export(store, "epub", out, ExportOptions()) == 3
    books = sorted(p.name for p in out.glob("*.epub"))
    assert books == ["Lost Words - Ghost.epub", "Quotes ' _ _ and 🦊 - O'Brien _ _Quote_.epub",
                     "The Long Night 0 - Writer 0.epub"]
    for name in books:
        check_structure(out / name)
        book = epub.read_epub(str(out / name))
        assert book.get_metadata("DC", "title")

    docs = check_structure(out / "The Long Night 0 - Writer 0.epub")
    title_page = docs["title.xhtml"].decode()
    for expected in ("The Long Night 0", "by Writer 0, Second Hand", "Teen And Up Audiences",
                     "Strong PG13", "Buffy the Vampire Slayer", "Buffy Summers/Spike",
                     "Character Death", "Het", "hurt/comfort", "Winter, part 2 of 3",
                     "2003-01-05", "2003-02-10", "complete", "She waits.",
                     "Thanks to my beta.", "Not mine; Joss", "Out of the night that covers me.",
                     "mojibake-repaired", "fixed 3 sequences", "/fixtures/k0.txt",
                     "Feedback", "yes please"):
        assert expected in title_page, expected
    assert "writer0@example.org" not in title_page  # readers' copies carry no addresses
    assert "It was cold.<br/>Very cold." in docs["chapter0001.xhtml"].decode()
    assert "See you next time." in docs["chapter0001.xhtml"].decode()
    book = epub.read_epub(str(out / "The Long Night 0 - Writer 0.epub"))
    assert [link.title for link in book.toc] == ["Title page", "Dusk", "Dawn"]
    assert book.get_metadata("DC", "creator")[0][0] == "Writer 0"
    assert book.get_metadata("DC", "language")[0][0] == "en"

    hostile = check_structure(out / "Quotes ' _ _ and 🦊 - O'Brien _ _Quote_.epub")
    markup = b"".join(hostile.values()).decode().lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "evil.example", "tracker",
                "<iframe", "<form"):
        assert bad not in markup, bad
    assert "🦊" in markup and "שלום" in markup

    empty = check_structure(out / "Lost Words - Ghost.epub")
    assert "No chapter text of this story survived." in empty["title.xhtml"].decode()


def test_awkward_titles_make_safe_unique_file_names(store: Store, tmp_path: Path) -> None:
    stories = [Story(title=t, authors=[Author("A")], chapters=[Chapter(1, "x", word_count=1)])
               for t in ('What/If: "Part" <1> | 2? * \\ end', "Same", "same", "Same",
                         "Tab\tand\x01control", "L" * 400, None, "CON")]
    fill(store, stories)
    out = tmp_path / "books"
    assert export(store, "epub", out, ExportOptions()) == len(stories)
    names = sorted(p.name for p in out.glob("*.epub"))
    assert len(names) == len(stories)
    assert "What_If_ _Part_ _1_ _ 2_ _ _ end - A.epub" in names
    assert {"Same - A.epub", "same - A (2).epub", "Same - A (3).epub"} <= set(names)
    assert "Tab and_control - A.epub" in names
    assert "Untitled - A.epub" in names and "CON - A.epub" in names
    assert all(len(n.encode()) <= 160 for n in names)
    for name in names:
        check_structure(out / name)


def test_markup_that_cannot_be_xhtml_falls_back_to_text(store: Store, tmp_path: Path) -> None:
    fill(store, [Story(title="Odd", chapters=[
        Chapter(1, "Plain words survive.", html="<p>" + SCRIPT_HTML + "<p>x</p>",
                word_count=3)])])
    out = tmp_path / "books"
    export(store, "epub", out, ExportOptions())
    [book] = out.glob("*.epub")
    docs = check_structure(book)
    assert b"Hello <b>reader</b>" in docs["chapter0001.xhtml"]


def test_revisions_option_adds_a_history(store: Store, tmp_path: Path) -> None:
    story = full_story()
    fill(store, [story])
    story.chapters.append(Chapter(3, "Epilogue.", "After", word_count=1))
    from export_stories import save

    save(store, story, "k0")
    store.commit()
    out = tmp_path / "books"
    export(store, "epub", out, ExportOptions(revisions=True))
    [book] = out.glob("*.epub")
    title_page = check_structure(book)["title.xhtml"].decode()
    assert "Revision 1" in title_page and "Revision 2" in title_page
    assert "chapters added: 3" in title_page
