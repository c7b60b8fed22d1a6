"""Hostile clients of the served helper, for the tests: raw sockets and httpx, on loopback addresses only.

Every attack runs until a deadline and at most a fixed number of connections, and every socket has a
timeout, so nothing here can outlive its test. Each attack keeps a Tally: connections opened, requests
sent, and what came back (an HTTP status, or "closed" when the server hung up without answering).
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx

HOST = "127.0.0.1"
# A second and third loopback address: clients the per-address limit can tell apart from the job's.
ATTACKER = "127.0.0.2"
OTHER_ATTACKER = "127.0.0.3"
SOCKET_TIMEOUT_S = 10.0
CLOSED = "closed"
HELD = "held"  # the server kept a slow connection open past the bound: always a failure


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def is_json_error(self) -> bool:
        if self.headers.get("content-type") != "application/json":
            return False
        try:
            document = json.loads(self.body)
        except ValueError:
            return False
        return isinstance(document, dict) and {"error", "message"} <= set(document)


@dataclass
class Tally:
    """What one attack did and got; safe to update from several threads."""

    name: str
    connections: int = 0
    requests: int = 0
    outcomes: Counter[int | str] = field(default_factory=Counter)
    not_json: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def opened(self) -> None:
        with self._lock:
            self.connections += 1

    def sent(self) -> None:
        with self._lock:
            self.requests += 1

    def got(self, outcome: Reply | str) -> None:
        with self._lock:
            if isinstance(outcome, Reply):
                self.outcomes[outcome.status] += 1
                if outcome.status >= 400 and not outcome.is_json_error():
                    self.not_json.append(f"{outcome.status} {outcome.headers.get('content-type')}")
            else:
                self.outcomes[outcome] += 1

    def line(self) -> str:
        statuses = ", ".join(f"{key}: {count}" for key, count in sorted(self.outcomes.items(), key=str))
        return f"{self.name:<14} {self.connections:>5} connections {self.requests:>6} requests   {statuses}"


@contextlib.contextmanager
def connection(port: int, tally: Tally, source: str = HOST) -> Iterator[socket.socket]:
    sock = socket.create_connection((HOST, port), timeout=SOCKET_TIMEOUT_S, source_address=(source, 0))
    tally.opened()
    try:
        yield sock
    finally:
        sock.close()


def read_reply(sock: socket.socket) -> Reply | None:
    """One HTTP response (its body by Content-Length), or None when the server closed without a byte."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = _recv(sock)
        if not chunk:
            return None if not data else _parse(data)
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    reply = _parse(head)
    length = int(reply.headers.get("content-length", "0"))
    while len(body) < length:
        chunk = _recv(sock)
        if not chunk:
            break
        body += chunk
    reply.body = body[:length]
    return reply


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except (ConnectionResetError, BrokenPipeError):
        return b""


def _parse(head: bytes) -> Reply:
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(status, headers, b"")


def exchange(port: int, request: bytes, tally: Tally, source: str = HOST) -> Reply | str:
    """Send one whole request on a new connection and read the answer."""
    with connection(port, tally, source) as sock:
        tally.sent()
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            sock.sendall(request)
        reply = read_reply(sock)
    outcome: Reply | str = reply if reply is not None else CLOSED
    tally.got(outcome)
    return outcome


def trickle(port: int, head: bytes, drip: bytes, step_s: float, bound_s: float, tally: Tally) -> Reply | str:
    """Send ``head`` at once, then ``drip`` one byte per ``step_s`` until the server answers or hangs up.

    Gives up (HELD) once the server has kept the connection ``bound_s`` seconds without doing either.
    """
    with connection(port, tally) as sock:
        tally.sent()
        started = time.monotonic()
        outcome: Reply | str = HELD
        try:
            sock.sendall(head)
            for byte in drip:
                if _readable(sock, step_s):
                    reply = read_reply(sock)
                    outcome = reply if reply is not None else CLOSED
                    break
                if time.monotonic() - started > bound_s:
                    break
                sock.sendall(bytes([byte]))
        except (ConnectionResetError, BrokenPipeError):
            reply = read_reply(sock)
            outcome = reply if reply is not None else CLOSED
    tally.got(outcome)
    return outcome


def _readable(sock: socket.socket, timeout_s: float) -> bool:
    readable, _, _ = select.select([sock], [], [], timeout_s)
    return bool(readable)


def repeat_until(deadline: float, limit: int, attack: Callable[[int], object]) -> None:
    """Run ``attack(n)`` again and again until the deadline, at most ``limit`` times."""
    for attempt in range(limit):
        if time.monotonic() >= deadline:
            return
        attack(attempt)


def http_request(method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {HOST}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked_body(payload: bytes, chunk_size: int = 8192, then: bytes = b"") -> bytes:
    """``payload`` in chunks of ``chunk_size``, then ``then`` as one more chunk, then the last chunk."""
    pieces = [payload[start : start + chunk_size] for start in range(0, len(payload), chunk_size)]
    pieces += [then] if then else []
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def counting_connections(tally: Tally) -> dict[str, object]:
    """httpx request extensions that count each new TCP connection in ``tally``."""

    def trace(event: str, _info: dict[str, object]) -> None:
        if event == "connection.connect_tcp.complete":
            tally.opened()

    return {"trace": trace}


@dataclass
class Latencies:
    """Seconds per request of a well-behaved client, and every answer that was not the expected one."""

    name: str
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        if not self.seconds:
            return f"{self.name:<14} no request answered; failures: {self.failures}"
        ordered = sorted(self.seconds)
        p50 = ordered[len(ordered) // 2]
        return (
            f"{self.name:<14} {len(ordered):>5} requests  p50 {p50 * 1000:7.1f} ms  max {ordered[-1] * 1000:7.1f} ms"
            f"  failures: {len(self.failures)}"
        )


def keep_calling(
    client: httpx.Client, call: Callable[[httpx.Client], bool], deadline: float, pause_s: float, out: Latencies
) -> None:
    """Call until the deadline; each call must succeed within the client's timeout."""
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            ok = call(client)
        except httpx.HTTPError as exc:
            out.failures.append(type(exc).__name__)
        else:
            out.seconds.append(time.monotonic() - started)
            if not ok:
                out.failures.append("unexpected answer")
        time.sleep(pause_s)


def run_threads(targets: list[Callable[[], object]], join_s: float) -> list[threading.Thread]:
    """Start every target in its own thread, wait at most ``join_s`` for all; return any still running."""
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + join_s
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return [thread for thread in threads if thread.is_alive()]
