"""Authors with e-mail addresses in any of the forms legacy headers use."""

from __future__ import annotations

import re

from fanarchive.story import Author

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def parse_authors(value: str | list[str] | None, email: str | None = None) -> list[Author]:
    if not value:
        return []
    items = value if isinstance(value, list) else re.split(r"\s*(?:,|&|\band\b)\s*", value)
    authors: list[Author] = []
    for item in items:
        found = _EMAIL.search(item)
        mail = found.group(0) if found else None
        name = _EMAIL.sub("", item).strip(" <>()[]\t")
        if not name and mail:
            name = mail.split("@")[0]
        if name:
            authors.append(Author(name=name, email=mail))
    if email and len(authors) == 1 and authors[0].email is None:
        found = _EMAIL.search(email)
        authors[0] = Author(authors[0].name, found.group(0) if found else None)
    return authors
