"""The served archives behave like the sites they imitate and match their model."""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from datetime import date
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup, NavigableString, Tag

from tests.sites.content import ArchiveModel
from tests.sites.launch import SITE_KINDS, build_site
from tests.sites.requestlog import Headers
from tests.sites.server import ArchiveServer
from tests.sites.traps import OFFSITE
from tests.sites.wire import Request

pytest_plugins = ["tests.sites.fixtures"]

DATE_FORMAT = "%B %d %Y"
STORY_LINKS = "div.listbox > div.title > a[href^=viewstory]"
TLS = ssl.create_default_context()  # one context for all clients: each costs ~60 ms to build


# ---- helpers ------------------------------------------------------------------------------


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5, verify=TLS) as c:
        yield c


def soup_of(response: httpx.Response) -> BeautifulSoup:
    assert response.status_code == 200, response.url
    return BeautifulSoup(response.content, "lxml")


def squash(text: str) -> str:
    return " ".join(text.split())


def label_runs(block: Tag) -> dict[str, list[Tag | NavigableString]]:
    """eFiction's ``<span class="label">X:</span> value ...`` runs -> {"X": [value nodes]}."""
    runs: dict[str, list[Tag | NavigableString]] = {}
    current: str | None = None
    for node in block.children:
        if isinstance(node, Tag) and "label" in (node.get("class") or []):
            current = node.get_text().strip().rstrip(":").strip()
            runs[current] = []
        elif current is not None:
            runs[current].append(node)
    return runs


def node_text(node: Tag | NavigableString) -> str:
    """Text as a reader sees it: ``<br>`` is a line break, inline tags add no spaces."""
    if isinstance(node, NavigableString):
        return str(node)
    if node.name == "br":
        return "\n"
    return "".join(node_text(child) for child in node.children)


def run_text(nodes: list[Tag | NavigableString]) -> str:
    return squash("".join(node_text(n) for n in nodes))


def run_links(nodes: list[Tag | NavigableString]) -> list[str]:
    return [n.get_text() for n in nodes if isinstance(n, Tag) and n.name == "a"]


def run_list(nodes: list[Tag | NavigableString]) -> list[str]:
    """A list value: its links on browse-style blocks, comma-separated text in the print view."""
    links = run_links(nodes)
    if links:
        return links
    text = run_text(nodes)
    return [] if text == "None" else text.split(", ")


def sid_of(href: str) -> int:
    return int(parse_qs(urlsplit(href).query)["sid"][0])


def consent(client: httpx.Client, site: ArchiveServer, sid: int) -> None:
    """Pass the age gate for ``sid``'s rating the way a browser would (session cookie)."""
    if site.model.access(site.model.story(sid)) in ("warning", "age_consent"):
        assert client.get(site.urljoin(site.consent_path(sid))).status_code == 200


def readable(model: ArchiveModel) -> list[int]:
    return [s.sid for s in model.visible_stories() if not s.members_only]


# ---- the model ----------------------------------------------------------------------------


def test_model_is_deterministic_per_seed() -> None:
    a, b = ArchiveModel.generate(seed=7), ArchiveModel.generate(seed=7)
    assert [a.expected(sid) for sid in a.stories] == [b.expected(sid) for sid in b.stories]
    c = ArchiveModel.generate(seed=8)
    assert [s.title for s in a.stories.values()] != [s.title for s in c.stories.values()]


def test_model_plants_the_hard_cases() -> None:
    model = ArchiveModel.generate()
    stories = model.visible_stories()
    assert len(stories) == 40
    titles = [s.title for s in stories]
    assert any("&" in t for t in titles)
    assert any('"' in t or "“" in t for t in titles)
    assert any(not t.isascii() for t in titles)
    assert any(not model.author_of(s).penname.isascii() for s in stories)
    access = [model.access(s) for s in stories]
    assert access.count("warning") >= 2 and access.count("age_consent") >= 2
    assert access.count("members_only") == 1
    chapters = [len(s.chapters) for s in stories]
    assert min(chapters) == 1 and max(chapters) == 12
    assert any("<br />" in s.summary for s in stories)
    assert any("<i>" in s.summary for s in stories)
    assert model.series and all(len(s.sids) >= 2 for s in model.series.values())
    assert len(set(model.stories)) == len(stories)
    expected = model.expected(stories[0].sid)
    assert expected["word_count"] == sum(c["word_count"] for c in expected["chapters"])
    assert expected["updated"] >= expected["published"]


def test_mutations() -> None:
    model = ArchiveModel.generate(stories=5, max_chapters=3)
    sid = model.visible_stories()[0].sid
    before = model.expected(sid)
    model.edit_chapter(sid, 1, "New words here.\n\nAnd a second paragraph.")
    after = model.expected(sid)
    assert after["chapters"][0]["text"] == "New words here.\n\nAnd a second paragraph."
    assert after["updated"] == before["updated"]  # eFiction does not bump Updated on edits
    model.add_chapter(sid, title="Epilogue")
    added = model.expected(sid)
    assert added["chapter_count"] == before["chapter_count"] + 1
    assert added["chapters"][-1]["title"] == "Epilogue"
    assert added["updated"] > before["updated"]
    model.remove_story(sid)
    assert sid not in [s.sid for s in model.visible_stories()]
    model.restore_story(sid)
    assert model.visible(sid)
    model.set_completed(sid, not before["completed"])
    assert model.expected(sid)["completed"] is not before["completed"]


@pytest.mark.parametrize(("seed", "stories", "chapters"), [(1, 12, 3), (2, 3, 1), (5, 1, 1)])
def test_every_story_page_renders_for_other_shapes(seed: int, stories: int,
                                                   chapters: int) -> None:
    model = ArchiveModel.generate(seed=seed, stories=stories, max_chapters=chapters)
    for kind in SITE_KINDS:
        site = build_site(kind, model)
        paths = ["/", "/robots.txt"] + [p for s in model.stories for p in (
            site.part_paths(s) if kind == "static" else [site.story_path(s)]
        )]
        if kind == "efiction":
            paths += [site.printable_path(s) for s in model.stories]
            paths += [site.index_path(s) for s in model.stories]
        for path in paths:
            response = site.handle(Request("GET", path, Headers([("Host", "h")])))
            assert response.status == 200, (kind, path)


# ---- eFiction -----------------------------------------------------------------------------


def check_metadata(runs: dict[str, list[Tag | NavigableString]], expected: dict) -> None:
    assert run_text(runs["Summary"]) == squash(expected["summary"])
    assert run_list(runs["Categories"]) == expected["categories"]
    assert run_list(runs["Characters"]) == expected["characters"]
    assert run_list(runs["Genre"]) == expected["genres"]
    assert run_list(runs["Warnings"]) == expected["warnings"]
    series = expected["series"]["title"] if expected["series"] else "None"
    assert run_text(runs["Series"]) == series
    assert run_text(runs["Chapters"]) == str(expected["chapter_count"])
    assert run_text(runs["Completed"]) == ("Yes" if expected["completed"] else "No")
    assert run_text(runs["Word count"]) == str(expected["word_count"])
    assert run_text(runs["Published"]) == expected["published"].strftime(DATE_FORMAT)
    assert run_text(runs["Updated"]) == expected["updated"].strftime(DATE_FORMAT)


def test_story_index_pages_match_model(efiction_site: ArchiveServer,
                                       client: httpx.Client) -> None:
    model = efiction_site.model
    for sid in readable(model):
        consent(client, efiction_site, sid)
        expected = model.expected(sid)
        soup = soup_of(client.get(efiction_site.urljoin(efiction_site.index_path(sid))))
        title, author = soup.select("#pagetitle a")
        assert title.get_text() == expected["title"]
        assert author.get_text() == expected["author"]["penname"]
        assert author["href"] == f"viewuser.php?uid={expected['author']['uid']}"
        runs = label_runs(soup.select_one("#output .listbox .content"))
        assert run_text(runs["Rated"]) == expected["rating"]
        check_metadata(runs, expected)
        entries = soup.select("#output > p > b > a[href*='chapter=']")
        assert [a.get_text() for a in entries] == [c["title"] for c in expected["chapters"]]
        assert soup.find("meta", attrs={"name": "generator"}) is None  # story template


def test_chapter_pages_carry_text_and_notes(efiction_site: ArchiveServer,
                                            client: httpx.Client) -> None:
    model = efiction_site.model
    sid = next(s.sid for s in model.visible_stories()
               if len(s.chapters) >= 3 and model.access(s) == "open")
    expected = model.expected(sid)
    for chapter in expected["chapters"]:
        url = efiction_site.urljoin(efiction_site.chapter_path(sid, chapter["number"]))
        soup = soup_of(client.get(url))
        assert soup.select_one(".chaptertitle").get_text() == (
            f"{chapter['title']} by {expected['author']['penname']}"
        )
        assert squash(node_text(soup.select_one("#story"))) == squash(chapter["text"])
        notes = {n.select_one(".title").get_text().strip(): n.select_one(".noteinfo").get_text()
                 for n in soup.select("div.notes")}
        assert notes.get("Author's Notes:") == chapter["notes"]
        assert notes.get("End Notes:") == chapter["end_notes"]
        has_next = soup.select_one("a.next") is not None
        assert has_next == (chapter["number"] < expected["chapter_count"])


def test_printable_view_holds_every_chapter(efiction_site: ArchiveServer,
                                            client: httpx.Client) -> None:
    model = efiction_site.model
    sid = next(s.sid for s in model.visible_stories()
               if len(s.chapters) == 12 and model.access(s) == "open")
    expected = model.expected(sid)
    soup = soup_of(client.get(efiction_site.urljoin(efiction_site.printable_path(sid))))
    bodies = soup.select("div.chapter")
    assert [squash(node_text(b)) for b in bodies] == [
        squash(c["text"]) for c in expected["chapters"]
    ]
    runs = label_runs(soup.select_one("div.infobox .content"))
    check_metadata(runs, expected)
    archived = soup.select_one("#archivedat a")["href"]
    assert archived == efiction_site.url + f"/viewstory.php?sid={sid}"


def test_browse_pagination_covers_every_story(efiction_site: ArchiveServer,
                                              client: httpx.Client) -> None:
    url: str | None = efiction_site.urljoin(efiction_site.listing_path(0))
    seen: list[int] = []
    sessions: set[str] = set()
    pages = 0
    while url:
        soup = soup_of(client.get(url))
        assert soup.find("meta", attrs={"name": "generator"})["content"].startswith("eFiction")
        links = [a["href"] for a in soup.select(STORY_LINKS)]
        assert 0 < len(links) <= 15
        seen += [sid_of(h) for h in links]
        sessions |= {parse_qs(urlsplit(h).query)["PHPSESSID"][0] for h in links}
        nxt = soup.select_one("#pagelinks a#plnext")
        url = urljoin(url, nxt["href"]) if nxt else None
        pages += 1
    model = efiction_site.model
    assert pages == 3
    assert seen == [s.sid for s in model.by_title()]
    assert len(sessions) == pages  # a new session id on every page: URLs must be normalised


def test_category_author_and_series_pages(efiction_site: ArchiveServer,
                                          client: httpx.Client) -> None:
    model = efiction_site.model
    catid = model.visible_stories()[0].catids[0]
    soup = soup_of(client.get(efiction_site.urljoin(f"/browse.php?type=categories&catid={catid}")))
    listed = {sid_of(a["href"]) for a in soup.select(STORY_LINKS)}
    assert listed == {s.sid for s in model.visible_stories() if catid in s.catids}

    uid = model.visible_stories()[0].uid
    soup = soup_of(client.get(efiction_site.urljoin(f"/viewuser.php?uid={uid}")))
    listed = {sid_of(a["href"]) for a in soup.select(STORY_LINKS)}
    assert listed == {s.sid for s in model.stories_by(uid)}

    series = next(iter(model.series.values()))
    soup = soup_of(client.get(efiction_site.urljoin(f"/viewseries.php?seriesid={series.seriesid}")))
    parts = [sid_of(a["href"]) for a in soup.select(STORY_LINKS)]
    assert parts == series.sids


def test_age_gate_until_consent(efiction_site: ArchiveServer, client: httpx.Client) -> None:
    model = efiction_site.model
    for access in ("warning", "age_consent"):
        story = next(s for s in model.visible_stories() if model.access(s) == access)
        url = efiction_site.urljoin(efiction_site.chapter_path(story.sid, 1))
        gate = soup_of(client.get(url))
        assert gate.select_one("#pagetitle").get_text() == story.title
        assert gate.select_one("#story") is None and gate.select_one(".chaptertitle") is None
        link = gate.select_one(".errortext a")
        assert link.get_text() == "Continue"
        params = parse_qs(urlsplit(link["href"]).query)
        assert params["warning"] == [str(story.rid)]
        assert ("ageconsent" in params) == (access == "age_consent")
        # A wrong rating id does not unlock the story.
        wrong = efiction_site.urljoin(f"/viewstory.php?sid={story.sid}&ageconsent=ok&warning=99")
        assert soup_of(httpx.get(wrong, verify=TLS)).select_one("#story") is None
        # Following Continue reads the chapter and sets the session cookie...
        page = soup_of(client.get(urljoin(url, link["href"])))
        assert page.select_one("#story") is not None
        assert "PHPSESSID" in client.cookies
        # ...after which other pages of the story open directly.
        index = soup_of(client.get(efiction_site.urljoin(efiction_site.index_path(story.sid))))
        assert index.select_one("#output .listbox") is not None
    # Consent lives in the session: a client without the cookie sees the gate again.
    fresh = soup_of(httpx.get(efiction_site.urljoin(efiction_site.chapter_path(story.sid, 1)),
                                verify=TLS))
    assert fresh.select_one("#story") is None


def test_members_only_story_needs_login(efiction_site: ArchiveServer,
                                        client: httpx.Client) -> None:
    model = efiction_site.model
    story = next(s for s in model.visible_stories() if s.members_only)
    url = efiction_site.urljoin(efiction_site.chapter_path(story.sid, 1))
    soup = soup_of(client.get(url))
    assert soup.select_one("#story") is None
    assert soup.select_one("form input[type=password]") is not None
    bad = client.post(efiction_site.urljoin("/user.php?action=login"),
                      data={"penname": "reader", "password": "wrong"})
    assert "Incorrect" in bad.text
    login = client.post(efiction_site.urljoin("/user.php?action=login"),
                        data={"penname": "reader", "password": "secret"})
    assert login.status_code == 302
    assert soup_of(client.get(url)).select_one("#story") is not None


def test_robots_and_crawler_traps(efiction_site: ArchiveServer, client: httpx.Client) -> None:
    robots = client.get(efiction_site.urljoin("/robots.txt"))
    assert robots.headers["content-type"].startswith("text/plain")
    lines = robots.text.splitlines()
    assert "User-agent: *" in lines and "Crawl-delay: 0.1" in lines
    assert {"Disallow: /admin.php", "Disallow: /reviews.php"} <= set(lines)

    home = soup_of(client.get(efiction_site.urljoin("/index.php")))
    hrefs = [a["href"] for a in home.find_all("a", href=True)]
    assert "admin.php" in hrefs
    assert any(h.startswith("reviews.php") for h in hrefs)
    assert any(h.startswith(OFFSITE) for h in hrefs)
    assert home.find("meta", attrs={"name": "generator"}) is not None

    url = efiction_site.urljoin("/calendar.php")
    months = set()
    for _ in range(25):  # never ends: each month links to the next
        soup = soup_of(client.get(url))
        months.add(soup.select_one("#pagetitle").get_text())
        url = urljoin(url, soup.find("a", string=re.compile("Next"))["href"])
    assert len(months) == 25


def test_removed_story_404s_and_leaves_listings(efiction_site: ArchiveServer,
                                                client: httpx.Client) -> None:
    model = efiction_site.model
    sid = readable(model)[0]
    model.remove_story(sid)
    assert client.get(efiction_site.urljoin(efiction_site.story_path(sid))).status_code == 404
    listing = client.get(efiction_site.urljoin("/browse.php?type=titles&offset=0")).text
    listing += client.get(efiction_site.urljoin("/browse.php?type=titles&offset=15")).text
    listing += client.get(efiction_site.urljoin("/browse.php?type=titles&offset=30")).text
    assert f"viewstory.php?sid={sid}&amp;" not in listing
    model.restore_story(sid)
    assert client.get(efiction_site.urljoin(efiction_site.story_path(sid))).status_code == 200


def test_mutations_show_on_pages(efiction_site: ArchiveServer, client: httpx.Client) -> None:
    model = efiction_site.model
    sid = next(s.sid for s in model.visible_stories()
               if model.access(s) == "open" and not s.completed)
    index_url = efiction_site.urljoin(efiction_site.index_path(sid))

    def updated() -> str:
        runs = label_runs(soup_of(client.get(index_url)).select_one("#output .content"))
        return run_text(runs["Updated"])

    before = updated()
    model.edit_chapter(sid, 1, "Completely rewritten & improved.")
    chapter = soup_of(client.get(efiction_site.urljoin(efiction_site.chapter_path(sid, 1))))
    assert squash(node_text(chapter.select_one("#story"))) == "Completely rewritten & improved."
    assert updated() == before  # silent edit

    model.add_chapter(sid, title="A New Dawn")
    soup = soup_of(client.get(index_url))
    runs = label_runs(soup.select_one("#output .content"))
    assert run_text(runs["Updated"]) == model.now.date().strftime(DATE_FORMAT) != before
    assert run_text(runs["Chapters"]) == str(len(model.story(sid).chapters))
    assert soup.select("#output > p > b > a")[-1].get_text() == "A New Dawn"

    model.set_completed(sid, True)
    runs = label_runs(soup_of(client.get(index_url)).select_one("#output .content"))
    assert run_text(runs["Completed"]) == "Yes"


# ---- static HTML archive ------------------------------------------------------------------


def static_headers(soup: BeautifulSoup) -> dict[str, str]:
    """Labels from any of the three header styles the static site uses."""
    table = soup.select_one("table.storyinfo")
    if table is not None:
        return {row.select("td")[0].get_text(): run_text(list(row.select("td")[1].children))
                for row in table.select("tr")}
    headers: dict[str, str] = {}
    for label in soup.find_all(["b", "strong"]):
        text = label.get_text()
        if not text.endswith(":") or label.find_parent(class_=["notes", "endnotes"]):
            continue
        nodes = []
        for sibling in label.next_siblings:
            if isinstance(sibling, Tag) and sibling.name in ("b", "strong", "hr"):
                break
            nodes.append(sibling)
        headers[text[:-1]] = run_text(nodes)
    return headers


def test_static_index_lists_every_story_by_author(static_site: ArchiveServer,
                                                  client: httpx.Client) -> None:
    soup = soup_of(client.get(static_site.urljoin("/index.html")))
    model = static_site.model
    found: dict[str, list[str]] = {}
    for heading in soup.select("h3"):
        found[heading.get_text()] = [a["href"] for a in heading.find_next("ul").select("li > a")]
    expected: dict[str, list[str]] = {}
    for story in model.visible_stories():
        penname = model.author_of(story).penname
        expected.setdefault(penname, []).append(static_site.story_path(story.sid).lstrip("/"))
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in expected.items()}
    assert soup.select_one("div.ad a")["href"].startswith(OFFSITE)


def test_static_story_pages_and_part_chains(static_site: ArchiveServer,
                                            client: httpx.Client) -> None:
    model = static_site.model
    # One story per label style plus one windows-1252 page covers every template.
    chosen = {static_site.label_style(s.sid): s for s in reversed(model.visible_stories())}
    chosen["cp1252"] = next(s for s in model.visible_stories()
                            if static_site.charset(s) == "cp1252")
    styles_seen = set()
    charsets_seen = set()
    for story in chosen.values():
        expected = model.expected(story.sid)
        charset = static_site.charset(story)
        charsets_seen.add(charset)
        styles_seen.add(static_site.label_style(story.sid))
        url: str | None = static_site.urljoin(static_site.story_path(story.sid))
        texts = []
        while url:
            response = client.get(url)
            assert response.headers["content-type"] == "text/html"  # no charset, like Apache
            soup = BeautifulSoup(response.content.decode(charset), "lxml")
            part = len(texts) + 1
            assert static_headers(soup) == static_site.expected_headers(story.sid, part)
            assert soup.find("a", string="Back to index") is not None
            body = soup.select_one("div.storytext")
            if body is None:  # the <b> style leaves the prose loose between two <hr>
                hr = soup.find("hr")
                parts = []
                for node in hr.next_siblings:
                    if isinstance(node, Tag) and node.name == "hr":
                        break
                    classes = node.get("class") or [] if isinstance(node, Tag) else []
                    if not {"notes", "endnotes"} & set(classes):
                        parts.append(node)
                texts.append(run_text(parts))
            else:
                texts.append(squash(node_text(body)))
            nxt = soup.find("a", string="Next part")
            url = urljoin(url, nxt["href"]) if nxt else None
        assert texts == [squash(c["text"]) for c in expected["chapters"]]
        headers = static_site.expected_headers(story.sid)
        assert headers["Title"] == expected["title"]
        assert headers["Author"] == expected["author"]["penname"]
    assert styles_seen == {"bold", "strong", "table"}
    assert charsets_seen == {"utf-8", "cp1252"}


def test_static_file_names_follow_title_changes(static_site: ArchiveServer,
                                                client: httpx.Client) -> None:
    sid = static_site.model.visible_stories()[0].sid
    old = static_site.story_path(sid)
    static_site.model.update_story(sid, title="A Brand New Title")
    new = static_site.story_path(sid)
    assert new != old and "a-brand-new-title" in new
    assert client.get(static_site.urljoin(old)).status_code == 404
    page = soup_of(client.get(static_site.urljoin(new)))
    assert static_headers(page)["Title"] == "A Brand New Title"


def test_static_validators_and_removal(static_site: ArchiveServer, client: httpx.Client) -> None:
    sid = static_site.model.visible_stories()[0].sid
    url = static_site.urljoin(static_site.story_path(sid))
    first = client.get(url)
    assert "etag" in first.headers and "last-modified" in first.headers
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    static_site.model.remove_story(sid)
    assert client.get(url).status_code == 404
    assert static_site.story_path(sid).lstrip("/") not in client.get(static_site.url).text


# ---- .txt directory -----------------------------------------------------------------------


def walk_listing(site: ArchiveServer, client: httpx.Client, start: str) -> list[str]:
    """Every .txt reachable from ``start`` through listing links (sort links skipped)."""
    todo, seen, files = [site.urljoin(start)], set(), []
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        soup = soup_of(client.get(url))
        assert soup.find("h1").get_text().startswith("Index of /")
        for a in soup.find_all("a", href=True):
            href = a["href"]
            if href.startswith("?") or href.startswith("/") or href == "../":
                continue  # sort links and parent directories
            target = urljoin(url, href)
            if href.endswith("/"):
                todo.append(target)
            elif href.endswith(".txt"):
                files.append(urlsplit(target).path)
    return sorted(files)


def parse_txt(data: bytes, encoding: str) -> tuple[dict[str, str], str]:
    text = data.decode(encoding).replace("\r\n", "\n")
    head, _, body = text.partition("\n----\n")
    headers = dict(line.split(": ", 1) for line in head.split("\n") if line.strip())
    return headers, body.strip("\n")


def test_txt_listing_reaches_every_story(txt_site: ArchiveServer, client: httpx.Client) -> None:
    assert walk_listing(txt_site, client, "/stories/") == sorted(txt_site.story_paths())
    nginx = client.get(txt_site.urljoin("/stories/misc/")).text
    assert "<pre><a href=\"../\">../</a>" in nginx
    by_name = client.get(txt_site.urljoin("/stories/")).text
    reverse = client.get(txt_site.urljoin("/stories/?C=N;O=D")).text
    names = re.findall(r'<a href="([^"?/][^"]*)">', by_name)
    assert names and re.findall(r'<a href="([^"?/][^"]*)">', reverse) == names[::-1]
    moved = client.get(txt_site.urljoin("/stories"))
    assert moved.status_code == 301 and moved.headers["location"] == "/stories/"


def test_txt_files_headers_encodings_and_body(txt_site: ArchiveServer,
                                              client: httpx.Client) -> None:
    model = txt_site.model
    encodings = []
    for story in model.visible_stories():
        response = client.get(txt_site.urljoin(txt_site.story_path(story.sid)))
        assert response.headers["content-type"] == "text/plain"
        encoding = txt_site.encoding(story.sid)
        encodings.append(encoding)
        data = response.content
        assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
        assert (b"\r\n" in data) == (encoding == "cp1252")
        headers, body = parse_txt(data, encoding)
        assert headers == dict(txt_site.headers(story))
        expected = model.expected(story.sid)
        assert headers["Title"] == expected["title"]
        assert headers["Rating"] == expected["rating"]
        for chapter in expected["chapters"]:
            assert chapter["text"] in body
        assert body == txt_site.body(story)
    assert encodings.count("utf-8-sig") == 1
    assert encodings.count("cp1252") >= 3
    non_cp1252 = [e for e in encodings if e == "utf-8"]
    assert non_cp1252


def test_txt_edit_changes_file_and_listing_date(txt_site: ArchiveServer,
                                                client: httpx.Client) -> None:
    story = txt_site.model.visible_stories()[3]
    url = txt_site.urljoin(txt_site.story_path(story.sid))
    before = client.get(url)
    txt_site.model.edit_chapter(story.sid, 1, "Rewritten.")
    after = client.get(url, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.content != before.content
    assert after.headers["last-modified"] != before.headers["last-modified"]
    assert "Rewritten." in after.content.decode(txt_site.encoding(story.sid))


def test_one_model_served_three_ways(site_factory) -> None:  # type: ignore[no-untyped-def]
    model = ArchiveModel.generate(seed=3, stories=6, max_chapters=2)
    sites = [site_factory(kind, model=model) for kind in ("efiction", "static", "txt")]
    assert len({s.url for s in sites}) == 3
    model.remove_story(model.visible_stories()[0].sid)
    for site in sites:
        assert len(site.story_paths()) == 5
        assert httpx.get(site.urljoin(site.story_paths()[0]), verify=TLS).status_code == 200
    assert date(2003, 1, 1) <= model.visible_stories()[0].published
