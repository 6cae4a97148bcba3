"""Deterministic generation of an :class:`ArchiveModel` from a seed.

Only ``random.Random(seed)`` is used, never the global generator or the clock, so the same
arguments give byte-identical sites in every process (benchmarks and tests can share numbers).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from tests.sites import vocabulary as vocab
from tests.sites.content import (
    EPOCH,
    ArchiveModel,
    Author,
    Category,
    Chapter,
    Character,
    Rating,
    Series,
    Story,
    StoryClass,
    story_modified,
)
from tests.sites.markup import esc_text, slugify

FIRST_DAY = date(2003, 1, 1)
LAST_DAY = date(2012, 12, 31)


def build_model(seed: int = 0, stories: int = 40, max_chapters: int = 12,
                min_chapters: int = 1) -> ArchiveModel:
    if stories < 1 or not 1 <= min_chapters <= max_chapters:
        raise ValueError("need at least one story and one chapter")
    rng = random.Random(seed)
    model = ArchiveModel(
        seed=seed,
        site_name="The Lantern & Quill Archive",
        ratings=_ratings(),
        categories={},
        characters={},
        classes=_classes(),
        authors=_authors(),
        series={},
        stories={},
        next_chapid=101,
    )
    _fandoms(model)
    _stories(model, rng, stories, max_chapters, min_chapters)
    _series(model, rng)
    return model


def _ratings() -> dict[int, Rating]:
    return {
        rid: Rating(rid, name, level, text)
        for rid, (name, level, text) in enumerate(vocab.RATINGS, start=1)
    }


def _classes() -> dict[int, StoryClass]:
    classes: dict[int, StoryClass] = {}
    for type_id, (type_title, names) in enumerate(
        (("Genre", vocab.GENRES), ("Warnings", vocab.WARNINGS)), start=1
    ):
        for name in names:
            classid = len(classes) + 1
            classes[classid] = StoryClass(classid, type_id, type_title, name)
    return classes


def _authors() -> dict[int, Author]:
    authors: dict[int, Author] = {}
    for uid, penname in enumerate(vocab.PENNAMES, start=1):
        slug = slugify(penname)
        authors[uid] = Author(
            uid=uid,
            penname=penname,
            email=f"{slug}@example.org",
            realname=f"Writer {uid}",
            bio=f"{esc_text(penname)} has been writing fan fiction since the <i>old days</i>.",
        )
    return authors


def _fandoms(model: ArchiveModel) -> None:
    for catid, (name, characters) in enumerate(vocab.FANDOMS, start=1):
        model.categories[catid] = Category(catid, name, f"Stories set in {name}.")
        for character in characters:
            charid = len(model.characters) + 1
            model.characters[charid] = Character(charid, character, catid)


def _stories(model: ArchiveModel, rng: random.Random, count: int, max_chapters: int,
             min_chapters: int = 1) -> None:
    titles = _titles(rng, count)
    forced = _forced_ratings(rng, count)
    members_only = _members_only_index(count, forced)
    sid = 0
    # Prolific authors exist on every archive; weights make a few pennames dominate.
    weights = [len(vocab.PENNAMES) - i for i in range(len(vocab.PENNAMES))]
    for index in range(count):
        sid += 2 if rng.random() < 0.1 else 1  # deleted stories leave gaps in sids
        if index == 0:
            n_chapters = max_chapters  # always one story at the limit...
        elif index == 1:
            n_chapters = min_chapters  # ...and one as short as allowed (a one-shot)
        else:
            n_chapters = rng.randint(min_chapters, max_chapters)
        rid = forced.get(index) or rng.choices((1, 2, 3, 4, 5), (3, 4, 4, 2, 1))[0]
        if index == members_only:
            rid = 2
        uid = rng.choices(list(model.authors), weights)[0]
        model.stories[sid] = _story(model, rng, sid, titles[index], uid, rid, n_chapters,
                                    members_only=index == members_only)


def _titles(rng: random.Random, count: int) -> list[str]:
    titles: list[str] = []
    seen: set[str] = set()
    special = list(vocab.SPECIAL_TITLES)
    while len(titles) < count:
        if special and rng.random() < 0.35:
            title = special.pop(0)
        else:
            pattern = rng.randrange(4)
            adj, noun = rng.choice(vocab.ADJECTIVES), rng.choice(vocab.NOUNS)
            if pattern == 0:
                title = f"{adj} {noun}"
            elif pattern == 1:
                title = f"The {noun} of {_plural(rng.choice(vocab.NOUNS))}"
            elif pattern == 2:
                title = f"{_plural(noun)} in {rng.choice(vocab.PLACES)}"
            else:
                title = f"A {adj} {noun}"
        if title not in seen:
            seen.add(title)
            titles.append(title)
    return titles


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("s", "o", "h")) else "s")


def _forced_ratings(rng: random.Random, count: int) -> dict[int, int]:
    """Guarantee at least two warning-gated (R) and two age-consent (NC-17) stories."""
    if count < 6:
        return {count - 1: 5} if count > 2 else {}
    picks = rng.sample(range(2, count), 4)
    return {picks[0]: 4, picks[1]: 4, picks[2]: 5, picks[3]: 5}


def _members_only_index(count: int, forced: dict[int, int]) -> int | None:
    for index in range(count - 1, 1, -1):
        if index not in forced:
            return index
    return None


def _story(model: ArchiveModel, rng: random.Random, sid: int, title: str, uid: int, rid: int,
           n_chapters: int, members_only: bool) -> Story:
    catids = [rng.choice(list(model.categories))]
    if rng.random() < 0.15:  # crossovers
        other = rng.choice([c for c in model.categories if c != catids[0]])
        catids.append(other)
    pool = [c.charid for c in model.characters.values() if c.catid in catids]
    charids = sorted(rng.sample(pool, min(len(pool), rng.randint(1, 3))))
    pairings: list[str] = []
    if len(charids) >= 2 and rng.random() < 0.5:
        a, b = rng.sample(charids, 2)
        pairings.append(f"{model.characters[a].name}/{model.characters[b].name}")
    genre_ids = [c.classid for c in model.classes.values() if c.type_title == "Genre"]
    warning_ids = [c.classid for c in model.classes.values() if c.type_title == "Warnings"]
    classids = sorted(rng.sample(genre_ids, rng.randint(1, 3)))
    classids += sorted(rng.sample(warning_ids, rng.choice((0, 0, 1, 2))))

    published = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
    day = published
    chapters = []
    for number in range(1, n_chapters + 1):
        if number > 1:
            day = min(day + timedelta(days=rng.randint(1, 90)), EPOCH.date() - timedelta(days=1))
        chapters.append(_chapter(model, rng, number, title if n_chapters == 1 else None))
    return Story(
        sid=sid,
        title=title,
        uid=uid,
        rid=rid,
        catids=catids,
        charids=charids,
        classids=classids,
        pairings=pairings,
        summary=_summary(rng, title),
        notes=_sentence(rng) if rng.random() < 0.5 else None,
        completed=rng.random() < 0.7,
        published=published,
        updated=day,
        chapters=chapters,
        modified=story_modified(day),
        reads=rng.randint(10, 50000),
        reviews=rng.randint(0, 120),
        members_only=members_only,
        br_paragraphs=rng.random() < 0.4,
    )


def _chapter(model: ArchiveModel, rng: random.Random, number: int,
             title: str | None) -> Chapter:
    if title is None:
        if rng.random() < 0.4:
            title = f"Chapter {number}"
        else:
            title = f"{rng.choice(vocab.ADJECTIVES)} {rng.choice(vocab.NOUNS)}"
            if rng.random() < 0.15:
                title += f" & {rng.choice(vocab.NOUNS)}"
    chapter = Chapter(
        chapid=model.next_chapid,
        number=number,
        title=title,
        notes=_sentence(rng) if rng.random() < 0.5 else None,
        end_notes=_sentence(rng) if rng.random() < 0.3 else None,
        paragraphs=[_paragraph(rng) for _ in range(rng.randint(3, 8))],
        reviews=rng.randint(0, 15),
    )
    model.next_chapid += 1
    return chapter


def _summary(rng: random.Random, title: str) -> str:
    parts = [_sentence(rng) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        parts[0] = f"<i>{esc_text(title)}</i>: {parts[0]}"
    return "<br /><br />".join(parts)


def _sentence(rng: random.Random, words: int | None = None) -> str:
    """One HTML-escaped sentence, sometimes with an ``&`` or an italic phrase."""
    picked = rng.choices(vocab.WORDS, k=words or rng.randint(6, 16))
    if rng.random() < 0.1:
        picked.insert(rng.randrange(1, len(picked)), "&")
    text = " ".join(picked)
    text = text[0].upper() + text[1:] + rng.choice(vocab.PUNCT_END)
    html = esc_text(text)
    if rng.random() < 0.15:
        first, _, rest = html.partition(" ")
        html = f"<i>{first}</i> {rest}"
    return html


def _paragraph(rng: random.Random) -> str:
    sentences = [_sentence(rng) for _ in range(rng.randint(2, 6))]
    if rng.random() < 0.3:
        # Curly quotes and apostrophes: cp1252 has them, Latin-1 does not.
        spoken = _sentence(rng, rng.randint(3, 8)).rstrip(".!?…")
        sentences.insert(0, f"“{spoken},” {rng.choice(vocab.SAID)} — it’s late.")
    return " ".join(sentences)


def _series(model: ArchiveModel, rng: random.Random) -> None:
    by_author: dict[int, list[int]] = {}
    for story in model.stories.values():
        by_author.setdefault(story.uid, []).append(story.sid)
    candidates = sorted((uid for uid, sids in by_author.items() if len(sids) >= 2),
                        key=lambda uid: -len(by_author[uid]))
    for seriesid, uid in enumerate(candidates[:3], start=1):
        sids = by_author[uid]
        chosen = rng.sample(sids, min(len(sids), rng.randint(2, 4)))
        chosen.sort(key=lambda s: (model.stories[s].published, s))
        title = f"The {rng.choice(vocab.NOUNS)} Cycle"
        model.series[seriesid] = Series(seriesid, title, _sentence(rng), uid, chosen)
