"""docker/healthcheck.py, the helper image's HEALTHCHECK, against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from devstack.localpg import free_port
from tests.docker.support import DOCKER_DIR

SCRIPT = DOCKER_DIR / "healthcheck.py"


class Handler(http.server.BaseHTTPRequestHandler):
    status_for_healthz = 200

    def do_GET(self) -> None:
        status = self.status_for_healthz if self.path == "/healthz" else 404
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[int]:
    """A server on a free loopback port answering /healthz with the parametrized status; yields the port."""
    handler = type("H", (Handler,), {"status_for_healthz": getattr(request, "param", 200)})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def probe(bind: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={"HELPER_BIND": bind, "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_healthy_when_healthz_answers_200(server: int) -> None:
    result = probe(f"0.0.0.0:{server}")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_a_proxy_in_the_environment_does_not_reroute_the_probe(server: int) -> None:
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    result = probe(f"0.0.0.0:{server}", http_proxy=dead_proxy, HTTP_PROXY=dead_proxy)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("server", [503], indirect=True)
def test_unhealthy_when_healthz_answers_an_error(server: int) -> None:
    result = probe(f"0.0.0.0:{server}")
    assert result.returncode == 1
    assert result.stderr.strip() == f"unhealthy: http://127.0.0.1:{server}/healthz answered 503"


def test_unhealthy_when_nothing_listens() -> None:
    port = free_port()
    result = probe(f"0.0.0.0:{port}")
    assert result.returncode == 1
    assert result.stderr.startswith(f"unhealthy: http://127.0.0.1:{port}/healthz did not answer")


@pytest.mark.parametrize("bind", ["5000", "unix:/run/helper.sock", "0.0.0.0:http", ":5000"])
def test_a_bind_it_cannot_probe_is_reported_as_unhealthy_with_the_reason(bind: str) -> None:
    result = probe(bind)
    assert result.returncode == 1
    assert "HELPER_BIND must look like HOST:PORT" in result.stderr
