"""Text fingerprints: what counts as the same story, a near copy, or too short to tell."""

from __future__ import annotations

import random

from fanarchive.store.fingerprint import MIN_WORDS, WINDOW, WINDOWS, fingerprint, similarity

VOCABULARY = ("the night was cold and she walked along the river thinking of what he had said "
              "before the war ended nobody knew whether the letters would ever arrive but he "
              "kept writing them anyway every evening by the window with the lamp turned low "
              "Buffy Spike Giles Willow graveyard stake crypt library").split()


def _story(seed: int, words: int) -> str:
    rng = random.Random(seed)
    sentences = []
    while words > 0:
        n = min(words, rng.randint(8, 20))
        sentences.append(" ".join(rng.choice(VOCABULARY) for _ in range(n)).capitalize() + ".")
        words -= n
    return "\n\n".join(" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5))


def test_too_short_to_identify() -> None:
    assert fingerprint(["A link: http://example.org/story"]) is None
    assert fingerprint([" ".join(["word"] * (MIN_WORDS - 1))]) is None
    assert fingerprint([" ".join(["word"] * MIN_WORDS)]) is not None


def test_wrapping_case_and_punctuation_do_not_matter() -> None:
    text = _story(1, 900)
    rewrapped = text.replace(" ", "\n").upper().replace(".", " !")
    a, b = fingerprint([text]), fingerprint([rewrapped])
    assert a is not None and b is not None
    assert a.text_hash == b.text_hash and a.signature == b.signature and a.words == b.words


def test_lost_punctuation_matches_the_clean_copy() -> None:
    # The seed's damage: "there—and" came out as "thereand".
    clean = _story(2, 300) + " He was there—and now nothing. I love you—but."
    damaged = _story(2, 300) + " He was thereand now nothing. I love youbut."
    a, b = fingerprint([clean]), fingerprint([damaged])
    assert a is not None and b is not None and a.text_hash == b.text_hash


def test_unicode_spaces_and_quotes_fold_like_ascii_ones() -> None:
    text = _story(3, 400)
    fancy = text.replace(" ", "\u00a0", 40).replace("he ", "“he” ", 5)
    plain = text.replace("he ", '"he" ', 5)
    a, b = fingerprint([fancy]), fingerprint([plain])
    assert a is not None and b is not None and a.text_hash == b.text_hash


def test_word_count_is_the_folded_text_split() -> None:
    text = _story(4, 5000)
    printed = fingerprint(["Title line", text])
    assert printed is not None
    assert printed.words == len(("Title line\n" + text).replace(".", " ").split())


def test_different_stories_differ() -> None:
    a, b = fingerprint([_story(5, 3000)]), fingerprint([_story(6, 3000)])
    assert a is not None and b is not None
    assert a.text_hash != b.text_hash
    assert similarity(a.signature, b.signature) < 0.2


def test_an_edited_long_copy_is_a_near_duplicate() -> None:
    # Long enough that MinHash reads windows, not the whole text; the copy gained a paragraph
    # near the start and lost a sentence near the end, so every window shifted a little.
    original = _story(7, WINDOWS * WINDOW * 4)
    paragraphs = original.split("\n\n")
    edited = "\n\n".join([paragraphs[0], "A mirror's note about this copy.", *paragraphs[1:-1],
                          paragraphs[-1][40:]])
    a, b = fingerprint([original]), fingerprint([edited])
    assert a is not None and b is not None
    assert a.text_hash != b.text_hash
    assert similarity(a.signature, b.signature) >= 0.7


def test_the_same_text_in_chapters_or_whole_is_the_same_story() -> None:
    text = _story(8, 4000)
    paragraphs = text.split("\n\n")
    half = len(paragraphs) // 2
    whole = fingerprint([text])
    chapters = fingerprint(["\n\n".join(paragraphs[:half]), "\n\n".join(paragraphs[half:])])
    assert whole is not None and chapters is not None
    assert whole.text_hash == chapters.text_hash and whole.signature == chapters.signature
