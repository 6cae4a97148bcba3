"""A threaded HTTP server on 127.0.0.1 that serves one site, with faults and a request log.

The server owns everything that is the same for every site kind: injected faults, conditional
GET (ETag / Last-Modified / 304), the request log and clean shutdown. Sites only turn a
:class:`Request` into a :class:`Response`.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import struct
import threading
import time
import traceback
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from tests.sites import faults as fk
from tests.sites.content import ArchiveModel
from tests.sites.faults import Fault, FaultPlan
from tests.sites.requestlog import Headers, LogEntry, RequestLog
from tests.sites.traps import error_page_html, trap_response
from tests.sites.wire import Request, Response


class Site(Protocol):
    """What the server needs from a site renderer."""

    name: str
    model: ArchiveModel
    options: Any  # a dataclass with at least ``conditional: bool``

    def handle(self, request: Request) -> Response: ...


class ArchiveServer:
    """One running site. This is the object the pytest fixtures yield.

    ``url`` has no trailing slash, so ``server.url + "/robots.txt"`` works.
    """

    def __init__(self, site: Site, faults: FaultPlan | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.site = site
        self.faults = faults or FaultPlan()
        self.log = RequestLog()
        self.errors: list[str] = []  # tracebacks of renderer crashes (served as 500)
        self._attempts: Counter[str] = Counter()
        self._attempts_lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _HTTPServer((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> ArchiveServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"site-{self.site.name}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, cut open keep-alive connections and wait for handlers to finish."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.close_connections()
        self._httpd.server_close()
        self._httpd.wait_idle(timeout=2.0)

    def __enter__(self) -> ArchiveServer:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- convenience ---------------------------------------------------------------------

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def model(self) -> ArchiveModel:
        return self.site.model

    @property
    def options(self) -> Any:
        return self.site.options

    def urljoin(self, target: str) -> str:
        return self.url + (target if target.startswith("/") else "/" + target)

    def __getattr__(self, name: str) -> Any:
        # URL helpers (story_url, chapter_url, ...) live on the site; expose them here too.
        if name.startswith("_") or name == "site":
            raise AttributeError(name)
        return getattr(self.site, name)

    # ---- request handling (called from handler threads) ------------------------------------

    def next_attempt(self, target: str) -> int:
        with self._attempts_lock:
            attempt = self._attempts[target]
            self._attempts[target] += 1
            return attempt

    def respond(self, request: Request) -> Response:
        """The normal (unfaulted) response, with conditional GET applied when enabled."""
        try:
            response = trap_response(request)
            if response is None:
                with self.site.model.lock:
                    response = self.site.handle(request)
        except Exception:
            self.errors.append(traceback.format_exc())
            return Response.html("<h1>Internal Server Error</h1>", status=500, cacheable=False)
        if getattr(self.site.options, "conditional", False):
            return _conditional(request, response, self.site.model)
        return response


def _conditional(request: Request, response: Response, model: ArchiveModel) -> Response:
    if response.status != 200 or not response.cacheable:
        return response
    etag = '"' + hashlib.sha1(response.body).hexdigest()[:20] + '"'
    modified = (response.last_modified or model.last_modified()).astimezone(UTC)
    validators = [("ETag", etag), ("Last-Modified", format_datetime(modified, usegmt=True))]
    response.headers.extend(validators)
    if _not_modified(request, etag, modified):
        return Response(status=304, body=b"", content_type="", headers=validators,
                        cacheable=False)
    return response


def _not_modified(request: Request, etag: str, modified: datetime) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        # RFC 9110: If-None-Match wins over If-Modified-Since; weak comparison for GET.
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified.replace(microsecond=0) <= since
    return False


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 archive: ArchiveServer) -> None:
        self.archive = archive
        self._connections: set[socket.socket] = set()
        self._active = 0
        self._idle = threading.Condition()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._idle:
            self._connections.add(request)
            self._active += 1
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._idle:
                self._connections.discard(request)
                self._active -= 1
                self._idle.notify_all()

    def close_connections(self) -> None:
        with self._idle:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def wait_idle(self, timeout: float) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout=timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-response (timeouts, resets) are expected here, not errors.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients and benchmarks reuse connections
    server_version = "Apache/2.2.22 (Unix)"
    sys_version = ""
    timeout = 60
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle plus the client's
        # delayed ACK adds ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        arrived = time.monotonic()
        archive = self.server.archive
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = Headers(list(self.headers.items()))
        request = Request(self.command, self.path, headers, body)
        attempt = archive.next_attempt(self.path)
        fault = archive.faults.decide(self.path, attempt)
        if fault is not None:
            archive.faults.record(self.path, fault)

        def log(status: int) -> None:
            # Logged before the bytes go out, so a client that has its response can already
            # see its request in the log.
            archive.log.append(LogEntry(arrived, self.command, self.path, status, headers,
                                        fault.kind if fault else None, attempt))

        if fault is not None and fault.kind == fk.RESET:
            log(0)
            self._reset()
            return
        response = self._faulted(fault) if fault is not None else None
        if response is None:
            response = archive.respond(request)
        log(response.status)
        self._send(response, fault)

    def _faulted(self, fault: Fault) -> Response | None:
        plan = self.server.archive.faults
        if fault.kind in (fk.RATE_LIMITED, fk.UNAVAILABLE):
            status = 429 if fault.kind == fk.RATE_LIMITED else 503
            title = "Too Many Requests" if status == 429 else "Service Unavailable"
            page = f"<html><head><title>{status} {title}</title></head><body><h1>{title}</h1>"
            page += "<p>Please slow down and try again later.</p></body></html>"
            response = Response.html(page, status=status, cacheable=False)
            response.headers.append(("Retry-After", fault.retry_after(plan.retry_after,
                                                                      time.time())))
            return response
        if fault.kind == fk.ERROR_200:
            return Response.html(error_page_html(), cacheable=False)
        return None  # slow and truncated change how a normal response is delivered

    def _send(self, response: Response, fault: Fault | None) -> None:
        body = b"" if self.command == "HEAD" or response.status == 304 else response.body
        kind = fault.kind if fault is not None and body else None
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        if kind == fk.TRUNCATED or response.status >= 500:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            if kind == fk.SLOW:
                self._trickle(body)
            elif kind == fk.TRUNCATED:
                plan = self.server.archive.faults
                self.wfile.write(body[: int(len(body) * plan.truncate_fraction)])
                self.close_connection = True
            else:
                self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _trickle(self, body: bytes) -> None:
        plan = self.server.archive.faults
        chunks = max(1, plan.slow_chunks)
        size = -(-len(body) // chunks)
        pause = plan.slow_seconds / chunks
        stopping = self.server.archive._stopping
        for start in range(0, len(body), size):
            if stopping.wait(pause):
                raise OSError("server stopping")
            self.wfile.write(body[start:start + size])

    def _reset(self) -> None:
        """Abort the connection with RST: SO_LINGER 0 makes close() discard instead of FIN."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass


def serve(site: Site, faults: FaultPlan | None = None, **kwargs: Any) -> ArchiveServer:
    """Start ``site`` on a free port and return the running server."""
    return ArchiveServer(site, faults, **kwargs).start()
