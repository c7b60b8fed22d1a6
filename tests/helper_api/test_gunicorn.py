"""The real service: gunicorn with the repository's config, talked to over HTTP with httpx."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import bcrypt
import httpx
import pytest

from tests.helper_api.conftest import insert_credentials
from tests.helper_api.support import (
    TOKEN,
    GunicornServer,
    gunicorn_command,
    helper_env,
    password_of,
    start_gunicorn,
    stop,
)

PASSWORD_HASH = bcrypt.hashpw(b"Carla-pass-3", bcrypt.gensalt(4)).decode()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def seeded_gunicorn(gunicorn: GunicornServer, gunicorn_database: str) -> GunicornServer:
    insert_credentials(gunicorn_database, [("carla.dias@example.com", PASSWORD_HASH, None)])
    return gunicorn


def log_lines(server: GunicornServer) -> list[dict[str, object]]:
    """Every line gunicorn and the app wrote, each parsed as JSON (a line that is not JSON fails the test)."""
    return [json.loads(line) for line in server.output().splitlines() if line.strip()]


def test_gunicorn_answers_health_readiness_and_a_batch_lookup(seeded_gunicorn: GunicornServer) -> None:
    with httpx.Client(base_url=seeded_gunicorn.base_url, timeout=10.0) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}
        response = client.post(
            "/lookup-batch", headers=AUTH, json={"emails": ["Carla.Dias@example.com ", "nobody@example.com"]}
        )
    assert response.status_code == 200
    known, unknown = response.json()["results"]
    assert known == {
        "email": "carla.dias@example.com",
        "known": True,
        "password": PASSWORD_HASH,
        "photo_url": known["photo_url"],
    }
    assert known["photo_url"].startswith("https://www.gravatar.com/avatar/")
    assert unknown["known"] is False
    assert unknown["password"] is None


def test_each_request_is_one_json_log_line_and_no_secret_or_email_is_logged(
    seeded_gunicorn: GunicornServer, gunicorn_database: str
) -> None:
    wrong_token = "wrong-token-Zk81"
    with httpx.Client(base_url=seeded_gunicorn.base_url, timeout=10.0) as client:
        client.post(
            "/get-password", headers={**AUTH, "X-Request-ID": "log-test-1"}, json={"email": "carla.dias@example.com"}
        )
        client.post(
            "/get-photo",
            headers={"Authorization": f"Bearer {wrong_token}", "X-Request-ID": "log-test-2"},
            json={"email": "carla.dias@example.com"},
        )
        client.get("/lookup/carla.dias@example.com", headers={"X-Request-ID": "log-test-3"})
        client.post(
            "/lookup-batch", headers={**AUTH, "X-Request-ID": "log-test-4"}, json={"emails": ["x@example.com"] * 3}
        )

    lines = log_lines(seeded_gunicorn)
    requests = {line["request_id"]: line for line in lines if line.get("event") == "request"}
    assert {key: requests["log-test-1"][key] for key in ("method", "path", "status", "token", "emails", "known")} == {
        "method": "POST", "path": "/get-password", "status": 200, "token": "token-0", "emails": 1, "known": 1,
    }  # fmt: skip
    assert (requests["log-test-2"]["status"], requests["log-test-2"]["error"]) == (401, "unauthorized")
    assert requests["log-test-3"]["path"] == "(unknown)"  # what a client typed is never logged
    assert (requests["log-test-4"]["emails"], requests["log-test-4"]["known"]) == (3, 0)
    for line in requests.values():
        assert isinstance(line["duration_ms"], float)
        assert {"time", "level", "message", "event"} <= set(line)

    output = seeded_gunicorn.output()
    secrets = [TOKEN, wrong_token, PASSWORD_HASH, "carla.dias@example.com", "x@example.com"]
    secrets += [secret for secret in [password_of(gunicorn_database)] if secret]
    for secret in secrets:
        assert secret not in output


def test_the_request_id_comes_back_in_the_response(seeded_gunicorn: GunicornServer) -> None:
    response = httpx.get(f"{seeded_gunicorn.base_url}/healthz", headers={"X-Request-ID": "job-abc"}, timeout=10.0)
    assert response.headers["X-Request-ID"] == "job-abc"


def test_gunicorn_stops_on_a_missing_setting_with_one_line_naming_it(tmp_path: Path) -> None:
    result = subprocess.run(
        gunicorn_command(), cwd=tmp_path, env=helper_env({"HELPER_BIND": "127.0.0.1:0"}),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert (result.stdout + result.stderr).strip().splitlines() == [
        "helper_api: configuration error: HELPER_DATABASE_URL is required: set it in the environment or in .env"
    ]


def test_gunicorn_stops_on_an_unreachable_database_without_printing_its_password(tmp_path: Path) -> None:
    env = helper_env({"HELPER_BIND": "127.0.0.1:0", "HELPER_DATABASE_URL": "postgresql://u:pw-Qx83@127.0.0.1:1/h"})
    result = subprocess.run(
        gunicorn_command(), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert "cannot connect to HELPER_DATABASE_URL (postgresql://u@127.0.0.1:1/h)" in result.stderr
    assert "pw-Qx83" not in result.stdout + result.stderr


def test_sigterm_shuts_gunicorn_down_gracefully(gunicorn_database: str, tmp_path: Path) -> None:
    with start_gunicorn(tmp_path, {"HELPER_DATABASE_URL": gunicorn_database, "HELPER_WORKERS": "1"}) as server:
        assert httpx.get(f"{server.base_url}/readyz", timeout=10.0).status_code == 200
        assert stop(server) == 0
    messages = [line["message"] for line in log_lines(server)]
    assert "Using worker: helper_api.serving.HelperWorker" in messages
    assert "Handling signal: term" in messages
    assert "Shutting down: Master" in messages
