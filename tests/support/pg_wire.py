"""Just enough of PostgreSQL's frontend protocol for the fault proxy to see statements go by.

psycopg2 sends every statement as one simple-query message ('Q', then its length, then the SQL): the proxy splits
a client's bytes so that each such message is a segment of its own, and shows it to a tap before and after
forwarding it. Everything else passes through untouched, and a connection that turns to TLS or GSS encryption
becomes opaque (nothing more is parsed).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

# The startup phase of the frontend protocol has untyped messages: these codes precede the real startup.
SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102
TLS_HANDSHAKE = 0x16


@dataclass(frozen=True)
class Query:
    """One simple-query message on its way to the server."""

    proxy: str
    connection: int
    sql: str


class QueryTap(Protocol):
    """Sees every simple-query message; `before` returning False swallows it and the rest of that client."""

    def before(self, query: Query) -> bool: ...

    def after(self, query: Query) -> None: ...


@dataclass
class QueryLog:
    """A tap that records the queries in the order they reached the servers, across every proxy it watches."""

    queries: list[Query] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def before(self, query: Query) -> bool:
        with self.lock:
            self.queries.append(query)
        return True

    def after(self, query: Query) -> None:
        return


class FrontendParser:
    """Splits a client's byte stream so that each simple-query ('Q') message is a segment of its own."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._startup = True
        self._opaque = False
        self._passthrough = 0

    def feed(self, data: bytes) -> list[tuple[bytes, str | None]]:
        """Segments ready to forward: (bytes, the query's SQL or None)."""
        self._buf += data
        out: list[tuple[bytes, str | None]] = []
        while self._buf:
            if self._opaque:
                out.append((bytes(self._buf), None))
                self._buf.clear()
            elif self._passthrough:
                size = min(self._passthrough, len(self._buf))
                out.append((bytes(self._buf[:size]), None))
                del self._buf[:size]
                self._passthrough -= size
            elif not self._next_message(out):
                break
        return out

    def _next_message(self, out: list[tuple[bytes, str | None]]) -> bool:
        """Start the next message; False when more bytes are needed."""
        buf = self._buf
        if self._startup:
            if buf[0] == TLS_HANDSHAKE:
                self._opaque = True  # TLS after an SSLRequest: nothing more can be read
                return True
            if len(buf) < 8:
                return False
            code = int.from_bytes(buf[4:8], "big")
            self._opaque = code == GSSENC_REQUEST  # whether GSS encryption follows only the server's answer says
            self._startup = code in (SSL_REQUEST, CANCEL_REQUEST)
            self._passthrough = int.from_bytes(buf[0:4], "big")
            return True
        if len(buf) < 5:
            return False
        length = int.from_bytes(buf[1:5], "big")
        if buf[0] != ord("Q"):
            self._passthrough = 1 + length
            return True
        if len(buf) < 1 + length:
            return False
        message = bytes(buf[: 1 + length])
        del buf[: 1 + length]
        out.append((message, message[5:-1].decode("utf-8", "replace")))
        return True
