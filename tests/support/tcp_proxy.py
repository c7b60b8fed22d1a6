"""A TCP proxy on 127.0.0.1 in front of a PostgreSQL server, for fault tests.

Each accepted connection gets its own upstream connection and one thread per direction. Controls:

- `cut()`: close every connection both ways now, as a network that drops them (both ends see the close).
- `blackhole()` / `resume()`: stop forwarding in both directions, sockets left open; nothing more is read,
  so the peers' kernels buffer until their windows close. `resume()` delivers what was held, in order.
- `vanish()`: as a host that lost its network: the upstream sockets are dropped without a FIN or an RST,
  so the server learns the client is gone only when it next sends something (a keepalive probe).
- a count of the bytes forwarded (`wait_for_bytes` blocks until traffic has flowed), and a `tap` that sees
  each simple-query message (psycopg2 sends every statement as one) before and after it is forwarded and
  may swallow it: kill points at a statement, not at a time.

Why `vanish()` exists: a blackholed socket is still open in this machine's kernel, which answers the
server's TCP keepalive probes itself, so to the server a blackholed client looks alive forever. Only a
socket that no longer exists makes a probe fail. `vanish()` uses TCP_REPAIR (it needs CAP_NET_ADMIN:
`vanish_supported()` says whether it is available); a probe then gets a reset, where a powered-off host
would not answer at all: either way the server only finds out by probing.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from tests.support.pg_wire import FrontendParser, Query, QueryTap

CHUNK_BYTES = 64 * 1024
CONNECT_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 5.0
TCP_REPAIR = 19  # linux/tcp.h; socket.TCP_REPAIR is not exposed by every Python build


@dataclass
class _Direction:
    src: socket.socket
    dst: socket.socket
    upstream: bool
    parser: FrontendParser | None
    wake_r: socket.socket
    wake_w: socket.socket
    send_lock: threading.RLock = field(default_factory=threading.RLock)
    held: list[tuple[bytes, str | None]] = field(default_factory=list)
    eof: bool = False
    swallow: bool = False


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, proxy: TcpProxy, number: int, client: socket.socket, upstream: socket.socket) -> None:
        self.proxy = proxy
        self.number = number
        self.client = client
        self.upstream = upstream
        self.dead = False
        self.vanished = False
        self._done = 0
        self._lock = threading.Lock()
        self.directions = [
            _Direction(client, upstream, True, FrontendParser() if proxy.postgres else None, *socket.socketpair()),
            _Direction(upstream, client, False, None, *socket.socketpair()),
        ]
        self.threads = [
            threading.Thread(target=self._pump, args=(d,), name=f"{proxy.name}-{number}-{i}", daemon=True)
            for i, d in enumerate(self.directions)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wake(self) -> None:
        for d in self.directions:
            with contextlib.suppress(OSError):
                d.wake_w.send(b"x")

    def cut(self) -> None:
        self.dead = True
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.wake()

    def vanish(self) -> None:
        """Forget the upstream socket without a word (TCP_REPAIR), close the client's side normally.

        A delayed ACK still owed to the server is sent first (TCP_QUICKACK): else the server would retransmit
        its last answer to a socket that no longer exists and get a reset at once, which no keepalive caused."""
        self.upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        self.upstream.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
        self.vanished = True
        self.dead = True
        with contextlib.suppress(OSError):
            self.upstream.shutdown(socket.SHUT_RD)  # silent in repair mode; wakes a blocked read
        with contextlib.suppress(OSError):
            self.client.shutdown(socket.SHUT_RDWR)
        self.wake()

    def _wait(self, d: _Direction, for_src: bool) -> bool:
        """Block until `src` is readable (for_src) or forwarding is allowed; False once the link is dead."""
        while True:
            if self.dead:
                return False
            flowing = not self.proxy.blackholed
            if flowing and not for_src:
                return True
            fds = [d.src, d.wake_r] if flowing else [d.wake_r]
            readable, _, _ = select.select(fds, [], [])
            if d.wake_r in readable:
                with contextlib.suppress(OSError):
                    d.wake_r.recv(4096)
            if flowing and d.src in readable:
                return True

    def _read(self, d: _Direction) -> None:
        try:
            chunk = d.src.recv(CHUNK_BYTES)
        except OSError:
            chunk = b""
        if not chunk:
            d.eof = True
        elif d.parser is not None:
            d.held.extend(d.parser.feed(chunk))
        else:
            d.held.append((chunk, None))

    def _forward(self, d: _Direction) -> bool:
        """Send what is held, unless the proxy went dark meanwhile; False when the link broke."""
        with d.send_lock:
            while d.held and not self.proxy.blackholed and not self.dead:
                data, sql = d.held[0]
                query = Query(self.proxy.name, self.number, sql) if sql is not None else None
                tap = self.proxy.tap
                if query is not None and tap is not None and not d.swallow and not tap.before(query):
                    d.swallow = True
                if not d.swallow:
                    try:
                        d.dst.sendall(data)
                    except OSError:
                        return False
                    self.proxy._count(len(data), d.upstream)
                    if query is not None and tap is not None:
                        tap.after(query)
                d.held.pop(0)
        return True

    def _pump(self, d: _Direction) -> None:
        try:
            self._pump_loop(d)
        except BaseException:
            self.cut()  # a failing tap must not leave the client waiting for an answer forever
            raise
        finally:
            self._finished()

    def _pump_loop(self, d: _Direction) -> None:
        while True:
            if not d.held and not d.eof:
                if not self._wait(d, for_src=True):
                    return
                self._read(d)
            if not self._wait(d, for_src=False) or not self._forward(d):
                return
            if d.eof and not d.held:
                with contextlib.suppress(OSError):
                    d.dst.shutdown(socket.SHUT_WR)
                return

    def _finished(self) -> None:
        with self._lock:
            self._done += 1
            last = self._done == len(self.directions)
        if last:
            self.dead = True
            for sock in (self.client, self.upstream, *(s for d in self.directions for s in (d.wake_r, d.wake_w))):
                with contextlib.suppress(OSError):
                    sock.close()
            self.proxy._forget(self)


class TcpProxy:
    """Listens on 127.0.0.1 (an ephemeral `port`) and forwards every connection to `upstream`.

    Use it as a context manager; `name` labels its queries (e.g. "DB2"). `postgres=False` forwards any protocol:
    the client's bytes are then not split into PostgreSQL messages, and the tap sees nothing."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        name: str = "proxy",
        tap: QueryTap | None = None,
        postgres: bool = True,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.name = name
        self.tap = tap
        self.postgres = postgres
        self.blackholed = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._links: set[_Link] = set()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._bytes = {True: 0, False: 0}
        self._traffic = threading.Condition()
        self._closing = False
        self._accepted = 0
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"{name}-accept", daemon=True)

    @classmethod
    def for_dsn(cls, dsn: str, name: str = "proxy", tap: QueryTap | None = None) -> TcpProxy:
        """A proxy in front of the server a libpq URI points at."""
        parts = urlsplit(dsn)
        return cls(parts.hostname or "127.0.0.1", parts.port or 5432, name, tap)

    def dsn(self, dsn: str) -> str:
        """The same URI (user, password, database, query) through this proxy."""
        parts = urlsplit(dsn)
        auth = parts.netloc.rpartition("@")[0]
        netloc = f"{auth}@127.0.0.1:{self.port}" if auth else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    # Controls -------------------------------------------------------------------------------------------

    def cut(self) -> None:
        """Close every connection, both ways, now. New connections are still accepted."""
        for link in self._snapshot():
            link.cut()

    def blackhole(self) -> None:
        """Stop forwarding in both directions, keeping every socket open. Nothing is forwarded once it returns."""
        self.blackholed = True
        for link in self._snapshot():
            link.wake()
            for d in link.directions:
                with d.send_lock:
                    pass  # a send in progress finishes; the next one sees the flag

    def resume(self) -> None:
        """Forward again, starting with what was held."""
        self.blackholed = False
        for link in self._snapshot():
            link.wake()

    def vanish(self) -> None:
        """Stop forwarding and drop every upstream socket without a FIN or an RST (needs CAP_NET_ADMIN)."""
        self.blackhole()
        for link in self._snapshot():
            link.vanish()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._links)

    @property
    def bytes_forwarded(self) -> int:
        """Bytes forwarded so far, both directions."""
        with self._traffic:
            return self._bytes[True] + self._bytes[False]

    @property
    def bytes_upstream(self) -> int:
        with self._traffic:
            return self._bytes[True]

    def wait_for_bytes(self, total: int, timeout: float) -> bool:
        """Block until at least `total` bytes were forwarded (both directions); False after `timeout`."""
        with self._traffic:
            return self._traffic.wait_for(lambda: self._bytes[True] + self._bytes[False] >= total, timeout)

    def wait_for_connections(self, count: int, timeout: float) -> bool:
        """Block until `count` connections were accepted and forwarded (in all); False after `timeout`."""
        with self._traffic:
            return self._traffic.wait_for(lambda: self._accepted >= count, timeout)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until `predicate()` holds, re-checked whenever bytes are forwarded; False after `timeout`."""
        with self._traffic:
            return self._traffic.wait_for(predicate, timeout)

    # Life cycle -----------------------------------------------------------------------------------------

    def __enter__(self) -> TcpProxy:
        self._acceptor.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        self._acceptor.join(timeout=STOP_TIMEOUT_S)
        links = self._snapshot()
        for link in links:
            if not link.vanished:
                link.cut()
        for link in links:
            for thread in link.threads:
                thread.join(timeout=STOP_TIMEOUT_S)

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=CONNECT_TIMEOUT_S)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(self, next(self._numbers), client, upstream)
            with self._lock:
                self._links.add(link)
            link.start()
            with self._traffic:
                self._accepted += 1
                self._traffic.notify_all()

    def _snapshot(self) -> list[_Link]:
        with self._lock:
            return list(self._links)

    def _forget(self, link: _Link) -> None:
        with self._lock:
            self._links.discard(link)

    def _count(self, size: int, upstream: bool) -> None:
        with self._traffic:
            self._bytes[upstream] += size
            self._traffic.notify_all()


def vanish_supported() -> bool:
    """Whether this process may put a socket in TCP_REPAIR mode (CAP_NET_ADMIN), which `vanish()` needs."""
    server = socket.create_server(("127.0.0.1", 0))
    try:
        with socket.create_connection(server.getsockname()):
            accepted, _ = server.accept()
            with accepted:
                try:
                    accepted.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
                except OSError as exc:
                    if exc.errno in (errno.EPERM, errno.EACCES, errno.ENOPROTOOPT):
                        return False
                    raise
                accepted.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 0)
                return True
    finally:
        server.close()
