"""AO3 import payloads: the API's fields, AO3's fixed warnings and categories, its limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from export_stories import (
    empty_story,
    fill,
    full_story,
    hostile_story,
    link_story,
)
from lxml import html as lxml_html

from fanarchive.export import ExportOptions, export
from fanarchive.export.ao3 import (
    AO3_WARNINGS,
    CHAPTER_MAX,
    WorkReport,
    map_categories,
    map_warnings,
)
from fanarchive.store.store import Store
from fanarchive.story import Author, Chapter, Story

SCHEMA = json.loads((Path(__file__).parent / "ao3_work.schema.json").read_text("utf-8"))


def _export(store: Store, out: Path, **options: Any) -> dict[str, Any]:
    export(store, "ao3", out, ExportOptions(**options))
    report = json.loads((out / "report.json").read_text("utf-8"))
    for name in report["requests"]:
        jsonschema.validate(json.loads((out / name).read_text("utf-8")), SCHEMA)
    return dict(report)


def _works(out: Path) -> dict[str, dict[str, Any]]:
    works = {}
    for path in sorted((out / "works").glob("*.json")):
        payload = json.loads(path.read_text("utf-8"))
        works[payload["title"]] = payload
    return works


def _page_body(out: Path, url: str) -> str:
    doc = lxml_html.fromstring((out / url).read_bytes())
    body = doc.find("body")
    return (body.text or "") + "".join(lxml_html.tostring(c, encoding="unicode") for c in body)


def test_payload_fields_validate_and_map(store: Store, tmp_path: Path) -> None:
    fill(store, [full_story(), hostile_story(), link_story(), empty_story()])
    out = tmp_path / "ao3"
    report = _export(store, out)
    assert report["works"] == 4 and report["importable"] == 3 and report["held"] == 1
    assert report["held_works"][0]["reasons"][0]["code"] == "no-chapters"
    [request] = report["requests"]
    body = json.loads((out / request).read_text("utf-8"))
    assert [w["title"] for w in body["works"]] == ["The Long Night 0", hostile_story().title,
                                                   "Offsite Fic"]
    assert body["archivist"] == "" and body["detect_tags"] is False

    works = _works(out)
    w = works["The Long Night 0"]
    assert w["fandoms"] == "Buffy the Vampire Slayer"
    assert w["warnings"] == "Major Character Death"
    assert w["categories"] == "F/M"
    assert w["rating"] == "Teen And Up Audiences"
    assert w["relationships"] == "Buffy Summers/Spike, Willow Rosenberg & Xander Harris"
    assert w["characters"] == "Buffy Summers, Spike"
    # Unmapped warnings and categories are kept as tags; the comma AO3 cannot take is reported.
    assert w["additional_tags"] == "hurt/comfort, Snow lots of it, Angst, Drama"
    assert w["language_code"] == "en"
    assert w["summary"] == "She waits.\nHe doesn't \"come\" back — or does he? &lt;3 &amp; \\o/"
    assert "Disclaimer: Not mine; Joss's." in w["notes"] and "Thanks to my beta." in w["notes"]
    assert "Series: Winter, part 2 of 3" in w["notes"]
    assert (w["external_author_name"], w["external_author_email"]) == \
        ("Writer 0", "writer0@example.org")
    assert w["external_coauthor_name"] == "Second Hand"
    uid = w["id"]
    assert w["chapter_urls"] == [f"chapters/{uid}-1.html", f"chapters/{uid}-2.html"]
    first = _page_body(out, w["chapter_urls"][0])
    assert "Out of the night that covers me." in first  # the epigraph opens chapter one
    assert "It was cold.<br>Very cold." in first and "Chapter one notes." in first
    codes = {(n["title"], n["code"]) for n in report["notices"]}
    assert ("The Long Night 0", "warning-mapped") in codes
    assert ("The Long Night 0", "tag-changed") in codes

    hostile = works[hostile_story().title]
    assert hostile["warnings"] == "Choose Not To Use Archive Warnings"
    assert "\x00" not in hostile["summary"] and "&lt;b&gt;not markup" in hostile["summary"]
    markup = _page_body(out, hostile["chapter_urls"][1]).lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "evil.example", "tracker"):
        assert bad not in markup


def test_base_url_makes_absolute_chapter_urls(store: Store, tmp_path: Path) -> None:
    fill(store, [full_story()])
    out = tmp_path / "ao3"
    _export(store, out, base_url="https://rescue.example.org/od/")
    [w] = _works(out).values()
    assert w["chapter_urls"][0] == f"https://rescue.example.org/od/chapters/{w['id']}-1.html"


def test_limits_hold_works_back_without_truncating(store: Store, tmp_path: Path) -> None:
    long_title = "T" * 300
    stories = [
        Story(title=long_title, chapters=[Chapter(1, "Some text here.", word_count=3)]),
        Story(title="Long summary", summary="s" * 1251,
              chapters=[Chapter(1, "Text.", word_count=1)]),
        Story(title="Long notes", notes="n" * 5001, chapters=[Chapter(1, "Text.", word_count=1)]),
        Story(title="Many chapters", chapters=[Chapter(i, f"Chapter {i} text.", word_count=3)
                                               for i in range(1, 201)]),
        Story(title="Many tags", tags=[f"tag {i}" for i in range(80)],
              chapters=[Chapter(1, "Text.", word_count=1)]),
        Story(title="Long tag", tags=["x" * 151], chapters=[Chapter(1, "Text.", word_count=1)]),
        Story(title="Just fits", summary="s" * 1250, notes="n" * 5000,
              chapters=[Chapter(i, f"Chapter {i}.", word_count=2) for i in range(1, 200)]),
    ]
    fill(store, stories)
    out = tmp_path / "ao3"
    report = _export(store, out)
    held = {w["title"]: [r["code"] for r in w["reasons"]] for w in report["held_works"]}
    assert held == {long_title: ["title-too-long"], "Long summary": ["summary-too-long"],
                    "Long notes": ["notes-too-long"], "Many chapters": ["too-many-chapters"],
                    "Many tags": ["too-many-tags"], "Long tag": ["tag-too-long"]}
    assert report["importable"] == 1
    works = _works(out)
    assert works[long_title]["title"] == long_title  # kept whole for the archivist to edit
    assert len(works["Many chapters"]["chapter_urls"]) == 200
    assert len(works["Long summary"]["summary"]) == 1251
    request = json.loads((out / report["requests"][0]).read_text("utf-8"))
    assert [w["title"] for w in request["works"]] == ["Just fits"]


def test_enormous_chapter_is_split_at_paragraph_boundaries(store: Store, tmp_path: Path) -> None:
    paragraphs = [f"Paragraph {i}: " + "word " * 60 for i in range(7000)]  # about 2.3 MB
    text = "\n\n".join(p.strip() for p in paragraphs)
    assert len(text) > 2_000_000
    fill(store, [Story(title="Epic", authors=[Author("A", "a@example.org")],
                       chapters=[Chapter(1, text, "The only chapter", word_count=420_000),
                                 Chapter(2, "A short coda.", "Coda", word_count=3)])])
    out = tmp_path / "ao3"
    report = _export(store, out)
    [w] = _works(out).values()
    assert report["importable"] == 1
    urls = w["chapter_urls"]
    assert 5 <= len(urls) <= 7
    rebuilt = []
    for url in urls[:-1]:
        body = _page_body(out, url)
        assert len(body) <= CHAPTER_MAX
        doc = lxml_html.fragment_fromstring(body, create_parent="div")
        paras = [p.text_content() for p in doc.iter("p")]
        assert paras[0].startswith("[Part ")  # each part says it is one
        rebuilt += paras[1:]
    assert rebuilt == [p.strip() for p in paragraphs]  # every paragraph, whole, in order
    assert "A short coda." in _page_body(out, urls[-1])
    assert any(n["code"] == "chapter-split" for n in report["notices"])
    title = lxml_html.fromstring((out / urls[0]).read_bytes()).findtext(".//title")
    assert title == f"The only chapter (part 1 of {len(urls) - 1})"


def test_one_giant_paragraph_is_split_between_words(store: Store, tmp_path: Path) -> None:
    text = " ".join(f"w{i}" for i in range(150_000))  # about 1 MB, no paragraph break
    fill(store, [Story(title="Wall of text", chapters=[Chapter(1, text, word_count=150_000)])])
    out = tmp_path / "ao3"
    report = _export(store, out)
    [w] = _works(out).values()
    words = []
    for url in w["chapter_urls"]:
        body = _page_body(out, url)
        assert len(body) <= CHAPTER_MAX
        doc = lxml_html.fragment_fromstring(body, create_parent="div")
        words += " ".join(p.text_content() for p in list(doc.iter("p"))[1:]).split()
    assert words == text.split()
    assert {"chapter-split", "split-lost-formatting"} <= {n["code"] for n in report["notices"]}


def test_request_files_hold_at_most_199_works(store: Store, tmp_path: Path) -> None:
    fill(store, [Story(title=f"S{i}", chapters=[Chapter(1, f"Text {i}.", word_count=2)])
                 for i in range(250)])
    out = tmp_path / "ao3"
    report = _export(store, out)
    sizes = [len(json.loads((out / r).read_text("utf-8"))["works"]) for r in report["requests"]]
    assert sizes == [199, 51]


@pytest.mark.parametrize(("given", "warnings", "kept"), [
    ([], ["Choose Not To Use Archive Warnings"], []),
    (["None"], ["No Archive Warnings Apply"], []),
    (["Author chose not to warn"], ["Choose Not To Use Archive Warnings"], []),
    (["Violence", "Character Death"],
     ["Graphic Depictions Of Violence", "Major Character Death"], []),
    (["Non-con", "RAPE", "underage"], ["Rape/Non-Con", "Underage"], []),
    (["dub-con", "Angst"], ["Choose Not To Use Archive Warnings"], ["dub-con", "Angst"]),
    (["No warnings", "MCD"], ["Major Character Death"], []),
    (list(AO3_WARNINGS[2:]), list(AO3_WARNINGS[2:]), []),
])
def test_warnings_map_to_ao3s_fixed_set(given: list[str], warnings: list[str],
                                       kept: list[str]) -> None:
    mapped, leftover = map_warnings(given, WorkReport("x", None))
    assert mapped == warnings and leftover == kept
    assert set(mapped) <= set(AO3_WARNINGS)


def test_categories_only_when_certain() -> None:
    mapped, leftover = map_categories(["Het", "femslash", "M/M", "Slash", "Romance", "gen"],
                                      WorkReport("x", None))
    assert mapped == ["F/M", "F/F", "M/M", "Gen"]
    assert leftover == ["Slash", "Romance"]  # "slash" has meant F/F too: not guessed


def test_filters_apply(store: Store, tmp_path: Path) -> None:
    fill(store, [full_story(), hostile_story()])
    out = tmp_path / "ao3"
    report = _export(store, out, fandom="Due South")
    assert report["works"] == 1
    assert list(_works(out)) == [hostile_story().title]


def test_cli_prints_the_summary(store: Store, sqlite_url: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    from fanarchive.cli import main

    fill(store, [full_story(), empty_story()])
    out = tmp_path / "ao3"
    assert main(["--db", sqlite_url, "export", "--format", "ao3", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 works in 1 request file(s); 1 held back" in printed
    assert "held: Lost Words: no-chapters" in printed
