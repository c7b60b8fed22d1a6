"""The served helper (real gunicorn on 127.0.0.1) against hostile clients (issue 12).

Slow headers and bodies are cut at their deadlines while others are answered; bodies over 64 KiB are
refused whether announced or chunked; what gunicorn's parser refuses is answered in JSON; wrong tokens
are limited per client address; and the token never reaches the log, however a client misuses it. The
last test runs every attack at once and checks that the health check and a legitimate client are
answered throughout. Every loop is bounded in count and time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import partial

import bcrypt
import httpx
import pytest

from tests.helper_api.attacks import (
    ATTACKER,
    CLOSED,
    OTHER_ATTACKER,
    Latencies,
    Reply,
    Tally,
    chunked_body,
    counting_connections,
    exchange,
    http_request,
    keep_calling,
    repeat_until,
    run_threads,
    trickle,
)
from tests.helper_api.conftest import insert_credentials
from tests.helper_api.support import TOKEN, GunicornServer, password_of, start_gunicorn, with_password
from tests.support.postgres import PgServer

HEADER_TIMEOUT_S = 2
BODY_TIMEOUT_S = 2
FAILURES_PER_MINUTE = 10
WORKERS = 2
# How long past its deadline a slow connection may still be open before the test calls it held.
SLACK_S = 3.0
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON_HEADERS = {**AUTH, "Content-Type": "application/json"}
KNOWN_EMAIL = "dora.melo@example.com"
PASSWORD_HASH = bcrypt.hashpw(b"Dora-pass-4", bcrypt.gensalt(4)).decode()
WRONG_TOKEN = "wrong-token-Pq93xz"
# The token in the shapes a confused client might send it: lower case is an invalid method, upper case
# without dashes a valid but unknown one.
TOKEN_AS_METHOD = TOKEN.upper().replace("-", "")


@pytest.fixture(scope="module")
def hostile_database(pg_server: PgServer) -> str:
    return with_password(pg_server.create_database("helper_hostile"))


@pytest.fixture(scope="module")
def served(hostile_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    overrides = {
        "HELPER_DATABASE_URL": hostile_database,
        "HELPER_WORKERS": str(WORKERS),
        "HELPER_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "HELPER_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "HELPER_AUTH_FAILURES_PER_MINUTE": str(FAILURES_PER_MINUTE),
        "HELPER_RATE_LIMIT_PER_MINUTE": "0",  # the legitimate client below is fast on purpose
    }
    with start_gunicorn(tmp_path_factory.mktemp("hostile"), overrides) as server:
        insert_credentials(hostile_database, [(KNOWN_EMAIL, PASSWORD_HASH, None)])
        yield server


@pytest.fixture
def port(served: GunicornServer) -> int:
    return int(served.base_url.rsplit(":", 1)[1])


def assert_no_secret_in(server: GunicornServer, database_url: str) -> None:
    """Every line the server wrote is JSON, and none holds the token, a password or a hash."""
    output = server.output()
    for line in output.splitlines():
        json.loads(line)
    secrets = [TOKEN, TOKEN_AS_METHOD, WRONG_TOKEN, PASSWORD_HASH, "Dora-pass-4"]
    secrets += [secret for secret in [password_of(database_url)] if secret]
    for secret in secrets:
        assert secret not in output


def lookup(email: str) -> bytes:
    return json.dumps({"emails": [email]}).encode()


# --- item 5: what gunicorn's parser refuses is answered in JSON -----------------------------------

MALFORMED = [
    # (id, raw request, status, error code)
    ("content-length-minus-1", http_request("POST", "/lookup-batch", {"Content-Length": "-1"}), 400, "bad_request"),
    ("http-2-request-line", b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 400, "bad_request"),
    ("10-kb-url", http_request("GET", "/" + "a" * 10_000), 414, "uri_too_long"),
    ("100-kb-header", http_request("GET", "/healthz", {"X-Big": "a" * 100_000}), 431, "header_fields_too_large"),
    ("token-as-method", http_request(TOKEN, "/"), 400, "bad_request"),
    ("token-as-header-line", b"GET /healthz HTTP/1.1\r\nHost: x\r\nBearer " + TOKEN.encode() + b"\r\n\r\n", 400,
     "bad_request"),
    ("unknown-transfer-coding", http_request("POST", "/lookup-batch", {"Transfer-Encoding": "br"}), 501,
     "not_implemented"),
    ("unknown-expectation", http_request("POST", "/lookup-batch", {"Expect": "tea", "Content-Length": "2"}), 417,
     "expectation_failed"),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "bad_request"),
    ("broken-chunk", http_request("POST", "/lookup-batch", {**JSON_HEADERS, "Transfer-Encoding": "chunked"}, b"zz\r\n"),
     400, "malformed_body"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "status", "code"), [case[1:] for case in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_what_the_parser_refuses_is_a_json_error_too(port: int, raw: bytes, status: int, code: str) -> None:
    reply = exchange(port, raw, Tally("malformed"))
    assert isinstance(reply, Reply), reply
    assert reply.status == status
    assert reply.is_json_error()
    assert json.loads(reply.body)["error"] == code
    assert len(reply.headers["x-request-id"]) == 32


# --- item 6: bodies over 64 KiB are refused with 413, chunked or not ------------------------------


def exactly_64_kib() -> bytes:
    document = lookup(KNOWN_EMAIL)
    return document[:-1] + b" " * (64 * 1024 - len(document)) + b"}"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (chunked_body(b" " * 200_000), 413),
        (chunked_body(exactly_64_kib(), then=b"\n"), 413),
        (chunked_body(exactly_64_kib()), 200),
    ],
    ids=["200-kb-chunked", "64-kib-of-json-plus-one-chunk", "exactly-64-kib-chunked"],
)
def test_a_chunked_body_over_64_kib_is_refused_not_cut(port: int, body: bytes, status: int) -> None:
    headers = {**JSON_HEADERS, "Transfer-Encoding": "chunked"}
    reply = exchange(port, http_request("POST", "/lookup-batch", headers, body), Tally("chunked"))
    assert isinstance(reply, Reply)
    assert reply.status == status
    if status == 413:
        assert reply.is_json_error()
        assert json.loads(reply.body)["error"] == "body_too_large"
    else:
        assert json.loads(reply.body)["results"][0]["known"] is True


def test_an_announced_body_over_64_kib_is_refused_before_it_is_sent(port: int) -> None:
    headers = {**JSON_HEADERS, "Content-Length": "100000"}
    reply = exchange(port, http_request("POST", "/lookup-batch", headers), Tally("announced"))
    assert isinstance(reply, Reply)
    assert (reply.status, json.loads(reply.body)["error"]) == (413, "body_too_large")


# --- item 3: slow clients are cut at their deadline -----------------------------------------------

SLOW_HEAD = (b"GET /healthz HTTP/1.1\r\n", b"X-Slow: " + b"a" * 400)
SLOW_BODY = (http_request("POST", "/lookup-batch", {**JSON_HEADERS, "Content-Length": "500"}), b" " * 500)


def test_a_head_sent_one_byte_at_a_time_is_cut_at_the_header_timeout(port: int) -> None:
    started = time.monotonic()
    outcome = trickle(port, *SLOW_HEAD, step_s=0.25, bound_s=30, tally=Tally("slow"))
    assert outcome == CLOSED  # no answer: the connection is closed, as nginx does for client_header_timeout
    assert time.monotonic() - started < HEADER_TIMEOUT_S + SLACK_S


def test_a_body_sent_one_byte_at_a_time_gets_408_at_the_body_timeout(port: int) -> None:
    started = time.monotonic()
    outcome = trickle(port, SLOW_BODY[0], lookup(KNOWN_EMAIL).ljust(500), step_s=0.25, bound_s=30, tally=Tally("b"))
    assert isinstance(outcome, Reply), outcome
    assert (outcome.status, json.loads(outcome.body)["error"]) == (408, "request_timeout")
    assert time.monotonic() - started < BODY_TIMEOUT_S + SLACK_S


# --- item 4: wrong tokens are limited per client address ------------------------------------------


def test_wrong_tokens_from_one_address_get_429_and_the_job_on_another_is_still_served(served: GunicornServer) -> None:
    transport = httpx.HTTPTransport(local_address=OTHER_ATTACKER)
    with httpx.Client(base_url=served.base_url, transport=transport, timeout=10.0) as attacker:
        replies = [
            attacker.post("/lookup-batch", json={"emails": [KNOWN_EMAIL]}, headers={"Authorization": f"Bearer w{n}"})
            for n in range(60)
        ]
        right_token = attacker.post("/lookup-batch", json={"emails": [KNOWN_EMAIL]}, headers=AUTH)
    statuses = [reply.status_code for reply in replies]
    # Each worker counts on its own: at most WORKERS x the limit get through as 401 before the 429s.
    assert statuses[:FAILURES_PER_MINUTE] == [401] * FAILURES_PER_MINUTE
    assert set(statuses) == {401, 429}
    assert statuses.count(401) <= WORKERS * FAILURES_PER_MINUTE
    limited = replies[-1]
    assert limited.json()["error"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert right_token.status_code == 429
    job = httpx.post(f"{served.base_url}/lookup-batch", json={"emails": [KNOWN_EMAIL]}, headers=AUTH, timeout=10.0)
    assert job.status_code == 200


# --- item 7: the token never reaches the log ------------------------------------------------------


def test_a_token_misused_as_method_header_path_or_request_id_never_reaches_the_log(
    served: GunicornServer, port: int, hostile_database: str
) -> None:
    tally = Tally("misuse")
    misuses = [
        http_request(TOKEN, "/healthz"),
        http_request(TOKEN_AS_METHOD, "/healthz"),
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + TOKEN.encode() + b"\r\n\r\n",
        http_request("GET", "/healthz", {TOKEN: "1"}),
        http_request("GET", f"/{TOKEN}"),
        http_request("GET", f"/lookup/{TOKEN}?token={TOKEN}"),
        http_request("GET", "/healthz", {"X-Request-ID": TOKEN}),
        http_request("POST", "/lookup-batch", {"Authorization": TOKEN, "Content-Type": "application/json"}),
    ]
    replies = [exchange(port, raw, tally) for raw in misuses]
    assert all(isinstance(reply, Reply) for reply in replies)
    assert all(TOKEN not in reply.headers.get("x-request-id", "") for reply in replies if isinstance(reply, Reply))
    assert_no_secret_in(served, hostile_database)
    logged = [json.loads(line) for line in served.output().splitlines()]
    paths = {line["path"] for line in logged if line.get("event") == "request"}
    assert paths <= {"/healthz", "/lookup-batch", "(unknown)"}


# --- everything at once ---------------------------------------------------------------------------

WINDOW_S = 8.0
BIG_BODIES = [
    http_request("POST", "/lookup-batch", {**JSON_HEADERS, "Content-Length": "100000"}),
    http_request(
        "POST", "/lookup-batch", {**JSON_HEADERS, "Transfer-Encoding": "chunked"}, chunked_body(b" " * 200_000)
    ),
]


def slow_clients(port: int, deadline: float, tally: Tally, request: tuple[bytes, bytes]) -> None:
    """One byte every 0.25 s, reconnecting each time the server cuts the connection."""
    repeat_until(deadline, 40, lambda _: trickle(port, *request, step_s=0.25, bound_s=30, tally=tally))


def whole_requests(port: int, deadline: float, tally: Tally, requests: list[bytes]) -> None:
    repeat_until(deadline, 1500, lambda n: exchange(port, requests[n % len(requests)], tally))


def wrong_token_flood(base_url: str, deadline: float, tally: Tally) -> None:
    """As fast as one keep-alive client goes, each request with another wrong token, from ATTACKER."""
    transport = httpx.HTTPTransport(local_address=ATTACKER)
    with httpx.Client(base_url=base_url, transport=transport, timeout=5.0) as client:
        for n in range(5000):
            if time.monotonic() >= deadline:
                return
            tally.sent()
            reply = client.post(
                "/get-password", json={"email": KNOWN_EMAIL}, headers={"Authorization": f"Bearer {WRONG_TOKEN}{n}"},
                extensions=counting_connections(tally),
            )  # fmt: skip
            tally.got(Reply(reply.status_code, dict(reply.headers), reply.content))


def probe_health(base_url: str, deadline: float, out: Latencies) -> None:
    # A new connection per probe, as the container's health check makes: accepting must keep up too.
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=base_url, timeout=2.0, limits=limits) as client:
        keep_calling(client, lambda c: c.get("/healthz").json() == {"status": "ok"}, deadline, 0.1, out)


def call_as_the_job(base_url: str, deadline: float, out: Latencies) -> None:
    def batch(client: httpx.Client) -> bool:
        reply = client.post("/lookup-batch", json={"emails": [KNOWN_EMAIL]}, headers=AUTH)
        return reply.status_code == 200 and reply.json()["results"][0]["password"] == PASSWORD_HASH

    with httpx.Client(base_url=base_url, timeout=5.0) as client:
        keep_calling(client, batch, deadline, 0.1, out)


def test_under_every_attack_at_once_the_health_check_and_the_job_keep_being_answered(
    served: GunicornServer, port: int, hostile_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    deadline = time.monotonic() + WINDOW_S
    heads, bodies, big, bad, flood = (Tally(n) for n in ("slow-headers", "slow-bodies", "big-bodies", "malformed",
                                                          "wrong-token"))  # fmt: skip
    health, job = Latencies("health check"), Latencies("job (legit)")
    malformed = [case[1] for case in MALFORMED]
    targets = (
        [partial(slow_clients, port, deadline, heads, SLOW_HEAD)] * 16
        + [partial(slow_clients, port, deadline, bodies, SLOW_BODY)] * 8
        + [partial(whole_requests, port, deadline, big, BIG_BODIES)] * 2
        + [partial(whole_requests, port, deadline, bad, malformed)] * 2
        + [partial(wrong_token_flood, served.base_url, deadline, flood)]
        + [partial(probe_health, served.base_url, deadline, health)]
        + [partial(call_as_the_job, served.base_url, deadline, job)]
    )
    still_running = run_threads(targets, join_s=WINDOW_S + 40)
    with capsys.disabled():
        print("\n" + "\n".join([t.line() for t in (heads, bodies, big, bad, flood)] + [health.line(), job.line()]))

    assert still_running == []
    assert (health.failures, job.failures) == ([], [])
    assert min(len(health.seconds), len(job.seconds)) >= 10
    assert set(heads.outcomes) == {CLOSED}  # never HELD: each was cut at the header timeout
    assert set(bodies.outcomes) == {408}
    assert set(big.outcomes) == {413}
    assert set(bad.outcomes) <= {400, 414, 417, 431, 501}
    assert 429 in flood.outcomes
    assert set(flood.outcomes) <= {401, 429}
    assert [t.not_json for t in (heads, bodies, big, bad, flood)] == [[]] * 5
    assert_no_secret_in(served, hostile_database)
