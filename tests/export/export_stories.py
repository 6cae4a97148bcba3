"""Stories that exercise the exports: every field filled, hostile text, awkward titles.

A helper module, not a conftest: test modules here import it by name.
"""

from __future__ import annotations

import re

from fanarchive.parsed import QualityFlag
from fanarchive.store.store import Sighting, Store
from fanarchive.story import Author, Chapter, Rating, Series, Story

# Text that breaks naive SQL, HTML, XML and file handling.
HOSTILE = ("Back\\slash \\' \\\" \\n and 'single' \"double\" quotes; NUL[\x00] CR LF[\r\n] "
           "Ctrl-Z[\x1a] tab[\t] percent %s %% emoji 🦊🏳️‍🌈 RTL שלום combining é "
           "'); DROP TABLE stories; -- <b>not markup</b> & &amp; ]]>")
SCRIPT_HTML = (
    '<p onclick="steal()">Hello <b>reader</b>.<script>alert("x")</script></p>'
    '<p><img src="http://tracker.example/pixel.gif" onerror="alert(1)" alt="a picture">'
    '<a href="javascript:alert(2)">click</a> <a href="http://elsewhere.example/">a link</a></p>'
    '<iframe src="http://evil.example/frame"></iframe>'
    '<link rel="stylesheet" href="http://evil.example/s.css">'
    '<style>body { background: url(http://evil.example/bg.png) }</style>'
    '<form action="http://evil.example/f"><input name="q"></form>'
    '<p style="color: red; background-image: url(http://evil.example/i.png)">Styled text.</p>'
    '<svg onload="alert(3)"><image href="http://evil.example/svg.png"/></svg>'
    '<p>The end of the <i>safe</i> story.</p>'
)


def full_story(i: int = 0) -> Story:
    """A story with every field set, two chapters, notes and end notes."""
    return Story(
        title=f"The Long Night {i}",
        authors=[Author(f"Writer {i}", f"writer{i}@example.org"), Author("Second Hand", None)],
        rating=Rating("Strong PG13", "Teen And Up Audiences"),
        fandoms=["Buffy the Vampire Slayer"],
        relationships=["Buffy Summers/Spike", "Willow Rosenberg & Xander Harris"],
        characters=["Buffy Summers", "Spike"],
        warnings=["Character Death", "Angst"],
        categories=["Het", "Drama"],
        tags=["hurt/comfort", "Snow, lots of it"],
        summary="She waits.\nHe doesn't \"come\" back — or does he? <3 & \\o/",
        notes="Thanks to my beta.",
        disclaimer="Not mine; Joss's.",
        epigraph="Out of the night that covers me.",
        series=Series("Winter", 2, 3),
        language="en",
        status="complete",
        published="2003-01-05",
        updated="2003-02-10",
        chapters=[
            Chapter(1, f"First chapter of story {i}.\n\nIt was cold.\nVery cold.", "Dusk",
                    notes="Chapter one notes.", end_notes="See you next time.", word_count=11),
            Chapter(2, "Second chapter.\n\nDawn came.", "Dawn", word_count=4),
        ],
        quality_flags=[QualityFlag("mojibake-repaired", "fixed 3 sequences")],
        raw_headers={"Title": f"The Long Night {i}", "Rating": "Strong PG13",
                     "Feedback": "yes please"},
    )


def save(store: Store, story: Story, key: str, url: str | None = None) -> None:
    source = store.ensure_source("test", "/fixtures")
    store.save_story(story, key, Sighting(source.id, f"/fixtures/{key}.txt", url=url,
                                          path=None if url else f"/fixtures/{key}.txt",
                                          parser="plaintext", sha256="a" * 64))


def fill(store: Store, stories: list[Story]) -> None:
    for n, story in enumerate(stories):
        save(store, story, f"k{n}")
    store.commit()


def hostile_story() -> Story:
    return Story(
        title="Quotes ' \" \\ and 🦊",
        authors=[Author("O'Brien \\ \"Quote\"", "ob@example.org")],
        rating=Rating("NC-17", "Explicit"),
        fandoms=["Due South"], relationships=["Benton Fraser/Ray Kowalski"],
        tags=[HOSTILE[:60]],
        summary=HOSTILE, notes=HOSTILE,
        chapters=[Chapter(1, HOSTILE + "\n\nSecond paragraph.", "Title ' \\ \"", word_count=40),
                  Chapter(2, "Hello reader. The end of the safe story.", "Markup",
                          html=SCRIPT_HTML, word_count=8)],
    )


def link_story() -> Story:
    """A bookmark-like entry: the archive only pointed elsewhere."""
    return Story(title="Offsite Fic", authors=[Author("Link Author", "link@example.org")],
                 rating=Rating("PG", "General Audiences"), fandoms=["Due South"],
                 summary="Hosted on the author's own site.",
                 chapters=[Chapter(1, "Read it here: http://author.example.net/fic.html",
                                   word_count=4)])


def empty_story() -> Story:
    return Story(title="Lost Words", authors=[Author("Ghost", "ghost@example.org")],
                 fandoms=["Angel: the Series"], summary="Only the header survived.")


_ILLEGAL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def expected_text(text: str) -> str:
    """What survives plain text → HTML paragraphs → text: all but HTML-illegal characters."""
    text = _ILLEGAL_IN_TEXT.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = re.split(r"\n(?:[ \t]*\n)+", text.strip("\n"))
    return "\n\n".join(p for p in paragraphs if p.strip())


def html_to_text(fragment: str) -> str:
    """The inverse of ``text_to_html``: paragraphs joined by blank lines, <br> as newline."""
    from lxml import html as lxml_html

    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    paragraphs = []
    for p in root.iter("p"):
        for br in p.iter("br"):
            br.tail = "\n" + (br.tail or "")
        paragraphs.append(p.text_content())
    return "\n\n".join(paragraphs)


def near_duplicates() -> list[Story]:
    """Two copies of one story from two places, one lightly edited: the store links them."""
    sentence = ("the rain came down over the old town while she counted the letters he had "
                "never sent and wondered whether any of it mattered now that the war was over "
                "and the trains ran again every morning at seven")
    words = sentence.split(" ")
    text = "\n\n".join(" ".join(words[i:] + words[:i]) for i in range(0, 40, 4))
    edited = text.replace("letters", "postcards", 1)
    return [Story(title="Copy One", authors=[Author("Twin", "twin@example.org")],
                  chapters=[Chapter(1, text, word_count=len(text.split()))]),
            Story(title="Copy Two", authors=[Author("Twin", "twin@example.org")],
                  chapters=[Chapter(1, edited, word_count=len(edited.split()))])]
