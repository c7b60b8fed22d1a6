"""The fault proxy itself: what passes, what a cut, a blackhole and a vanish do, and what its tap sees."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator

import psycopg2
import pytest

from tests.support.pg_wire import FrontendParser, QueryLog
from tests.support.postgres import PgServer
from tests.support.tcp_proxy import TcpProxy, vanish_supported

WAIT_S = 5.0
SSL_REQUEST = b"\x00\x00\x00\x08\x04\xd2\x16\x2f"
STARTUP = b"\x00\x00\x00\x09\x00\x03\x00\x00\x00"  # protocol 3.0, no parameters


class EchoServer:
    """A TCP server on 127.0.0.1 that echoes one connection (`rounds` reads of it, or until it closes) and keeps
    the accepted socket for the test to look at."""

    def __init__(self, rounds: int | None = None) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self.ready = threading.Event()
        self.rounds = rounds
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        self.accepted.append(conn)
        self.ready.set()
        done = 0
        while self.rounds is None or done < self.rounds:
            try:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)
            except OSError:
                return
            done += 1

    def close(self) -> None:
        for sock in [*self.accepted, self.listener]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.thread.join(timeout=WAIT_S)


@pytest.fixture
def echo(request) -> Iterator[EchoServer]:
    server = EchoServer(getattr(request, "param", None))
    yield server
    server.close()


@pytest.fixture
def proxy(echo: EchoServer) -> Iterator[TcpProxy]:
    with TcpProxy("127.0.0.1", echo.port, "echo", postgres=False) as running:
        yield running


def connect(proxy: TcpProxy, echo: EchoServer) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", proxy.port), timeout=WAIT_S)
    assert proxy.wait_for_connections(1, WAIT_S)
    assert echo.ready.wait(WAIT_S)
    return client


def readable(sock: socket.socket, timeout: float) -> bool:
    return bool(select.select([sock], [], [], timeout)[0])


def test_the_proxy_forwards_both_ways_and_counts_every_byte(proxy, echo):
    with connect(proxy, echo) as client:
        client.sendall(b"x" * 100_000)
        received = b""
        while len(received) < 100_000:
            received += client.recv(65536)

        assert proxy.wait_for_bytes(200_000, WAIT_S)
        assert (proxy.bytes_upstream, proxy.bytes_forwarded) == (100_000, 200_000)


def test_a_cut_closes_the_connection_at_both_ends(proxy, echo):
    with connect(proxy, echo) as client:
        proxy.cut()

        assert client.recv(10) == b""
        assert echo.accepted[0].recv(10) == b""


def test_a_blackhole_holds_every_byte_until_resumed_then_delivers_them_in_order(proxy, echo):
    with connect(proxy, echo) as client:
        proxy.blackhole()
        client.sendall(b"one")
        client.sendall(b"two")

        assert not readable(echo.accepted[0], 0.3)
        assert proxy.bytes_forwarded == 0
        proxy.resume()
        assert proxy.wait_for_bytes(12, WAIT_S)
        received = b""
        while len(received) < 6:
            received += client.recv(10)
        assert received == b"onetwo"


@pytest.mark.skipif(not vanish_supported(), reason="vanish() needs CAP_NET_ADMIN (TCP_REPAIR); run as root")
@pytest.mark.parametrize("echo", [1], indirect=True)
def test_a_vanished_connection_tells_the_server_nothing_until_its_keepalive_probe_is_reset(proxy, echo):
    with connect(proxy, echo) as client:
        client.sendall(b"ping")
        assert client.recv(10) == b"ping"
        echo.thread.join(WAIT_S)  # the server reads no more: only the test looks at its socket now
        server_side = echo.accepted[0]

        proxy.vanish()

        assert not readable(server_side, 0.5), "vanish() sent a FIN or a reset"
        server_side.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        server_side.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        server_side.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        assert readable(server_side, WAIT_S)
        with pytest.raises(ConnectionResetError):
            server_side.recv(10)


@pytest.mark.parametrize(
    ("chunks", "queries"),
    [
        ([SSL_REQUEST], []),
        ([SSL_REQUEST, STARTUP, b"Q\x00\x00\x00\x0dSELECT 1\x00"], ["SELECT 1"]),
        ([STARTUP + b"Q\x00\x00", b"\x00\x0bCOMMIT\x00p\x00\x00\x00\x05x"], ["COMMIT"]),  # split mid-length
        ([SSL_REQUEST, b"\x16\x03\x01Q\x00\x00\x00\x0dSELECT 1\x00"], []),  # TLS after the SSLRequest: opaque
        ([b"\x00\x00\x00\x08\x04\xd2\x16\x30Q\x00\x00\x00\x0dSELECT 1\x00"], []),  # after a GSSENCRequest: opaque
    ],
)
def test_the_tap_parser_finds_each_simple_query_however_the_bytes_are_split(chunks, queries):
    parser = FrontendParser()
    segments = [segment for chunk in chunks for segment in parser.feed(chunk)]

    assert [sql for _, sql in segments if sql is not None] == queries
    assert b"".join(data for data, _ in segments) == b"".join(chunks)


def test_the_tap_sees_each_statement_psycopg2_sends_in_order(pg_server: PgServer):
    log = QueryLog()
    with TcpProxy.for_dsn(pg_server.admin_dsn, "PG", log) as through:
        conn = psycopg2.connect(through.dsn(pg_server.admin_dsn))
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT %s", ("one",))
            conn.commit()
        finally:
            conn.close()

    assert [(q.proxy, q.sql) for q in log.queries] == [("PG", "BEGIN"), ("PG", "SELECT 'one'"), ("PG", "COMMIT")]
