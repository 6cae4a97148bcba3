"""Authors with e-mail addresses in any of the forms legacy headers use.

"Name <mail>", "mail (Name)", "Name (mail)", "Name [mail]", "Name - mail", a bare address,
addresses obfuscated against spam harvesters ("name at domain dot com"), several authors in one
header, and an Email header beside the Author header.
"""

from __future__ import annotations

import re

from fanarchive.normalize.text import one_line
from fanarchive.story import Author

__all__ = ["parse_authors", "find_emails", "deobfuscate_emails"]

EMAIL = re.compile(r"[\w.+\-']+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}")

# "name at domain dot com", "name [at] domain [dot] com", "name(at)domain(dot)com",
# "name @ domain . com". A top-level domain must end it, so prose such as "Sam at home" stays.
_AT = r"(?:\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*|\s+at\s+|\s*@\s*)"
_DOT = r"(?:\s*[\[({<]\s*(?:dot|\.)\s*[\])}>]\s*|\s+dot\s+|\s+\.\s+|\.)"
_OBFUSCATED = re.compile(
    rf"(?P<local>[\w.+\-]+){_AT}(?P<domain>[A-Za-z0-9\-]+(?:{_DOT}[A-Za-z0-9\-]+)*)"
    rf"{_DOT}(?P<tld>com|net|org|edu|gov|mil|info|biz|[a-z]{{2}})\b",
    re.IGNORECASE,
)
_DOT_SPLIT = re.compile(_DOT, re.IGNORECASE)
# Harvest-proofing inserted into real addresses: "katjenNOSPAM@aol.com".
_NOSPAM = re.compile(r"[._\-]?(?:no-?spam|removethis|remove-this)[._\-]?", re.IGNORECASE)

_BY = re.compile(r"^(?:written\s+by|by|author\s*:)\s+", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMPTY_BRACKETS = re.compile(r"[(<\[{]\s*[)>\]}]")
_LONE_PUNCTUATION = re.compile(r"(?<!\S)[^\w\s&+]+(?!\S)")
_TRIM = " \t<>()[]{}-–—:,;|\"'"
_LIST = re.compile(r"\s*[,;]\s*")
_AND = re.compile(r"\s+(?:and|&|\+)\s+|\s*&\s*", re.IGNORECASE)


def deobfuscate_emails(text: str) -> str:
    """Turn "name at domain dot com" and friends into "name@domain.com"."""
    if "@" not in text and not re.search(r"\bat\b|\[at\]|\(at\)", text, re.IGNORECASE):
        return text

    def rebuild(match: re.Match[str]) -> str:
        domain = ".".join(_DOT_SPLIT.split(match.group("domain")))
        return f"{match.group('local')}@{domain}.{match.group('tld')}"

    return _OBFUSCATED.sub(rebuild, text)


def _clean_email(mail: str) -> str:
    local, _, domain = mail.partition("@")
    local = _NOSPAM.sub("", local) or local
    domain = _NOSPAM.sub("", domain) or domain
    return f"{local}@{domain.lower()}"


def find_emails(text: str | None) -> list[str]:
    if not text:
        return []
    return [_clean_email(m) for m in EMAIL.findall(deobfuscate_emails(text.replace("mailto:", "")))]


def _words(part: str) -> int:
    return len(EMAIL.sub(" ", part).strip(_TRIM).split())


def _shared_address(chunk: str, parts: list[str]) -> bool:
    """``chunk`` ("Kai & Jun <kaijun@x>") is one pen name: joined by "&" and one address after.

    Writing teams sign with an ampersand ("Kai & Jun", "Te & Kat") and share one contact
    address, written once after the pair; two people credited together each give their own
    address, or give it after their own name ("Anne <a@x> & Bob"). So an address that only
    the pair as a whole can own makes it one author. "and" is left out on purpose: in a byline
    it lists people ("Ines Moreau and Joel Park" with a shared list address is two writers),
    while "&" is the glue teams put inside their name.
    """
    joiners = {j.strip().lower() for j in _AND.findall(chunk)}
    if not joiners <= {"&", "+"}:
        return False
    if len(EMAIL.findall(chunk)) != 1:
        return False
    # After the last name ("Kai & Jun <kj@x>") or before the first ("kj@x (Kai & Jun)").
    return bool(EMAIL.search(parts[-1]) or EMAIL.match(parts[0].lstrip(_TRIM)))


def _split(value: str) -> list[str]:
    """Several authors in one header: "A, B and C", "A <a@x> & B <b@y>", "A and B".

    "&" and "and" also occur inside pen names ("Sam & Dean Fan", "Beauty and the Beast"), so a
    lone pair is split only when both sides carry an address or have the same number of words,
    and never when it shares one address (:func:`_shared_address`).
    """
    chunks = [c for c in _LIST.split(value) if c.strip()]
    listed = len(chunks) > 1
    out: list[str] = []
    for chunk in chunks:
        parts = [p for p in _AND.split(chunk) if p.strip()]
        if len(parts) > 1 and (
            listed
            or all(EMAIL.search(p) for p in parts)
            or len({_words(p) for p in parts}) == 1 and _words(parts[0]) <= 3
        ) and (listed or not _shared_address(chunk, parts)):
            out.extend(parts)
        else:
            out.append(chunk)
    return out


def _parse_one(item: str) -> Author | None:
    text = one_line(_BY.sub("", item.strip())) or ""
    text = deobfuscate_emails(text.replace("mailto:", ""))
    found = EMAIL.search(text)
    mail = _clean_email(found.group(0)) if found else None
    rest = EMAIL.sub(" ", text) if found else text
    rest = _LONE_PUNCTUATION.sub(" ", _EMPTY_BRACKETS.sub(" ", _URL.sub(" ", rest)))
    name = one_line(rest.strip(_TRIM)) or ""
    name = _EMPTY_BRACKETS.sub("", name).strip(_TRIM)
    if not name and mail:
        name = mail.split("@")[0]
    return Author(name=name, email=mail) if name else None


def parse_authors(value: str | list[str] | None, email: str | None = None) -> list[Author]:
    """Authors from an Author header (a string, or a list a parser already split) and an
    optional Email header whose addresses are matched to authors without one."""
    items: list[str] = []
    if isinstance(value, list):
        items = [v for v in value if v and v.strip()]
    elif value and value.strip():
        items = _split(deobfuscate_emails(value))
    authors: list[Author] = []
    for item in items:
        author = _parse_one(item)
        if author and all(a.name != author.name for a in authors):
            authors.append(author)
    if email:
        authors = _attach_emails(authors, email)
    return authors


def _attach_emails(authors: list[Author], header: str) -> list[Author]:
    listed = [a for a in (_parse_one(p) for p in _split(deobfuscate_emails(header))) if a]
    listed = [a for a in listed if a.email]
    if not listed:
        return authors
    if not authors:
        return listed
    by_name = {a.name.casefold(): a.email for a in listed}
    unused = [a.email for a in listed if a.name.casefold() not in
              {b.name.casefold() for b in authors}]
    missing = [a for a in authors if a.email is None and a.name.casefold() not in by_name]
    # Addresses go to authors of the same name first, then in order when the counts agree.
    spare = iter(unused) if len(unused) == len(missing) else iter(())
    out: list[Author] = []
    for author in authors:
        if author.email is None:
            mail = by_name.get(author.name.casefold()) or next(spare, None)
            author = Author(author.name, mail)
        out.append(author)
    return out
