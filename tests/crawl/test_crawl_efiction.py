"""A whole eFiction-like archive crawled and imported, compared with the site's model.

One crawl from the home page through :class:`fanarchive.importing.Importer` (what
``fanarchive import URL`` runs), then every exported record against
``site.model.expected(sid)``, field by field. The site has age-consent and warning gates,
series, multi-chapter stories, a one-shot and a members-only story.
"""

from __future__ import annotations

from collections import Counter

import pytest

from fanarchive.store.store import Store
from tests.crawl.test_crawl_support import (
    by_title,
    counts,
    crawl,
    duplicate_rows,
    mismatches,
    printer_path,
    printer_url,
    records,
    run_errors,
    visible_sids,
)

GATED = ("warning", "age_consent")


@pytest.fixture
def archive(site_factory):
    """30 stories, up to 5 chapters each."""
    return site_factory("efiction", stories=30, max_chapters=5)


def test_full_crawl_imports_every_story_field_by_field(store: Store, archive) -> None:
    model = archive.model
    report = crawl(store, archive.url + "/")

    assert report.crawl.complete, report.crawl.stopped
    assert report.failed == 0, report.errors
    assert report.crawl.failures == 0, report.crawl.problems

    members = visible_sids(model, access=["members_only"])
    gated = visible_sids(model, access=GATED)
    readable = visible_sids(model, access=["open", *GATED])
    assert len(members) == 1 and len(gated) >= 4 and len(readable) == len(model.stories) - 1

    found = by_title(records(store))
    problems = []
    for sid in readable:
        title = model.story(sid).title
        if len(found.get(title, [])) != 1:
            problems.append(f"sid {sid} {title!r}: {len(found.get(title, []))} records")
            continue
        # The site's pages never show the model's pairings, so none can be found.
        problems += mismatches(found[title][0], model, sid, overrides={"relationships": []})
    assert problems == []
    assert len(found) == len(readable)  # nothing else was taken for a story
    assert sum(len(r) for r in found.values()) == len(readable)

    for sid in readable:
        record = found[model.story(sid).title][0]
        # Raw headers keep what the page said, exactly, including the site's own word count.
        assert record["raw_headers"]["Word count"] == str(model.story(sid).word_count)
        assert record["raw_headers"]["Rated"] == model.rating_of(model.story(sid)).name
        assert record["quality_flags"] == []
        urls = [s["url"] for s in record["sources"]]
        assert all(u.startswith(archive.url + "/viewstory.php?") for u in urls), urls
        assert all(f"sid={sid}" in u for u in urls), urls

    # One printer view per story is what brings its chapters: never the chapters one by one.
    assert not [p for p in archive.log.paths() if "chapter=" in p and "chapter=all" not in p]
    printable = Counter(e.path for e in archive.log if "action=printable" in e.path
                        and e.status == 200)
    assert all(n == 1 for n in printable.values()), printable

    # The members-only story: recorded as needing a login, never stored.
    (sid,) = members
    assert model.story(sid).title not in found
    outcomes = {(u, code) for u, code, _ in run_errors(store, report.run_id)}
    assert (printer_url(archive, sid), "login") in outcomes

    assert duplicate_rows(store) == dict.fromkeys(duplicate_rows(store), 0)
    table = counts(store)
    assert table["stories"] == table["revisions"] == len(readable)


def test_without_consent_gated_stories_are_recorded_not_stored(store: Store,
                                                               site_factory) -> None:
    site = site_factory("efiction", stories=14, max_chapters=3)
    model = site.model
    report = crawl(store, site.url + "/", adult=False)

    assert report.crawl.complete
    gated = visible_sids(model, access=GATED)
    open_ = visible_sids(model, access=["open"])
    assert gated and open_
    found = by_title(records(store))
    assert sorted(found) == sorted(model.story(sid).title for sid in open_)

    # Each gate is one request, recorded as gated with the reason, and its consent link is
    # never followed: no request ever carries warning= or ageconsent=.
    recorded = {u: (code, message) for u, code, message in run_errors(store, report.run_id)}
    for sid in gated:
        url = printer_url(site, sid)
        assert recorded[url][0] == "gated", (sid, recorded.get(url))
        assert "adult" in recorded[url][1]
        assert site.log.count(printer_path(site, sid)) == 1
    assert not [p for p in site.log.paths() if "warning=" in p or "ageconsent=" in p]
    problems = {p.url: p for p in report.crawl.problems}
    assert all(problems[printer_url(site, sid)].state == "gated" for sid in gated)
    assert report.failed == 0


def test_cli_import_and_jsonl_export_of_the_archive(tmp_path, site_factory) -> None:
    """The same through the installed command: ``fanarchive import URL`` then ``export``."""
    import json

    from tests.crawl.test_crawl_support import cli, cli_import

    site = site_factory("efiction", stories=6, max_chapters=3)
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    done = cli_import(db, site.url + "/")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out.jsonl"
    exported = cli(db, "export", "--format", "jsonl", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    found = by_title(json.loads(line) for line in out.read_text().splitlines())
    readable = visible_sids(site.model, access=["open", *GATED])
    problems = []
    for sid in readable:
        record = found[site.model.story(sid).title][0]
        problems += mismatches(record, site.model, sid, overrides={"relationships": []})
    assert problems == []
    assert len(found) == len(readable)
