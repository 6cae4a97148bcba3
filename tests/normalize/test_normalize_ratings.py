"""Legacy ratings, kept raw, mapped to AO3's ratings through configurable scales."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from fanarchive.config import default_config_dir, load_config
from fanarchive.errors import UsageError
from fanarchive.normalize.ratings import RatingScales, map_rating, rating_tokens
from fanarchive.story import RATINGS, Rating

G, T, M, E, NR = RATINGS


@pytest.fixture(scope="module")
def ratings() -> dict[str, Any]:
    return load_config().section("ratings")


# Raw ratings as legacy archives wrote them.
TABLE = [
    # MPAA and its spellings
    ("G", G), ("PG", G), ("Rated G", G), ("Rating: PG", G), ("pg", G),
    ("PG-13", T), ("PG13", T), ("PG 13", T), ("pg-13", T), ("Strong PG13", T),
    ("Strong PG-13", T), ("PG-13 (violence)", T), ("PG13+", T), ("PG-13ish", T),
    ("PG-13 for mature themes", T), ("PG-13, nothing explicit", T), ("PG–13", T),
    ("R", M), ("rated R", M), ("Rated: R", M), ("R for language", M), ("R (M/M)", M),
    ("Hard R", M), ("R-ish", M), ("PG-13 to R", M), ("PG-15", M), ("R16", M),
    ("NC-17", E), ("NC17", E), ("nc-17", E), ("NC 17", E), ("NC-17 for sex", E),
    ("NC-17 (adult)", E), ("R/NC-17", E), ("X", E), ("XXX", E), ("R-18", E), ("R18", E),
    # FanFiction.Net / fictionratings letters
    ("K", G), ("K+", G), ("T", T), ("M", M), ("MA", E), ("Fiction Rated: T", T),
    ("Rated: Fiction M", M),
    # Fiction Rating system
    ("FRC", G), ("FR7", G), ("FR13", T), ("FRT", T), ("FR15", M), ("FRM", M), ("FR18", E),
    ("FRAO", E), ("FR-13", T), ("fr 15", M),
    # UK and ages
    ("U", G), ("12", T), ("12A", T), ("13+", T), ("15", M), ("18", E), ("18+", E),
    # words
    ("Adult", E), ("Adults Only", E), ("ADULTS ONLY", E), ("Mature", M), ("Explicit", E),
    ("Teen", T), ("Teens", T), ("General", G), ("All Ages", G), ("Gen", G), ("Everyone", G),
    ("Young Adult", T), ("Mature Audiences Only", M), ("Lemon", E),
    # AO3's own names
    ("General Audiences", G), ("Teen And Up Audiences", T), ("Not Rated", NR), ("Unrated", NR),
    # negations and noise
    ("not explicit", NR), ("PG (M/F)", G), ("M/M, NC-17", E), ("None", NR),
    ("Rated", NR), ("hmm", NR), ("Ratings are for movies", NR), ("Graphic", NR),
    ("Prated", NR), ("Reader discretion", NR),
]


@pytest.mark.parametrize(("raw", "canonical"), TABLE)
def test_rating_table(raw: str, canonical: str, ratings: dict[str, Any]) -> None:
    assert map_rating(raw, ratings) == Rating(raw=raw, canonical=canonical)


def test_missing_rating_is_not_rated(ratings: dict[str, Any]) -> None:
    assert map_rating(None, ratings) == Rating(None, NR)
    assert map_rating("   ", ratings) == Rating(None, NR)


def test_raw_is_kept_exactly(ratings: dict[str, Any]) -> None:
    assert map_rating("Strong PG13", ratings).raw == "Strong PG13"


def test_tokens_separate_letters_digits_and_plus() -> None:
    assert rating_tokens("Strong PG-13+") == ("strong", "pg", "13", "+")
    assert rating_tokens("NC17") == ("nc", "17")
    assert rating_tokens("Rated") == ("rated",)


def test_shipped_scales_are_named_and_agree_with_each_other() -> None:
    with (default_config_dir() / "ratings.toml").open("rb") as fh:
        shipped = tomllib.load(fh)
    assert {"mpaa", "fictionratings", "frc", "uk", "words"} <= set(shipped["scales"])
    seen: dict[tuple[str, ...], str] = {}
    for scale in shipped["scales"].values():
        for raw, canonical in scale.items():
            assert canonical in RATINGS
            key = rating_tokens(raw)
            assert seen.setdefault(key, canonical) == canonical, raw


def test_a_user_scale_is_added_through_the_config_file(tmp_path: Path) -> None:
    user = tmp_path / "mine.toml"
    user.write_text('[ratings.scales.colours]\nGreen = "General Audiences"\nRed = "Explicit"\n'
                    '[ratings.scales.mpaa]\nPG = "Teen And Up Audiences"\n', encoding="utf-8")
    section = load_config(user).section("ratings")
    assert map_rating("Red", section).canonical == E
    assert map_rating("green", section).canonical == G
    assert map_rating("PG", section).canonical == T  # one entry overridden
    assert map_rating("NC-17", section).canonical == E  # the rest still shipped


def test_fallback_scales_only_count_when_no_code_matched() -> None:
    scales = RatingScales({"fallback": ["words"],
                           "scales": {"codes": {"PG": G}, "words": {"explicit": E}}})
    assert scales.canonical("PG, but explicit") == G
    assert scales.canonical("explicit") == E


def test_the_first_layout_still_works() -> None:
    scales = RatingScales({"canonical": {"Explicit": ["NC-17"], "General Audiences": ["G"]}})
    assert scales.canonical("nc17") == E
    assert scales.canonical("G") == G


def test_a_wrong_canonical_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Scary"):
        RatingScales({"scales": {"mine": {"Z": "Scary"}}})


def test_canonical_names_are_accepted_in_any_case() -> None:
    assert RatingScales({"scales": {"mine": {"Z": "explicit"}}}).canonical("Z") == E
