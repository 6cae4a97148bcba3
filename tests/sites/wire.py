"""Request and response values passed between the HTTP server and the site renderers.

Sites are plain functions of a :class:`Request`; they never touch sockets, which keeps them easy
to test and lets the server apply faults and conditional GET uniformly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from tests.sites.requestlog import Headers


@dataclass
class Request:
    method: str
    target: str  # exactly as sent: path plus query
    headers: Headers
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        # PHP also accepts ";" separators in old links, but Apache's ?C=N;O=D must stay whole.
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        value = self.arg(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            return default

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("latin-1")).items()}

    @property
    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except Exception:  # a malformed Cookie header is the client's problem, not a 500
            return {}
        return {name: morsel.value for name, morsel in jar.items()}

    @property
    def base_url(self) -> str:
        """Scheme and host the client used, for absolute links such as "archived at"."""
        return f"http://{self.headers.get('Host', 'localhost')}"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    # Validator inputs; the server only emits ETag/Last-Modified when the site enables them.
    last_modified: datetime | None = None
    cacheable: bool = True

    @classmethod
    def html(cls, page: str, status: int = 200, charset: str = "utf-8",
             content_type: str | None = None, **kwargs: object) -> Response:
        body = page.encode(charset, errors="xmlcharrefreplace")
        ctype = content_type if content_type is not None else f"text/html; charset={charset}"
        return cls(status=status, body=body, content_type=ctype, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def text(cls, text: str, status: int = 200) -> Response:
        return cls(status=status, body=text.encode("utf-8"),
                   content_type="text/plain; charset=utf-8")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        page = f'<html><body>Moved to <a href="{location}">{location}</a></body></html>'
        return cls(status=status, body=page.encode(), headers=[("Location", location)],
                   cacheable=False)

    @classmethod
    def not_found(cls, target: str = "") -> Response:
        page = (
            "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n"
            "<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n"
            "<p>The requested URL was not found on this server.</p>\n</body></html>\n"
        )
        del target  # Apache echoes it; leaving it out avoids reflecting client input
        return cls(status=404, body=page.encode(), content_type="text/html; charset=iso-8859-1",
                   cacheable=False)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None
