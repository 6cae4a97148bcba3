"""Fandom aliases, pairing initials and character names expanded per fandom."""

from __future__ import annotations

from pathlib import Path

import pytest

from fanarchive.config import load_config
from fanarchive.errors import UsageError
from fanarchive.normalize.fandoms import FandomMap

BTVS = "Buffy the Vampire Slayer"
ATS = "Angel: the Series"
XF = "The X-Files"
TOS = "Star Trek: The Original Series"
TNG = "Star Trek: The Next Generation"
DS9 = "Star Trek: Deep Space Nine"
VOY = "Star Trek: Voyager"
SG1 = "Stargate SG-1"
HP = "Harry Potter - J. K. Rowling"
DUE = "due South"
HL = "Highlander: The Series"
SENT = "The Sentinel"
SW = "Star Wars - All Media Types"


@pytest.fixture(scope="module")
def fm() -> FandomMap:
    return FandomMap(load_config().section("fandoms"))


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("BtVS", BTVS), ("btvs", BTVS), ("Buffy", BTVS), ("Buffy: The Vampire Slayer", BTVS),
        ("AtS", ATS), ("Angel", ATS), ("Angel the Series", ATS),
        ("XF", XF), ("X-Files", XF), ("the x files", XF), ("TXF", XF),
        ("TOS", TOS), ("ST:TOS", TOS), ("Star Trek: TOS", TOS), ("Star Trek (TOS)", TOS),
        ("TNG", TNG), ("ST:TNG", TNG), ("Star Trek: The Next Generation", TNG),
        ("DS9", DS9), ("Deep Space Nine", DS9), ("VOY", VOY), ("Voyager", VOY),
        ("ST: VOY", VOY), ("SG-1", SG1), ("SG1", SG1), ("Stargate", SG1), ("HP", HP),
        ("Harry Potter", HP), ("Due South", DUE), ("dS", DUE), ("Highlander", HL),
        ("HL", HL), ("The Sentinel", SENT), ("Sentinel", SENT), ("TS", SENT),
        ("Star Wars", SW), ("SW", SW),
        ("Blake's 7", "Blake's 7"), ("  Some  Unknown Fandom ", "Some Unknown Fandom"),
    ],
)
def test_canonical_fandom(fm: FandomMap, raw: str, canonical: str) -> None:
    assert fm.canonical_fandom(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "fandoms"),
    [
        ("BtVS, Angel", [BTVS, ATS]),
        ("BtVS/AtS crossover", [BTVS, ATS]),
        ("Crossover: BtVS / SG-1", [BTVS, SG1]),
        ("DS9 & Voyager", [DS9, VOY]),
        ("BtVS; BtVS", [BTVS]),
        (["XF", "The X-Files"], [XF]),
        ("Law and Order", ["Law and Order"]),
        ("Lois & Clark", ["Lois & Clark"]),
        ("Fate/stay night", ["Fate/stay night"]),
        ("none", []),
        (None, []),
    ],
)
def test_fandom_lists(fm: FandomMap, raw: str | list[str] | None, fandoms: list[str]) -> None:
    assert fm.fandoms(raw) == fandoms


@pytest.mark.parametrize(
    ("raw", "fandom", "expected"),
    [
        ("B/S", BTVS, ["Buffy Summers/Spike"]),
        ("S/X", BTVS, ["Spike/Xander Harris"]),
        ("Spike/Buffy", BTVS, ["Spike/Buffy Summers"]),
        ("b/s", BTVS, ["Buffy Summers/Spike"]),
        ("M/Sc", XF, ["Fox Mulder/Dana Scully"]),
        ("M/S", XF, ["Fox Mulder/Dana Scully"]),
        ("Mulder/Scully", XF, ["Fox Mulder/Dana Scully"]),
        ("M/K", XF, ["Fox Mulder/Alex Krycek"]),
        ("MSR", XF, ["Fox Mulder/Dana Scully"]),
        ("J/D", SG1, ["Jack O'Neill/Daniel Jackson"]),
        ("Jack/Daniel", SG1, ["Jack O'Neill/Daniel Jackson"]),
        ("O'Neill/Jackson", SG1, ["Jack O'Neill/Daniel Jackson"]),
        ("Sam/Jack", SG1, ["Samantha Carter/Jack O'Neill"]),
        ("F/RK", DUE, ["Benton Fraser/Ray Kowalski"]),
        ("Fraser/Kowalski", DUE, ["Benton Fraser/Ray Kowalski"]),
        ("F/RV", DUE, ["Benton Fraser/Ray Vecchio"]),
        ("Ray K./Fraser", DUE, ["Ray Kowalski/Benton Fraser"]),
        ("Fraser/Ray", DUE, ["Benton Fraser/Ray"]),  # two Rays: left as written
        ("J/B", SENT, ["Jim Ellison/Blair Sandburg"]),
        ("Jim/Blair", SENT, ["Jim Ellison/Blair Sandburg"]),
        ("H/D", HP, ["Harry Potter/Draco Malfoy"]),
        ("HP/SS", HP, ["Harry Potter/Severus Snape"]),
        ("R/S", HP, ["Remus Lupin/Sirius Black"]),
        ("Drarry", HP, ["Draco Malfoy/Harry Potter"]),
        ("K/S", TOS, ["James T. Kirk/Spock"]),
        ("Kirk/Spock", TOS, ["James T. Kirk/Spock"]),
        ("K/S/Mc", TOS, ["James T. Kirk/Spock/Leonard McCoy"]),
        ("P/Q", TNG, ["Jean-Luc Picard/Q"]),
        ("Picard/Crusher", TNG, ["Jean-Luc Picard/Beverly Crusher"]),
        ("G/B", DS9, ["Elim Garak/Julian Bashir"]),
        ("Garak/Bashir", DS9, ["Elim Garak/Julian Bashir"]),
        ("J/C", VOY, ["Kathryn Janeway/Chakotay"]),
        ("P/T", VOY, ["Tom Paris/B'Elanna Torres"]),
        ("J/7", VOY, ["Kathryn Janeway/Seven of Nine"]),
        ("D/M", HL, ["Duncan MacLeod/Methos"]),
        ("Mac/Methos", HL, ["Duncan MacLeod/Methos"]),
        ("L/H", SW, ["Luke Skywalker/Han Solo"]),
        ("Obi-Wan/Qui-Gon", SW, ["Obi-Wan Kenobi/Qui-Gon Jinn"]),
        ("Padme/Anakin", SW, ["Padmé Amidala/Anakin Skywalker"]),
    ],
)
def test_pairings_expand_per_fandom(fm: FandomMap, raw: str, fandom: str,
                                    expected: list[str]) -> None:
    assert fm.relationships(raw, [fandom]) == expected


def test_romantic_and_platonic_separators_are_kept(fm: FandomMap) -> None:
    assert fm.relationships("B/S, B&W, Buffy & Dawn", [BTVS]) == [
        "Buffy Summers/Spike", "Buffy Summers & Willow Rosenberg", "Buffy Summers & Dawn Summers"]


def test_lists_split_on_commas_semicolons_and_and(fm: FandomMap) -> None:
    assert fm.relationships("B/S, W/T; X/A and G/J", [BTVS]) == [
        "Buffy Summers/Spike", "Willow Rosenberg/Tara Maclay", "Xander Harris/Angel",
        "Rupert Giles/Joyce Summers"]


@pytest.mark.parametrize("raw", ["none", "None", "gen", "Gen", "n/a", "N/A", "no pairing", "-"])
def test_no_relationship(fm: FandomMap, raw: str) -> None:
    assert fm.relationships(raw, [BTVS]) == []


def test_unknown_fandom_keeps_raw_names(fm: FandomMap) -> None:
    assert fm.relationships("A/B, Avon/Blake", ["Blake's 7"]) == ["A/B", "Avon/Blake"]
    assert fm.relationships("B/S", []) == ["B/S"]


def test_repeats_and_reversed_pairs_collapse(fm: FandomMap) -> None:
    assert fm.relationships("B/S; S/B, Buffy/Spike", [BTVS]) == ["Buffy Summers/Spike"]
    # friendship and romance between the same people are different relationships
    assert fm.relationships("B/S, B&S", [BTVS]) == ["Buffy Summers/Spike",
                                                    "Buffy Summers & Spike"]


def test_qualifiers_are_kept_after_the_expanded_pairing(fm: FandomMap) -> None:
    assert fm.relationships("implied W/T, X/A (past)", [BTVS]) == [
        "Willow Rosenberg/Tara Maclay (implied)", "Xander Harris/Angel (past)"]


def test_single_names_are_not_relationships(fm: FandomMap) -> None:
    assert fm.relationships("Buffy, B/S", [BTVS]) == ["Buffy Summers/Spike"]


def test_anime_x_separator(fm: FandomMap) -> None:
    assert fm.relationships("Naruto x Sasuke", ["Naruto"]) == ["Naruto/Sasuke"]


def test_related_fandoms_resolve_umbrella_and_crossover(fm: FandomMap) -> None:
    # "Star Trek" names no series: the pairing is read in the first series knowing all names.
    assert fm.relationships("K/S", ["Star Trek"]) == ["James T. Kirk/Spock"]
    assert fm.relationships("J/C", ["Star Trek"]) == ["Kathryn Janeway/Chakotay"]
    # A crossover pairing takes each name from the fandom that has it.
    assert fm.relationships("Buffy/Jack", [BTVS, SG1]) == ["Buffy Summers/Jack O'Neill"]
    # Angel characters in a BtVS story
    assert fm.relationships("Cordelia/Wesley", [BTVS]) == [
        "Cordelia Chase/Wesley Wyndam-Pryce"]


def test_ambiguous_initials_across_crossover_fandoms_stay_raw(fm: FandomMap) -> None:
    assert fm.character("K", [DS9, VOY]) == "K"
    assert fm.character("Kira", [DS9, VOY]) == "Kira Nerys"


def test_characters_are_canonicalised(fm: FandomMap) -> None:
    assert fm.characters("Mulder, Scully, Skinner and Krycek", [XF]) == [
        "Fox Mulder", "Dana Scully", "Walter Skinner", "Alex Krycek"]
    assert fm.characters("Buffy, Spike, Dawn; Joyce, Willow/Tara", [BTVS]) == [
        "Buffy Summers", "Spike", "Dawn Summers", "Joyce Summers", "Willow Rosenberg",
        "Tara Maclay"]
    assert fm.characters("Summers, Nobody", [BTVS]) == ["Summers", "Nobody"]


def test_user_config_adds_a_fandom(tmp_path: Path) -> None:
    user = tmp_path / "mine.toml"
    user.write_text('[fandoms.fandom."Blake\'s 7"]\naliases = ["B7"]\n'
                    'characters = { A = "Kerr Avon", B = "Roj Blake" }\n', encoding="utf-8")
    fm = FandomMap(load_config(user).section("fandoms"))
    assert fm.fandoms("B7") == ["Blake's 7"]
    assert fm.relationships("A/B, Avon/Blake", ["Blake's 7"]) == ["Kerr Avon/Roj Blake"]
    assert fm.relationships("B/S", [BTVS]) == ["Buffy Summers/Spike"]  # shipped map intact


def test_bad_config_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        FandomMap({"fandom": {"X": {"characters": ["not", "a", "table"]}}})
