"""A real HTTP server on 127.0.0.1 that speaks the helper API's batch contract, for the job's tests.

It knows a fixed set of emails and can be told to fail the next requests (status codes, delays) or to
answer values that break the contract, which the real helper cannot easily be made to do on cue. It counts
every request it receives.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "test-helper-token-0123456789"


@dataclass
class Failure:
    status: int = 503
    delay_s: float = 0.0
    retry_after: str | None = None


@dataclass
class HelperState:
    known: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Fields that replace those of an email's answer: values that break the contract (a dict as the password)."""
    failures: deque[Failure | None] = field(default_factory=deque)
    """What the next requests get, one entry each (None: a normal answer); then `fail_always`, if set."""
    fail_always: Failure | None = None
    requests: int = 0
    emails_asked: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: HelperState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._send(200, {"status": "ok"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with state.lock:
                state.requests += 1
                failure = state.failures.popleft() if state.failures else state.fail_always
            if failure:
                time.sleep(failure.delay_s)
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                self._send(failure.status, {"error": {"message": f"scripted {failure.status}"}}, headers)
                return
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"error": {"message": "missing or wrong token"}})
                return
            results = []
            for email in body.get("emails", []):
                normalised = email.strip().lower()
                with state.lock:
                    state.emails_asked.append(normalised)
                known = state.known.get(normalised)
                answer = {
                    "email": normalised,
                    "known": known is not None,
                    "password": known[0] if known else None,
                    "photo_url": known[1] if known and known[1] else f"https://avatars.example.com/{len(normalised)}",
                }
                results.append({**answer, **state.answers.get(normalised, {})})
            self._send(200, {"results": results})

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the job's timeout) is expected here, not an error to print."""


class HelperServer:
    """Start with `with HelperServer() as helper:`; `helper.url` is its base URL."""

    def __init__(self) -> None:
        self.state = HelperState()
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self.state))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> HelperServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
