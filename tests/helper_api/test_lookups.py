"""The lookup endpoints through the Flask test client, against a real PostgreSQL database."""

from __future__ import annotations

import hashlib
import io
import json

import psycopg2
import pytest
from flask import Flask
from flask.testing import FlaskClient

import helper_api.lookups
from helper_api import create_app
from helper_api.db import close_pool
from helper_api.limits import MAX_BODY_BYTES
from helper_api.settings import Settings
from tests.helper_api.support import TOKEN, helper_backends

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def post(client: FlaskClient, path: str, body: object, headers: dict[str, str] | None = None):
    return client.post(path, json=body, headers=AUTH if headers is None else headers)


def test_get_password_returns_the_stored_bcrypt_hash(client: FlaskClient, seeded: dict[str, str]) -> None:
    response = post(client, "/get-password", {"email": "ana.souza@example.com"})
    assert response.status_code == 200
    assert response.json == {"password": seeded["ana.souza@example.com"]}


def test_get_password_of_an_unknown_email_is_a_404_json_error(client: FlaskClient, seeded: dict[str, str]) -> None:
    response = post(client, "/get-password", {"email": "nobody@example.com"})
    assert response.status_code == 404
    assert response.json == {"error": "unknown_email", "message": "no credentials are stored for this email"}


@pytest.mark.parametrize(
    "raw", ["ANA.SOUZA@EXAMPLE.COM", "  Ana.Souza@Example.com  ", "\tana.souza@example.com\n", "ana.souza@EXAMPLE.com"]
)
def test_lookups_ignore_case_and_surrounding_whitespace(client: FlaskClient, seeded: dict[str, str], raw: str) -> None:
    assert post(client, "/get-password", {"email": raw}).json == {"password": seeded["ana.souza@example.com"]}
    assert post(client, "/get-photo", {"email": raw}).json == {"url": "https://images.example.com/ana.jpg"}
    [result] = post(client, "/lookup-batch", {"emails": [raw]}).json["results"]
    assert result["email"] == "ana.souza@example.com"
    assert result["known"] is True


def test_get_photo_returns_the_stored_url(client: FlaskClient, seeded: dict[str, str]) -> None:
    response = post(client, "/get-photo", {"email": "ana.souza@example.com"})
    assert response.status_code == 200
    assert response.json == {"url": "https://images.example.com/ana.jpg"}


@pytest.mark.parametrize("email", ["bruno.lima@example.com", "nobody@example.com"])
def test_without_a_stored_photo_the_url_is_a_default_avatar_named_by_a_hash_of_the_email(
    client: FlaskClient, seeded: dict[str, str], email: str
) -> None:
    first = post(client, "/get-photo", {"email": email}).json["url"]
    again = post(client, "/get-photo", {"email": email.upper()}).json["url"]
    digest = hashlib.sha256(email.encode()).hexdigest()
    assert first == again == f"https://www.gravatar.com/avatar/{digest}?d=identicon"
    assert email.split("@")[0] not in first


def test_the_avatar_base_url_is_a_setting(database_url: str, seeded: dict[str, str]) -> None:
    settings = Settings(
        database_url=database_url, api_tokens=TOKEN, avatar_base_url="https://avatars.example.net/a", _env_file=None
    )
    app = create_app(settings)
    try:
        url = post(app.test_client(), "/get-photo", {"email": "nobody@example.com"}).json["url"]
    finally:
        close_pool(app)
    assert url.startswith("https://avatars.example.net/a/")
    assert url.endswith("?d=identicon")


def test_batch_answers_every_email_in_request_order_duplicates_included(
    client: FlaskClient, seeded: dict[str, str]
) -> None:
    emails = ["nobody@example.com", "Bruno.Lima@example.com", "ana.souza@example.com", " bruno.lima@example.com "]
    response = post(client, "/lookup-batch", {"emails": emails})
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["email"] for r in results] == [
        "nobody@example.com",
        "bruno.lima@example.com",
        "ana.souza@example.com",
        "bruno.lima@example.com",
    ]
    assert [r["known"] for r in results] == [False, True, True, True]
    assert [r["password"] for r in results] == [
        None,
        seeded["bruno.lima@example.com"],
        seeded["ana.souza@example.com"],
        seeded["bruno.lima@example.com"],
    ]
    assert results[2]["photo_url"] == "https://images.example.com/ana.jpg"
    assert results[0]["photo_url"].startswith("https://www.gravatar.com/avatar/")
    assert results[1]["photo_url"] == results[3]["photo_url"]


def test_an_empty_batch_gets_an_empty_answer(client: FlaskClient) -> None:
    assert post(client, "/lookup-batch", {"emails": []}).json == {"results": []}


def test_a_batch_of_exactly_500_is_answered(client: FlaskClient, seeded: dict[str, str]) -> None:
    emails = [f"user{i}@example.com" for i in range(499)] + ["ana.souza@example.com"]
    response = post(client, "/lookup-batch", {"emails": emails})
    assert response.status_code == 200
    results = response.json["results"]
    assert len(results) == 500
    assert sum(r["known"] for r in results) == 1


def test_a_batch_over_500_is_refused_whole(client: FlaskClient) -> None:
    response = post(client, "/lookup-batch", {"emails": [f"u{i}@example.com" for i in range(501)]})
    assert response.status_code == 400
    assert response.json["error"] == "batch_too_large"
    assert "501" in response.json["message"]


def test_a_batch_reads_the_store_once_with_each_email_once(
    client: FlaskClient, seeded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    real_find = helper_api.lookups.find

    def counting_find(conn, schema, emails):
        calls.append(list(emails))
        return real_find(conn, schema, emails)

    monkeypatch.setattr(helper_api.lookups, "find", counting_find)
    emails = ["ana.souza@example.com", "ANA.souza@example.com", "x@example.com", "ana.souza@example.com"]
    assert post(client, "/lookup-batch", {"emails": emails}).status_code == 200
    assert calls == [["ana.souza@example.com", "x@example.com"]]


# --- authentication -------------------------------------------------------------------------------

LOOKUPS = [
    ("/get-password", {"email": "ana.souza@example.com"}),
    ("/get-photo", {"email": "ana.souza@example.com"}),
    ("/lookup-batch", {"emails": ["ana.souza@example.com"]}),
]


@pytest.mark.parametrize(("path", "body"), LOOKUPS)
@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, 'error="invalid_request"'),
        ({"Authorization": ""}, 'error="invalid_request"'),
        ({"Authorization": f"Basic {TOKEN}"}, 'error="invalid_request"'),
        ({"Authorization": "Bearer"}, 'error="invalid_request"'),
        ({"Authorization": "Bearer wrong-token"}, 'error="invalid_token"'),
        ({"Authorization": f"Bearer {TOKEN}x"}, 'error="invalid_token"'),
        ({"Authorization": f"Bearer {TOKEN[:-1]}"}, 'error="invalid_token"'),
    ],
    ids=["missing", "empty", "basic-scheme", "no-token", "wrong", "longer", "shorter"],
)
def test_lookups_without_a_valid_bearer_token_are_401(
    client: FlaskClient, path: str, body: dict[str, object], headers: dict[str, str], detail: str
) -> None:
    response = post(client, path, body, headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == f'Bearer realm="hestia-helper", {detail}'


@pytest.mark.parametrize("token", [TOKEN, "old-token-still-valid"])
@pytest.mark.parametrize(("path", "body"), LOOKUPS)
def test_every_listed_token_is_accepted_so_tokens_rotate_without_downtime(
    client: FlaskClient, seeded: dict[str, str], token: str, path: str, body: dict[str, object]
) -> None:
    assert post(client, path, body, headers={"Authorization": f"bearer  {token} "}).status_code == 200


def test_health_and_the_openapi_document_need_no_token(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}
    assert client.get("/openapi.json").json["openapi"].startswith("3.")


# --- bad input ------------------------------------------------------------------------------------

JSON_TYPE = "application/json"
BAD_INPUT = [
    # (id, path, content type, raw body, status, error code, words in the message)
    ("truncated-json", "/get-password", JSON_TYPE, b'{"email":', 400, "malformed_json", "not valid JSON"),
    ("not-utf8", "/get-password", JSON_TYPE, b'{"email": "\xff"}', 400, "malformed_json", "UTF-8"),
    ("deep-nesting", "/lookup-batch", JSON_TYPE, b"[" * 30000 + b"]" * 30000, 400, "malformed_json", "JSON"),
    ("empty-body", "/get-photo", JSON_TYPE, b"", 400, "malformed_json", "JSON"),
    ("array-body", "/get-password", JSON_TYPE, b'["a@b.co"]', 400, "invalid_body", "JSON object"),
    ("string-body", "/lookup-batch", JSON_TYPE, b'"a@b.co"', 400, "invalid_body", "JSON object"),
    ("missing-field", "/get-password", JSON_TYPE, b"{}", 400, "invalid_body", "missing field(s): email"),
    ("wrong-field", "/lookup-batch", JSON_TYPE, b'{"email": "a@b.co"}', 400, "invalid_body", "missing"),
    ("extra-field", "/get-photo", JSON_TYPE, b'{"email": "a@b.co", "x": 1}', 400, "invalid_body", "unknown field"),
    ("email-number", "/get-password", JSON_TYPE, b'{"email": 42}', 400, "invalid_body", "email must be a string"),
    ("email-null", "/get-photo", JSON_TYPE, b'{"email": null}', 400, "invalid_body", "must be a string"),
    ("email-list", "/get-photo", JSON_TYPE, b'{"email": ["a@b.co"]}', 400, "invalid_body", "must be a string"),
    ("no-at", "/get-password", JSON_TYPE, b'{"email": "ana.example.com"}', 400, "invalid_email", "not a valid"),
    ("no-dot-domain", "/get-photo", JSON_TYPE, b'{"email": "ana@localhost"}', 400, "invalid_email", "not a valid"),
    ("two-ats", "/get-photo", JSON_TYPE, b'{"email": "a@b@example.com"}', 400, "invalid_email", "not a valid"),
    ("inner-space", "/get-photo", JSON_TYPE, b'{"email": "an a@example.com"}', 400, "invalid_email", "not a valid"),
    ("blank", "/get-password", JSON_TYPE, b'{"email": "   "}', 400, "invalid_email", "not a valid"),
    ("non-ascii", "/get-password", JSON_TYPE, '{"email": "jos\u00e9@example.com"}'.encode(), 400, "invalid_email", ""),
    # The Kelvin sign lower-cases to an ASCII k: it must be refused before lower() can disguise it.
    ("kelvin-sign", "/get-password", JSON_TYPE, '{"email": "\u212a@example.com"}'.encode(), 400, "invalid_email", ""),
    ("nul", "/get-password", JSON_TYPE, b'{"email": "a\\u0000@example.com"}', 400, "invalid_email", ""),
    ("too-long", "/get-photo", JSON_TYPE, b'{"email": "%s@b.co"}' % (b"a" * 316), 400, "invalid_email", "320"),
    ("emails-string", "/lookup-batch", JSON_TYPE, b'{"emails": "a@b.co"}', 400, "invalid_body", "list of strings"),
    ("emails-null", "/lookup-batch", JSON_TYPE, b'{"emails": null}', 400, "invalid_body", "list of strings"),
    ("emails-item-int", "/lookup-batch", JSON_TYPE, b'{"emails": ["a@b.co", 7]}', 400, "invalid_body", "emails[1]"),
    ("emails-item-bad", "/lookup-batch", JSON_TYPE, b'{"emails": ["a@b.co", "x"]}', 400, "invalid_email", "emails[1]"),
    ("text-plain", "/get-password", "text/plain", b'{"email": "a@b.co"}', 415, "unsupported_media_type", "JSON"),
    ("form", "/lookup-batch", "application/x-www-form-urlencoded", b"emails=a", 415, "unsupported_media_type", ""),
    ("no-content-type", "/get-photo", None, b'{"email": "a@b.co"}', 415, "unsupported_media_type", ""),
    (
        "over-64-KiB", "/lookup-batch", JSON_TYPE,
        json.dumps({"emails": ["a" * 60 + "@example.com"] * 1000}).encode(), 413, "body_too_large", "64 KiB",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "content_type", "raw", "status", "code", "words"), [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)  # fmt: skip
def test_bad_input_is_a_4xx_json_error_that_says_what_was_wrong(
    client: FlaskClient, path: str, content_type: str | None, raw: bytes, status: int, code: str, words: str
) -> None:
    headers = dict(AUTH)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(path, data=raw, headers=headers)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.json["error"] == code
    assert words in response.json["message"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no-such-endpoint", 404, "not_found"),
        ("GET", "/get-password", 405, "method_not_allowed"),
        ("DELETE", "/lookup-batch", 405, "method_not_allowed"),
        ("POST", "/healthz", 405, "method_not_allowed"),
    ],
)
def test_routing_errors_are_json_too(client: FlaskClient, method: str, path: str, status: int, code: str) -> None:
    response = client.open(path, method=method, headers=AUTH)
    assert response.status_code == status
    assert response.json["error"] == code
    if status == 405:
        assert "POST" in response.headers["Allow"] or "GET" in response.headers["Allow"]


# --- rate limit, request ids, readiness -----------------------------------------------------------


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(database_url: str) -> None:
    settings = Settings(
        database_url=database_url, api_tokens=f"{TOKEN},other-token", rate_limit_per_minute=2, _env_file=None
    )
    app = create_app(settings)
    try:
        client = app.test_client()
        statuses = [post(client, "/get-photo", {"email": "a@example.com"}).status_code for _ in range(2)]
        limited = post(client, "/get-photo", {"email": "a@example.com"})
        other = post(client, "/get-photo", {"email": "a@example.com"}, headers={"Authorization": "Bearer other-token"})
    finally:
        close_pool(app)
    assert statuses == [200, 200]
    assert limited.status_code == 429
    assert limited.json["error"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 30
    assert other.status_code == 200


def test_a_valid_request_id_is_echoed_and_a_missing_or_unsafe_one_replaced(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "job-run-42.7"}).headers["X-Request-ID"] == "job-run-42.7"
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    unsafe = client.get("/healthz", headers={"X-Request-ID": 'x" level=ERROR'}).headers["X-Request-ID"]
    assert unsafe != 'x" level=ERROR'
    assert len(unsafe) == 32


def test_when_the_database_does_not_answer_readyz_and_lookups_are_503(app: Flask, settings: Settings) -> None:
    broken = settings.model_copy(
        update={"database_url": settings.database_url.__class__("postgresql://u:pw@127.0.0.1:1/none"),
                "auto_migrate": False, "connect_timeout_s": 1}
    )  # fmt: skip
    app = create_app(broken)
    try:
        client = app.test_client()
        ready = client.get("/readyz")
        lookup = post(client, "/lookup-batch", {"emails": ["a@example.com"]})
        healthy = client.get("/healthz")
    finally:
        close_pool(app)
    for response in (ready, lookup):
        assert response.status_code == 503
        assert response.json["error"] == "database_unavailable"
        assert response.headers["Retry-After"] == "5"
    assert healthy.status_code == 200


def test_connections_are_reused_not_opened_per_request(client: FlaskClient, settings: Settings) -> None:
    for _ in range(20):
        assert post(client, "/get-photo", {"email": "a@example.com"}).status_code == 200
    assert helper_backends(settings.database_url.get_secret_value()) == 1


def test_after_the_server_drops_the_connections_one_request_fails_and_the_next_reconnects(
    client: FlaskClient, settings: Settings
) -> None:
    database_url = settings.database_url.get_secret_value()
    assert client.get("/readyz").status_code == 200
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hestia-helper'"
                " AND datname = current_database()"
            )
    finally:
        conn.close()
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").status_code == 200


def test_an_unexpected_failure_is_a_json_500_and_its_log_shows_no_local_values(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode() -> str:
        secret_in_a_local = "local-value-Hq2"
        raise RuntimeError("boom " + secret_in_a_local[:0])

    app.add_url_rule("/explode", view_func=explode)
    capsys.readouterr()
    response = app.test_client().get("/explode", headers={"X-Request-ID": "explode-1"})
    assert response.status_code == 500
    assert response.json == {
        "error": "internal_error",
        "message": "the helper failed unexpectedly; quote the X-Request-ID when reporting it",
    }
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [failure] = [line for line in lines if line["event"] == "unexpected_error"]
    assert failure["exception"] == "RuntimeError"
    assert "explode" in failure["traceback"]
    assert "local-value-Hq2" not in json.dumps(lines)
    [request_line] = [line for line in lines if line["event"] == "request"]
    assert (request_line["status"], request_line["request_id"], request_line["level"]) == (500, "explode-1", "ERROR")


# --- issue 12: failed authentication per address, bodies without a length, what the log may say ----


def test_wrong_tokens_from_one_address_turn_into_429_with_retry_after_and_others_are_still_served(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url, api_tokens=TOKEN, auth_failures_per_minute=5, _env_file=None)
    app = create_app(settings)
    try:
        client = app.test_client()
        attacker = {"REMOTE_ADDR": "192.0.2.7"}
        wrong = {"Authorization": "Bearer not-the-token"}
        statuses = [
            client.post("/get-photo", json={"email": "a@example.com"}, headers=wrong, environ_base=attacker)
            for _ in range(8)
        ]
        right_from_attacker = client.post(
            "/get-photo", json={"email": "a@example.com"}, headers=AUTH, environ_base=attacker
        )
        job = client.post(
            "/get-photo", json={"email": "a@example.com"}, headers=AUTH, environ_base={"REMOTE_ADDR": "192.0.2.8"}
        )
    finally:
        close_pool(app)
    assert [r.status_code for r in statuses] == [401] * 5 + [429] * 3
    limited = statuses[-1]
    assert limited.json["error"] == "rate_limited"
    assert "failed authentications" in limited.json["message"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 12
    assert right_from_attacker.status_code == 429
    assert job.status_code == 200


def chunked(client: FlaskClient, path: str, raw: bytes):
    """A body with no Content-Length, as a server hands over a chunked one (wsgi.input_terminated)."""
    return client.post(
        path,
        input_stream=io.BytesIO(raw),
        headers={**AUTH, "Content-Type": JSON_TYPE},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_body_without_a_length_is_read_to_its_end_and_refused_past_64_kib(client: FlaskClient) -> None:
    document = b'{"emails": ["ana.souza@example.com"]}'
    exactly = document[:-1] + b" " * (MAX_BODY_BYTES - len(document)) + b"}"
    assert len(exactly) == MAX_BODY_BYTES
    assert chunked(client, "/lookup-batch", exactly).status_code == 200
    over = chunked(client, "/lookup-batch", exactly + b"\n")
    assert (over.status_code, over.json["error"]) == (413, "body_too_large")
    assert chunked(client, "/lookup-batch", b" " * 200_000).status_code == 413


def test_a_token_sent_as_the_request_id_is_never_echoed(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": TOKEN})
    assert response.headers["X-Request-ID"] != TOKEN
    assert len(response.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize(
    ("method", "path", "logged"),
    [
        ("GET", f"/{TOKEN}", ("GET", "(unknown)")),
        ("GET", "/lookup/ana.souza@example.com", ("GET", "(unknown)")),
        (TOKEN.upper().replace("-", ""), "/healthz", ("(other)", "/healthz")),
        ("DELETE", "/lookup-batch", ("DELETE", "/lookup-batch")),
    ],
    ids=["token-as-path", "email-in-path", "token-as-method", "known-path-wrong-method"],
)
def test_the_request_log_names_only_known_methods_and_routes(
    client: FlaskClient, capsys: pytest.CaptureFixture[str], method: str, path: str, logged: tuple[str, str]
) -> None:
    capsys.readouterr()
    client.open(path, method=method, headers={"X-Request-ID": TOKEN})
    output = capsys.readouterr().out
    [line] = [json.loads(text) for text in output.splitlines() if '"event": "request"' in text]
    assert (line["method"], line["path"]) == logged
    assert TOKEN not in output
    assert TOKEN.upper().replace("-", "") not in output
    assert "ana.souza" not in output
