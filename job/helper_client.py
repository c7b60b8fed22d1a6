"""Client of the helper API: password hashes and photo URLs by email, in batches.

Failures are classified in one place (`_classify`): timeouts, refused connections, 429 and 5xx are
transient (retried with backoff, then the rows are deferred); any other 4xx is fatal (a wrong token
or a contract mismatch will not fix itself).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

import httpx
from pydantic import SecretStr

from job.errors import FatalSyncError, TransientError

BATCH_PATH = "/lookup-batch"
MAX_RETRY_AFTER_S = 30.0


def normalise_email(email: str) -> str:
    """The helper matches emails without case or surrounding spaces; so does the job."""
    return email.strip().lower()


@dataclass(frozen=True)
class Credentials:
    """What the helper knows of one email: a bcrypt hash (None when unknown) and a photo URL."""

    password_hash: str | None
    photo_url: str | None


@dataclass
class LookupResult:
    """Answers by normalised email, and the emails whose lookup failed transiently (with why)."""

    found: dict[str, Credentials] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


class _Retry(Exception):
    def __init__(self, reason: str, delay_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay_s = delay_s


class HelperClient:
    """Batched, bounded-concurrency, retrying calls to POST /lookup-batch."""

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
        self._count_lock = Lock()
        self.requests_sent = 0

    def close(self) -> None:
        self._client.close()

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
            for chunk, outcome in zip(chunks, pool.map(self._lookup_chunk, chunks), strict=True):
                if isinstance(outcome, str):
                    result.unavailable.update(dict.fromkeys(chunk, outcome))
                else:
                    result.found.update(outcome)
        return result

    def probe(self) -> None:
        """One authenticated lookup, to prove the helper answers and accepts the token."""
        outcome = self._lookup_chunk(["sync-check@example.com"])
        if isinstance(outcome, str):
            raise TransientError(f"the helper API did not answer: {outcome}")

    def _lookup_chunk(self, emails: list[str]) -> dict[str, Credentials] | str:
        """The chunk's answers, or the reason it stayed unavailable after every retry."""
        attempt = 0
        while True:
            try:
                return self._post(emails)
            except _Retry as retry:
                if attempt >= self._retries:
                    return f"{retry.reason} (after {attempt + 1} attempts)"
                time.sleep(self._delay(attempt, retry.delay_s))
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


def _classify(response: httpx.Response) -> None:
    """Raise _Retry for transient answers and FatalSyncError for the others; return on success."""
    status = response.status_code
    if status == httpx.codes.OK:
        return
    if status == httpx.codes.TOO_MANY_REQUESTS or status >= 500:
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
    try:
        results: list[dict[str, Any]] = response.json()["results"]
        answers = {
            normalise_email(str(item["email"])): Credentials(
                password_hash=item["password"] if item.get("known") else None,
                photo_url=item.get("photo_url"),
            )
            for item in results
        }
    except (ValueError, KeyError, TypeError):
        raise FatalSyncError("the helper API answered 200 with a body that does not match its contract") from None
    missing = [email for email in emails if email not in answers]
    if missing:
        raise FatalSyncError(f"the helper API left {len(missing)} of {len(emails)} emails unanswered")
    return answers
