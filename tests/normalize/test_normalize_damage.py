"""Words run together where punctuation was deleted: flagged, never changed."""

from __future__ import annotations

from pathlib import Path

from fanarchive.normalize.damage import find_joined_words, joined_words_in
from fanarchive.normalize.text import tokens

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "plaintext" / "seed_following.txt"


def test_seed_story_joined_words_are_found() -> None:
    found = find_joined_words(SEED.read_text(encoding="utf-8"))
    for word in ("thereand", "youbut", "backcoming", "mehas"):
        assert word in found
    assert "chainsmoking" not in found
    assert "spiderwebbed" not in found
    assert "razorblades" not in found


def test_found_in_order_of_appearance() -> None:
    text = "She let him be thereand now nothing. I love youbut she'd go. backcoming to mehas it"
    assert find_joined_words(text) == ["thereand", "youbut", "backcoming", "mehas"]


def test_real_compounds_and_rare_words_are_not_damage() -> None:
    text = ("He stood chainsmoking, spiderwebbed with shadows; razorblades, overthinking it, "
            "nevermind, inbetween, eachother, alot, hahaha, nonono, patrollin', somewhere, "
            "himself, outside, tonight, upstairs, everybody, whatever, cannot, into, without.")
    assert find_joined_words(text) == []


def test_capitalised_words_and_names_are_skipped() -> None:
    text = "Thereand Youbut MacLeod McCoy iPod eBay DeLuca LaToya O'Neill"
    assert find_joined_words(text) == []


def test_a_lost_sentence_break_before_a_capital() -> None:
    assert find_joined_words("I'm letting youI want you to") == ["youI"]
    assert find_joined_words("go hereWhat now") == ["hereWhat"]


def test_surrounding_punctuation_is_ignored() -> None:
    assert find_joined_words('"thereand," she said (youbut).') == ["thereand", "youbut"]


def test_limit_and_repeats() -> None:
    text = "thereand thereand youbut mehas backcoming"
    assert find_joined_words(text, limit=2) == ["thereand", "youbut"]


def test_threshold_is_configurable() -> None:
    # "back" and "coming" are both common; with an impossible threshold nothing qualifies.
    assert find_joined_words("backcoming", min_zipf=9.0) == []


def test_text_is_not_changed() -> None:
    text = SEED.read_text(encoding="utf-8")
    before = text
    joined_words_in(tokens(text))
    assert text == before
    assert "thereand" in text
