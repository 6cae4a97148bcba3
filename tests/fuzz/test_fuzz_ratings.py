"""Rating mapping over arbitrary and generated strings, with the shipped rating scales."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fanarchive.config import load_config
from fanarchive.normalize.ratings import NOT_RATED, RatingScales, map_rating, rating_tokens
from fanarchive.story import RATINGS

DEPTH = float(os.environ.get("FANARCHIVE_FUZZ_SCALE", "1"))  # 20: a deeper nightly pass
FUZZ = settings(max_examples=int(150 * DEPTH), deadline=None, derandomize=True, database=None)

SCALES: dict[str, Any] = load_config().section("ratings")
COMPILED = RatingScales(SCALES)
STRENGTH = {NOT_RATED: 0, "General Audiences": 1, "Teen And Up Audiences": 2, "Mature": 3,
            "Explicit": 4}
FALLBACK = set(SCALES.get("fallback", []))
# Every key of every shipped scale, as written in the config, with its canonical rating.
KEYS = sorted({(raw, canonical) for name, scale in SCALES["scales"].items()
               for raw, canonical in scale.items() if name not in FALLBACK})
FALLBACK_KEYS = sorted({(raw, canonical) for name in FALLBACK
                        for raw, canonical in SCALES["scales"][name].items()})
# Noise that can never form a token ("+" is one, letters and digits are), nor a gender pair.
NOISE = st.text(alphabet=" \t.,;:()[]{}!?*~=|<>\"'#-_/", max_size=12)
# A word that is no rating in any scale and no negation: keeps two keys from fusing.
NEUTRAL = " zzqx "


@FUZZ
@given(st.text(max_size=80))
def test_any_string_maps_to_a_canonical_rating_and_keeps_the_raw(raw: str) -> None:
    rating = map_rating(raw, SCALES)
    assert rating.canonical in RATINGS
    assert rating.raw == (raw if raw.strip() else None)
    assert map_rating(raw, SCALES) == rating  # deterministic, cache or not


@FUZZ
@given(st.sampled_from(KEYS), NOISE, NOISE, st.sampled_from([str, str.upper, str.lower]))
def test_a_known_rating_in_noise_maps_as_it_does_alone(key: tuple[str, str], before: str,
                                                       after: str, case: Any) -> None:
    raw, canonical = key
    written = f"{before}{case(raw)}{after}"
    assert map_rating(written, SCALES).canonical == canonical, written
    assert map_rating(written, SCALES).raw == written


@FUZZ
@given(st.sampled_from(FALLBACK_KEYS), NOISE, NOISE)
def test_rating_words_count_when_no_code_is_there(key: tuple[str, str], before: str,
                                                  after: str) -> None:
    raw, canonical = key
    written = f"{before}{raw}{after}"
    assert map_rating(written, SCALES).canonical == canonical, written


@FUZZ
@given(st.lists(st.sampled_from(KEYS), min_size=2, max_size=4), NOISE)
def test_the_strongest_of_several_codes_wins(keys: list[tuple[str, str]], noise: str) -> None:
    written = NEUTRAL.join(f"{noise}{raw}{noise}" for raw, _ in keys)
    expected = max((canonical for _, canonical in keys), key=STRENGTH.__getitem__)
    assert map_rating(written, SCALES).canonical == expected, written


@FUZZ
@given(st.sampled_from(KEYS), NOISE)
def test_a_negated_code_does_not_count(key: tuple[str, str], noise: str) -> None:
    raw, _ = key
    assert map_rating(f"not {raw}{noise}", SCALES).canonical == NOT_RATED


@FUZZ
@given(st.text(alphabet=" .,;:!?-'\"()", max_size=30))
def test_no_tokens_means_not_rated(raw: str) -> None:
    assert rating_tokens(raw) == ()
    assert map_rating(raw, SCALES).canonical == NOT_RATED
