"""Author headers with addresses in every common form."""

from __future__ import annotations

import pytest

from fanarchive.normalize.authors import deobfuscate_emails, find_emails, parse_authors
from fanarchive.story import Author

K = Author("Katjen", "katjen@aol.com")


@pytest.mark.parametrize(
    "raw",
    [
        "Katjen <katjen@aol.com>",
        "katjen@aol.com (Katjen)",
        "Katjen (katjen@aol.com)",
        "Katjen [katjen@aol.com]",
        "Katjen - katjen@aol.com",
        "Katjen -- katjen@aol.com",
        "Katjen: katjen@aol.com.",
        "by Katjen <mailto:katjen@aol.com>",
        "Katjen katjen at aol dot com",
        "Katjen (katjen [at] aol [dot] com)",
        "Katjen (katjen(at)aol(dot)com)",
        "Katjen <katjen AT aol DOT com>",
        "Katjen (katjen @ aol . com)",
        "Katjen <katjenNOSPAM@AOL.com>",
    ],
)
def test_one_author_with_address(raw: str) -> None:
    assert parse_authors(raw) == [K]


def test_bare_address_gives_its_local_part_as_name() -> None:
    assert parse_authors("katjen@aol.com") == [Author("katjen", "katjen@aol.com")]


def test_name_only() -> None:
    assert parse_authors("Katjen") == [Author("Katjen")]
    assert parse_authors("  ") == []
    assert parse_authors(None) == []


def test_homepage_is_not_part_of_the_name() -> None:
    assert parse_authors("Katjen (http://www.geocities.com/katjen/)") == [Author("Katjen")]


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Katjen and Mia", ["Katjen", "Mia"]),
        ("Katjen & Mia", ["Katjen", "Mia"]),
        ("Katjen, Mia", ["Katjen", "Mia"]),
        ("Katjen; Mia", ["Katjen", "Mia"]),
        ("Katjen, Mia and Bob", ["Katjen", "Mia", "Bob"]),
        ("Katjen, Mia & Bob", ["Katjen", "Mia", "Bob"]),
        ("Jane Doe & John Smith", ["Jane Doe", "John Smith"]),
        ("Sam & Dean Fan", ["Sam & Dean Fan"]),
        ("Beauty and the Beast", ["Beauty and the Beast"]),
        ("Rock and Roll Girl", ["Rock and Roll Girl"]),
        ("Katjen, Katjen", ["Katjen"]),
    ],
)
def test_several_authors(raw: str, names: list[str]) -> None:
    assert [a.name for a in parse_authors(raw)] == names


def test_several_authors_with_addresses() -> None:
    assert parse_authors("Katjen <katjen@aol.com> & Mia Fan <mia@example.org>") == [
        K, Author("Mia Fan", "mia@example.org")]
    assert parse_authors("katjen at aol dot com and mia at example dot org") == [
        Author("katjen", "katjen@aol.com"), Author("mia", "mia@example.org")]


def test_email_header_beside_author_header() -> None:
    assert parse_authors("Katjen", "katjen@aol.com") == [K]
    assert parse_authors("Katjen", "Katjen <katjen at aol dot com>") == [K]
    assert parse_authors("Katjen <katjen@aol.com>", "other@example.org") == [K]


def test_email_header_with_several_addresses_in_order() -> None:
    assert parse_authors("Katjen and Mia", "katjen@aol.com, mia@example.org") == [
        K, Author("Mia", "mia@example.org")]


def test_email_header_matched_by_name() -> None:
    assert parse_authors("Mia, Katjen", "Katjen <katjen@aol.com>") == [
        Author("Mia"), K]


def test_email_header_that_does_not_fit_is_not_guessed() -> None:
    assert parse_authors("Katjen, Mia, Bob", "one@example.org, two@example.org") == [
        Author("Katjen"), Author("Mia"), Author("Bob")]


def test_email_header_alone() -> None:
    assert parse_authors(None, "Katjen <katjen@aol.com>") == [K]


def test_list_from_parser_is_not_split_again() -> None:
    assert parse_authors(["Sam and Dean", "Katjen <katjen@aol.com>"]) == [Author("Sam and Dean"), K]


def test_deobfuscation_leaves_prose_alone() -> None:
    assert deobfuscate_emails("Katjen at the Bronze") == "Katjen at the Bronze"
    assert deobfuscate_emails("meet at home. Com") == "meet at home. Com"
    assert find_emails("write to k at aol dot co dot uk!") == ["k@aol.co.uk"]


@pytest.mark.parametrize(
    ("raw", "authors"),
    [
        # One address after (or before) an "&" pair: a writing team's pen name.
        ("Kai & Jun <kai-jun@example.org>", [Author("Kai & Jun", "kai-jun@example.org")]),
        ("kai-jun@example.org (Kai & Jun)", [Author("Kai & Jun", "kai-jun@example.org")]),
        ("Kai + Jun - kai-jun at example dot org", [Author("Kai + Jun", "kai-jun@example.org")]),
        # Each name with its own address, or the address on the first name only: two people.
        ("Kai <kai@example.org> & Jun <jun@example.org>",
         [Author("Kai", "kai@example.org"), Author("Jun", "jun@example.org")]),
        ("Kai <kai@example.org> & Jun", [Author("Kai", "kai@example.org"), Author("Jun")]),
        # "and" lists people even with one shared address; so does a comma list.
        ("Anne and Bob <ab@example.org>", [Author("Anne"), Author("Bob", "ab@example.org")]),
        ("Mab, Kai & Jun <kj@example.org>",
         [Author("Mab"), Author("Kai"), Author("Jun", "kj@example.org")]),
        # No address at all: the word-count rule decides, as before.
        ("Kai & Jun", [Author("Kai"), Author("Jun")]),
    ],
)
def test_ampersand_pair_sharing_one_address_is_one_pen_name(raw: str,
                                                             authors: list[Author]) -> None:
    assert parse_authors(raw) == authors


def test_ampersand_pen_name_from_a_parser_list_with_the_email_header() -> None:
    # The HTML parser passes link-delimited names as a list: never split again.
    assert parse_authors(["Kai & Jun"], "kai-jun@example.org") == [
        Author("Kai & Jun", "kai-jun@example.org")]
