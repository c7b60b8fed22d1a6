"""Client of the helper API: password hashes and photo URLs by email, in batches.

Failures are classified in one place (`_classify`): timeouts, refused connections and 5xx are transient
(retried with backoff, then the rows are deferred); a 429 is back-pressure (its Retry-After is honoured
without spending a retry, within a budget: see `_lookup_chunk`); any other 4xx is fatal (a wrong token or a
contract mismatch will not fix itself).

A run that loses the helper stops asking (`_Breaker`): once `breaker_threshold` chunks in a row stayed
unavailable after their retries, every remaining email of the run is unavailable at once, without a request.

Every answer is checked (`_parse`): a password that is not a bcrypt hash, or a photo that is not an http(s)
URL, is a problem of that one email (the resolvers reject its row), never of the whole chunk.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
from loguru import logger
from pydantic import SecretStr

from job.emails import normalise
from job.errors import FatalSyncError, TransientError
from job.events import Event

BATCH_PATH = "/lookup-batch"
MAX_RETRY_AFTER_S = 30.0
# bcrypt's modular-crypt form: version, two-digit cost, 22 characters of salt and 31 of hash in bcrypt base64.
BCRYPT_HASH: Final = re.compile(r"\$2[aby]\$(?P<cost>[0-9]{2})\$[./A-Za-z0-9]{53}")
BCRYPT_COSTS: Final = range(4, 32)
JSON_TYPES: Final = {dict: "an object", list: "an array", bool: "a boolean", int: "a number", float: "a number"}


def normalise_email(email: str) -> str:
    """The email as the job asks for it and files the answer under: the one definition, job.emails."""
    return normalise(email)


@dataclass(frozen=True)
class Credentials:
    """What the helper knows of one email: a bcrypt hash (None when unknown) and a photo URL, or why the
    helper's answer for either cannot be used (its reason names the account's answer, never the value)."""

    password_hash: str | None
    photo_url: str | None
    password_problem: str | None = None
    photo_problem: str | None = None


@dataclass
class LookupResult:
    """Answers by normalised email, and the emails whose lookup failed transiently (with why)."""

    found: dict[str, Credentials] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


class _Retry(Exception):
    def __init__(self, reason: str, delay_s: float | None = None, *, rate_limited: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay_s = delay_s
        self.rate_limited = rate_limited


@dataclass(frozen=True)
class _Unavailable:
    """Why a chunk got no answer; `counts` says whether it is a failure of the helper (the breaker's business)."""

    reason: str
    counts: bool


class _Breaker:
    """Opens after `threshold` chunks in a row stayed unavailable; then stays open for the rest of the run.

    Whole chunks count, after their retries, so a blip that a retry absorbs counts nothing; an answered chunk
    resets the count. There is no half-open state: a run is one pass, and the next scheduled run asks again."""

    def __init__(self, threshold: int) -> None:
        if threshold < 1:
            raise ValueError("the breaker threshold must be at least 1")
        self._threshold = threshold
        self._failures = 0
        self._open_reason: str | None = None
        self._opened = threading.Event()
        self._lock = threading.Lock()

    @property
    def open_reason(self) -> str | None:
        with self._lock:
            return self._open_reason

    def wait(self, seconds: float) -> None:
        """Sleep before a retry, cut short when the breaker opens (the chunk will not send again)."""
        self._opened.wait(seconds)

    def success(self) -> None:
        with self._lock:
            self._failures = 0

    def halt(self, reason: str) -> None:
        """Open now, for a reason that is not the helper's fault (the run is stopping): nothing logged."""
        with self._lock:
            if self._open_reason is None:
                self._open_reason = reason
            self._opened.set()

    def failure(self, reason: str) -> None:
        with self._lock:
            if self._open_reason is not None:
                return
            self._failures += 1
            if self._failures < self._threshold:
                return
            self._open_reason = (
                f"the helper API stopped answering ({self._failures} consecutive failures: {reason}); "
                "not asked again this run"
            )
            opened, failures = self._open_reason, self._failures
            self._opened.set()
        logger.bind(event=Event.HELPER_BREAKER_OPEN, failures=failures).warning(
            f"{opened}: the remaining accounts are deferred to the next run"
        )


class HelperClient:
    """Batched, bounded-concurrency, retrying calls to POST /lookup-batch, for one run.

    Per chunk: at most `retries` + 1 ordinary attempts (timeouts, refused connections, 5xx, and 429s that
    give no positive Retry-After), plus 429s whose Retry-After is honoured without spending a retry until
    the chunk has been charged `rate_limit_budget_s` for them (each at least 1 s, so at most that many
    such answers and that many seconds of waiting). 429s never count towards the breaker."""

    def __init__(
        self,
        base_url: str,
        token: SecretStr,
        *,
        timeout_s: float = 10.0,
        batch_size: int = 200,
        concurrency: int = 4,
        retries: int = 3,
        backoff_s: float = 0.5,
        breaker_threshold: int = 3,
        rate_limit_budget_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token.get_secret_value()}", "User-Agent": "hestia-sync"},
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
        )
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._retries = retries
        self._backoff_s = backoff_s
        self._rate_limit_budget_s = rate_limit_budget_s
        self._breaker = _Breaker(breaker_threshold)
        self._count_lock = threading.Lock()
        self.requests_sent = 0

    def close(self) -> None:
        self._client.close()

    def halt(self, reason: str) -> None:
        """Send nothing more (thread-safe): waiting retries wake, chunks not started report `reason`."""
        self._breaker.halt(reason)

    def __enter__(self) -> HelperClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def lookup(self, emails: Sequence[str]) -> LookupResult:
        """Look up every distinct email; a chunk that keeps failing transiently is reported unavailable."""
        distinct = list(dict.fromkeys(normalise_email(email) for email in emails))
        chunks = [distinct[i : i + self._batch_size] for i in range(0, len(distinct), self._batch_size)]
        result = LookupResult()
        if not chunks:
            return result
        with ThreadPoolExecutor(max_workers=min(self._concurrency, len(chunks))) as pool:
            for chunk, outcome in zip(chunks, pool.map(self._counted_chunk, chunks), strict=True):
                if isinstance(outcome, str):
                    result.unavailable.update(dict.fromkeys(chunk, outcome))
                else:
                    result.found.update(outcome)
        return result

    def probe(self) -> None:
        """One authenticated lookup, to prove the helper answers and accepts the token."""
        outcome = self._lookup_chunk(["sync-check@example.com"])
        if isinstance(outcome, _Unavailable):
            raise TransientError(f"the helper API did not answer: {outcome.reason}")

    def _counted_chunk(self, emails: list[str]) -> dict[str, Credentials] | str:
        """One chunk of a lookup, told to the breaker: its answers, or why it stayed unavailable."""
        outcome = self._lookup_chunk(emails)
        if not isinstance(outcome, _Unavailable):
            self._breaker.success()
            return outcome
        if outcome.counts:
            self._breaker.failure(outcome.reason)
        return outcome.reason

    def _lookup_chunk(self, emails: list[str]) -> dict[str, Credentials] | _Unavailable:
        """The chunk's answers, or why it stayed unavailable; asks nothing once the breaker is open."""
        attempt, sent, rate_limited_s = 0, 0, 0.0
        while True:
            if (open_reason := self._breaker.open_reason) is not None:
                return _Unavailable(open_reason, counts=False)
            try:
                return self._post(emails)
            except _Retry as retry:
                sent += 1
                charge = _rate_limit_charge(retry)
                if charge is not None and rate_limited_s + charge <= self._rate_limit_budget_s:
                    rate_limited_s += charge
                    self._breaker.wait(min(retry.delay_s or 0.0, MAX_RETRY_AFTER_S))
                    continue
                if attempt >= self._retries:
                    tries = f"{sent} attempt{'s' if sent > 1 else ''}"
                    return _Unavailable(f"{retry.reason} (after {tries})", counts=not retry.rate_limited)
                self._breaker.wait(self._delay(attempt, retry.delay_s))
                attempt += 1

    def _delay(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(retry_after_s, MAX_RETRY_AFTER_S)
        return float(self._backoff_s * 2**attempt * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto

    def _post(self, emails: list[str]) -> dict[str, Credentials]:
        with self._count_lock:
            self.requests_sent += 1
        try:
            response = self._client.post(BATCH_PATH, json={"emails": emails})
        except httpx.TimeoutException:
            raise _Retry("the helper API timed out") from None
        except httpx.TransportError as exc:
            raise _Retry(f"cannot reach the helper API ({type(exc).__name__})") from None
        _classify(response)
        return _parse(response, emails)


def _rate_limit_charge(retry: _Retry) -> float | None:
    """What a 429 costs the chunk's rate-limit budget (None: not back-pressure with a pace, an ordinary retry).

    A 429 without a positive Retry-After says nothing about when to come back, so it spends a retry."""
    if not retry.rate_limited or not retry.delay_s:
        return None
    return max(1.0, min(retry.delay_s, MAX_RETRY_AFTER_S))


def _classify(response: httpx.Response) -> None:
    """Raise _Retry for transient answers and FatalSyncError for the others; return on success."""
    status = response.status_code
    if status == httpx.codes.OK:
        return
    if status == httpx.codes.TOO_MANY_REQUESTS:
        raise _Retry(f"the helper API answered {status}", _retry_after(response), rate_limited=True)
    if status >= 500:
        raise _Retry(f"the helper API answered {status}", _retry_after(response))
    if status in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
        raise FatalSyncError(f"the helper API refused the token ({status}): check HELPER_API_TOKEN")
    raise FatalSyncError(f"the helper API rejected the request ({status}): {_error_text(response)}")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    """The helper's own words: {"error": code, "message": text}, at most 200 characters."""
    try:
        body = response.json()
    except ValueError:
        return "no JSON error body"
    if not isinstance(body, dict):
        return "unexpected error body"
    error = body.get("error")
    nested = error.get("message") if isinstance(error, dict) else None
    return str(body.get("message") or nested or error or "no error message")[:200]


def _parse(response: httpx.Response, emails: list[str]) -> dict[str, Credentials]:
    """The answers by email. A body that breaks the contract fails the chunk; a bad value fails its email only."""
    try:
        results: list[dict[str, Any]] = response.json()["results"]
        answers = {normalise_email(str(item["email"])): _credentials(item) for item in results}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise FatalSyncError("the helper API answered 200 with a body that does not match its contract") from None
    missing = [email for email in emails if email not in answers]
    if missing:
        raise FatalSyncError(f"the helper API left {len(missing)} of {len(emails)} emails unanswered")
    return answers


def _credentials(item: dict[str, Any]) -> Credentials:
    """One email's answer, each value checked; the problems say what is wrong without quoting the value."""
    password = item.get("password") if item.get("known") else None
    photo = item.get("photo_url")
    password_problem = _password_problem(password) if item.get("known") else None
    photo_problem = None if photo is None else _photo_problem(photo)
    return Credentials(
        password_hash=None if password_problem else password,
        photo_url=None if photo_problem else photo,
        password_problem=password_problem,
        photo_problem=photo_problem,
    )


def _password_problem(value: object) -> str | None:
    what = "the helper's password hash for this account"
    if not isinstance(value, str):
        return f"{what} is {_json_type(value)}, not a bcrypt hash"
    shape = BCRYPT_HASH.fullmatch(value)
    if shape is None:
        return f"{what} is not a bcrypt hash"
    if int(shape["cost"]) not in BCRYPT_COSTS:
        return f"{what} has a bcrypt cost outside {BCRYPT_COSTS.start}-{BCRYPT_COSTS.stop - 1}"
    return None


def _photo_problem(value: object) -> str | None:
    what = "the helper's photo URL for this account"
    if not isinstance(value, str):
        return f"{what} is {_json_type(value)}, not a URL"
    if any(char.isspace() or not char.isprintable() for char in value):
        return f"{what} contains spaces or control characters"
    try:
        parts = urlsplit(value)
    except ValueError:
        return f"{what} is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"{what} is not an http(s) URL with a host"
    return None


def _json_type(value: object) -> str:
    return "null" if value is None else JSON_TYPES.get(type(value), type(value).__name__)
