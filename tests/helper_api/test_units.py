"""Small pure pieces: emails, the avatar URL, the token buckets, the guard, the worker's refusals."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from gunicorn.http import errors as http_errors

from helper_api.auth import Guard
from helper_api.emails import EMAIL_PATTERN, avatar_url, mask_email, normalise_email
from helper_api.errors import ApiError
from helper_api.ratelimit import TokenBuckets
from helper_api.serving import error_response, refusal_for

# Everything DB1's CHECK constraint accepts must be accepted here (or the job's batches would fail).
DB1_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ana@Example.COM", "ana@example.com"),
        ("  ana@example.com\t\r\n", "ana@example.com"),
        ("o'brien+tag@sub.example.co.uk", "o'brien+tag@sub.example.co.uk"),
        ("a@b.co", "a@b.co"),
        ("a%b@x.y..zz", "a%b@x.y..zz"),
        ("a@-b.co", "a@-b.co"),
        ("", None),
        ("ana", None),
        ("ana@example", None),
        ("ana@@example.com", None),
        ("ana example@x.com", None),
        ("\u00e1na@example.com", None),
        ("\u212a@example.com", None),
        ("ana@example.com\u00a0", None),
        ("a" * 308 + "@example.com", "a" * 308 + "@example.com"),
        ("a" * 309 + "@example.com", None),
    ],
)
def test_emails_are_stripped_lower_cased_and_checked(raw: str, expected: str | None) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "email",
    ["a.b_c%d+e-f@x-y.z.example.com", "A@B.CD", "x@a..com", "x@-a.com", "x@a.b.c.museum", "a" * 250 + "@x.co"],
)
def test_every_email_db1_accepts_is_accepted(email: str) -> None:
    assert DB1_EMAIL.match(email)
    assert normalise_email(email) == email.lower()


def test_the_published_pattern_is_the_one_enforced() -> None:
    published = re.compile(EMAIL_PATTERN)
    for raw in ["ana@example.com", " ana@example.com ", "ana@example", "a b@c.de", "\tA@B.CO\n"]:
        assert bool(published.fullmatch(raw)) == (normalise_email(raw) is not None), raw


@pytest.mark.parametrize(
    ("email", "masked"),
    [("joao.silva@example.com", "j***@example.com"), ("a@b.co", "a***@b.co"), ("nonsense", "***")],
)
def test_masked_emails_keep_only_the_first_letter_and_the_domain(email: str, masked: str) -> None:
    assert mask_email(email) == masked


def test_the_avatar_url_is_deterministic_and_holds_only_a_hash() -> None:
    url = avatar_url("https://www.gravatar.com/avatar/", "ana@example.com")
    assert url == avatar_url("https://www.gravatar.com/avatar", "ana@example.com")
    digest = hashlib.sha256(b"ana@example.com").hexdigest()
    assert url == f"https://www.gravatar.com/avatar/{digest}?d=identicon"
    assert avatar_url("https://www.gravatar.com/avatar/", "bruno@example.com") != url


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_of_the_limit_then_one_request_per_refill() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=3, clock=clock)
    assert [buckets.take("t") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("t") == pytest.approx(20.0)  # 3 per minute: one every 20 s
    clock.now += 10
    assert buckets.take("t") == pytest.approx(10.0)
    clock.now += 10
    assert buckets.take("t") == 0.0
    assert buckets.take("t") > 0


def test_buckets_are_per_key_and_refill_no_higher_than_the_limit() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=2, clock=clock)
    assert [buckets.take("a"), buckets.take("a"), buckets.take("b")] == [0.0, 0.0, 0.0]
    assert buckets.take("a") > 0
    clock.now += 3600
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") > 0


def test_a_limit_of_zero_turns_the_limit_off() -> None:
    buckets = TokenBuckets(per_minute=0)
    assert not buckets.enabled
    assert all(buckets.take("t") == 0.0 for _ in range(10_000))


def test_waiting_spends_nothing_and_says_how_long_until_a_token_is_back() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=2, clock=clock)
    assert [buckets.wait_s("a"), buckets.wait_s("a")] == [0.0, 0.0]
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.wait_s("a") == pytest.approx(30.0)
    clock.now += 30
    assert buckets.wait_s("a") == 0.0


def test_buckets_forget_the_least_recently_seen_key_past_their_bound() -> None:
    buckets = TokenBuckets(per_minute=1, clock=Clock(), max_keys=3)
    for key in ("a", "b", "c"):
        buckets.take(key)
    buckets.take("a")  # seen again: "b" is now the oldest
    buckets.take("d")
    assert len(buckets) == 3
    assert buckets.wait_s("a") > 0  # remembered: still empty
    assert buckets.wait_s("b") == 0.0  # forgotten: starts full again


# --- the guard: tokens, and failed attempts per client address ------------------------------------


def guard(failures_per_minute: int = 3, clock: Clock | None = None) -> Guard:
    clock = clock or Clock()
    return Guard((b"good-token",), TokenBuckets(100, clock=clock), TokenBuckets(failures_per_minute, clock=clock))


def outcome(g: Guard, authorization: str | None, client: str) -> int | str:
    try:
        return g.admit(authorization, client)
    except ApiError as exc:
        return exc.status_code


def test_an_address_that_fails_too_often_gets_429_even_with_the_right_token() -> None:
    g = guard(failures_per_minute=3)
    assert [outcome(g, "Bearer wrong", "10.0.0.7") for _ in range(4)] == [401, 401, 401, 429]
    assert outcome(g, None, "10.0.0.7") == 429
    assert outcome(g, "Bearer good-token", "10.0.0.7") == 429  # no oracle for a guesser
    assert outcome(g, "Bearer good-token", "10.0.0.8") == "token-0"  # other addresses are untouched


def test_the_failure_limit_says_when_to_retry_and_refills() -> None:
    clock = Clock()
    g = guard(failures_per_minute=3, clock=clock)
    for _ in range(3):
        outcome(g, "Bearer wrong", "10.0.0.7")
    with pytest.raises(ApiError) as caught:
        g.admit("Bearer good-token", "10.0.0.7")
    assert caught.value.to_dict()["error"] == "rate_limited"
    assert "failed authentications" in caught.value.message
    assert caught.value.headers["Retry-After"] == "20"
    clock.now += 20
    assert outcome(g, "Bearer good-token", "10.0.0.7") == "token-0"


def test_successful_requests_do_not_count_as_failures() -> None:
    g = guard(failures_per_minute=1)
    assert all(outcome(g, "Bearer good-token", "10.0.0.7") == "token-0" for _ in range(50))
    assert outcome(g, "Bearer wrong", "10.0.0.7") == 401


def test_a_failure_limit_of_zero_turns_it_off() -> None:
    g = guard(failures_per_minute=0)
    assert {outcome(g, "Bearer wrong", "10.0.0.7") for _ in range(500)} == {401}


def test_only_an_accepted_token_counts_as_one() -> None:
    g = guard()
    assert g.is_token("good-token")
    assert not g.is_token("good-token ")
    assert not g.is_token("")


# --- what the worker answers for requests gunicorn's parser refuses -------------------------------


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (http_errors.LimitRequestLine(10000, 4094), 414, "uri_too_long"),
        (http_errors.LimitRequestHeaders("limit request headers fields size"), 431, "header_fields_too_large"),
        (http_errors.InvalidRequestLine("secret-token / HTTP/1.1"), 400, "bad_request"),
        (http_errors.InvalidRequestMethod("secret-token"), 400, "bad_request"),
        (http_errors.InvalidHTTPVersion("HTTP/2.0"), 400, "bad_request"),
        (http_errors.InvalidHeader("CONTENT-LENGTH"), 400, "bad_request"),
        (http_errors.InvalidHeaderName("secret-token"), 400, "bad_request"),
        (http_errors.InvalidChunkSize(b"zz"), 400, "malformed_body"),
        (http_errors.UnsupportedTransferCoding("gzip"), 501, "not_implemented"),
        (http_errors.InvalidProxyLine("x"), 400, "bad_request"),
        (RuntimeError("boom"), 500, "internal_error"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else None,
)
def test_every_parser_refusal_has_a_status_a_code_and_a_message_that_quotes_nothing(
    exc: BaseException, status: int, code: str
) -> None:
    assert refusal_for(exc)[:2] == (status, code)
    assert "secret-token" not in refusal_for(exc)[2]


def test_a_refusal_is_a_complete_json_response_that_closes_the_connection() -> None:
    raw = error_response(431, "header_fields_too_large", "too many header fields", "abc123")
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 431 Request Header Fields Too Large"
    assert set(lines[1:]) == {
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "X-Request-ID: abc123",
        "Connection: close",
    }
    assert json.loads(body) == {"error": "header_fields_too_large", "message": "too many header fields"}
