"""The gunicorn worker that serves the helper: gevent, with every slow or malformed client bounded.

``worker_class = "helper_api.serving.HelperWorker"`` (helper_api/gunicorn.conf.py). Each connection is a
greenlet, so a client that sends one byte a second holds a few kilobytes, not a thread, and the others
are still answered. On top of gunicorn's own gevent worker this one:

- reads each request line and headers under gunicorn's ``keepalive`` timeout (the gevent worker does
  that itself): a head not complete by then closes the connection (HELPER_HEADER_TIMEOUT_S);
- gives the body HELPER_BODY_TIMEOUT_S from the end of the head to arrive, else the app answers 408;
- makes psycopg2 wait for the database through gevent's hub, within a bound, so a slow query never
  stops the worker's other requests;
- answers what gunicorn's parser refuses (a malformed request line, a 10 KB URL, a 100 KB header, a
  bad chunk) with the app's JSON error instead of gunicorn's HTML page, and logs it without a byte the
  client sent: a client that pasted its token into the method or a header name must not find it in
  the log.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any, cast

import gevent  # type: ignore[import-untyped]
import psycopg2
import psycopg2.extensions
from flask import Flask
from gevent.socket import wait_read, wait_write  # type: ignore[import-untyped]
from gunicorn.http import errors as http_errors  # type: ignore[import-untyped]
from gunicorn.workers.ggevent import GeventWorker  # type: ignore[import-untyped]
from loguru import logger

from helper_api.errors import ApiError
from helper_api.extensions import settings_of
from helper_api.requestlog import OTHER_PATH, loggable_method

# The server cancels a query at HELPER_STATEMENT_TIMEOUT_S; this is how much longer we wait for it to
# say so before giving up on the connection (a network that swallowed the answer).
QUERY_WAIT_MARGIN_S = 2.0
# After an error answer, how long (and how much) the client's unread bytes are drained so that closing
# does not reset the connection before the client has read the answer.
LINGER_S = 1.0
LINGER_MAX_BYTES = 256 * 1024

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# What the parser refused -> (status, error code, message). Looked up along the exception's MRO.
_REFUSALS: dict[type[BaseException], tuple[int, str, str]] = {
    http_errors.LimitRequestLine: (414, "uri_too_long", "the request line is too long"),
    http_errors.LimitRequestHeaders: (431, "header_fields_too_large", "too many header fields, or one too large"),
    http_errors.InvalidRequestLine: (400, "bad_request", "the request line is not METHOD /path HTTP/1.1"),
    http_errors.InvalidRequestMethod: (400, "bad_request", "the method is not an upper-case HTTP method"),
    http_errors.InvalidHTTPVersion: (400, "bad_request", "only HTTP/1.0 and HTTP/1.1 are served"),
    http_errors.InvalidHeaderName: (400, "bad_request", "a header name is malformed"),
    http_errors.InvalidHeader: (400, "bad_request", "a header is malformed (or Content-Length is not a number)"),
    http_errors.ObsoleteFolding: (400, "bad_request", "a header is folded over several lines"),
    http_errors.InvalidChunkSize: (400, "malformed_body", "the chunked framing of the body is broken"),
    http_errors.ChunkMissingTerminator: (400, "malformed_body", "the chunked framing of the body is broken"),
    http_errors.InvalidChunkExtension: (400, "malformed_body", "the chunked framing of the body is broken"),
    http_errors.UnsupportedTransferCoding: (501, "not_implemented", "the transfer coding is not one this server knows"),
    http_errors.ExpectationFailed: (417, "expectation_failed", "only Expect: 100-continue is understood"),
    http_errors.ParseException: (400, "bad_request", "the request is not valid HTTP/1.1"),
}
_INTERNAL = (500, "internal_error", "the helper failed unexpectedly; quote the X-Request-ID when reporting it")


class HelperWorker(GeventWorker):  # type: ignore[misc]
    """gunicorn's gevent worker, with the bounds and the JSON refusals described above."""

    wsgi: WsgiApp

    def load_wsgi(self) -> None:
        # Runs in the worker after gevent has patched the standard library, before the first request.
        super().load_wsgi()
        app = cast(Flask, self.wsgi)  # helper_api.wsgi:app
        settings = settings_of(app)
        query_s = settings.statement_timeout_s + QUERY_WAIT_MARGIN_S
        psycopg2.extensions.set_wait_callback(CooperativeWait(settings.connect_timeout_s, query_s))
        self.wsgi = BodyDeadline(app, settings.body_timeout_s)

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        status, code, message = refusal_for(exc)
        request_id = uuid.uuid4().hex
        method = loggable_method(getattr(req, "method", None) or "")
        fields = {"event": "request", "method": method, "path": OTHER_PATH, "status": status, "error": code}
        line = logger.bind(**fields, request_id=request_id, refused_by="gunicorn")
        if status >= 500:
            line.opt(exception=exc).error(f"{method} {OTHER_PATH} {status}: {type(exc).__name__}")
        else:
            # The exception's class only: its text quotes the request line or header it choked on.
            line.bind(reason=type(exc).__name__).warning(f"{method} {OTHER_PATH} {status}")
        with contextlib.suppress(OSError):
            client.sendall(error_response(status, code, message, request_id))
            linger(client)


def refusal_for(exc: BaseException) -> tuple[int, str, str]:
    """The status, error code and message that answer an exception raised before the app was called."""
    for cls in type(exc).__mro__:
        if cls in _REFUSALS:
            return _REFUSALS[cls]
    return _INTERNAL


def error_response(status: int, code: str, message: str, request_id: str) -> bytes:
    """A complete HTTP/1.1 response with the app's JSON error body; the connection closes after it."""
    body = json.dumps({"error": code, "message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-ID: {request_id}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def linger(client: socket.socket) -> None:
    """Stop sending, then read and drop what the client still sends, briefly, before the close."""
    client.shutdown(socket.SHUT_WR)
    deadline = time.monotonic() + LINGER_S
    drained = 0
    while drained < LINGER_MAX_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        client.settimeout(remaining)
        chunk = client.recv(64 * 1024)
        if not chunk:
            return
        drained += len(chunk)


class BodyDeadline:
    """WSGI middleware: the request body must have arrived ``seconds`` after the app is called, else 408."""

    def __init__(self, app: WsgiApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], self.seconds)
        return self.app(environ, start_response)


class DeadlineInput:
    """A wsgi.input whose reads all end by one deadline (gevent interrupts a read still waiting then)."""

    def __init__(self, raw: Any, seconds: float) -> None:
        self._raw = raw
        self._seconds = seconds
        self._deadline = time.monotonic() + seconds

    def read(self, *args: Any) -> bytes:
        data: bytes = self._within(self._raw.read, *args)
        return data

    def readline(self, *args: Any) -> bytes:
        line: bytes = self._within(self._raw.readline, *args)
        return line

    def readlines(self, *args: Any) -> list[bytes]:
        lines: list[bytes] = self._within(self._raw.readlines, *args)
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def _within(self, method: Callable[..., Any], *args: Any) -> Any:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise self._timed_out()
        # An Exception, not gevent's Timeout (a BaseException): gunicorn then marks the body as failed
        # and closes the connection after the 408 instead of reading on for the next request.
        with gevent.Timeout(remaining, self._timed_out()):
            return method(*args)

    def _timed_out(self) -> ApiError:
        return ApiError(408, "request_timeout", f"the body did not arrive within {self._seconds:g} s of the headers")


class CooperativeWait:
    """psycopg2's wait callback under gevent: the greenlet waits for the server in the hub, within a bound.

    libpq ignores connect_timeout on a non-blocking connection, so the bound is kept here: connecting may
    take ``connect_s``, any other exchange ``query_s``. Raising from the callback makes psycopg2 close the
    connection; the pool then drops it and the request gets 503.
    """

    def __init__(self, connect_s: float, query_s: float) -> None:
        self.connect_s = connect_s
        self.query_s = query_s

    def __call__(self, conn: psycopg2.extensions.connection, _cursor: object = None) -> None:
        connecting = conn.status == psycopg2.extensions.STATUS_SETUP
        limit = self.connect_s if connecting else self.query_s
        deadline = time.monotonic() + limit
        while True:
            state = conn.poll()
            if state == psycopg2.extensions.POLL_OK:
                return
            remaining = deadline - time.monotonic()
            timed_out = psycopg2.OperationalError(f"the database did not answer within {limit:g} s")
            if remaining <= 0:
                raise timed_out
            if state == psycopg2.extensions.POLL_READ:
                wait_read(conn.fileno(), timeout=remaining, timeout_exc=timed_out)
            elif state == psycopg2.extensions.POLL_WRITE:
                wait_write(conn.fileno(), timeout=remaining, timeout_exc=timed_out)
            else:
                raise psycopg2.OperationalError(f"unexpected state {state} from psycopg2's poll()")
