"""Small pure pieces: email normalisation and masking, the avatar URL, the token bucket."""

from __future__ import annotations

import hashlib
import re

import pytest

from helper_api.emails import EMAIL_PATTERN, avatar_url, mask_email, normalise_email
from helper_api.ratelimit import TokenBuckets

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
