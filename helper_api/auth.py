"""Bearer-token authentication (constant-time, several tokens for rotation) and its two rate limits."""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass

from helper_api.errors import ApiError
from helper_api.ratelimit import TokenBuckets

CHALLENGE = 'Bearer realm="hestia-helper"'


@dataclass(frozen=True)
class Guard:
    """Who may call the lookups, and how often: per token, and per client address for failed attempts."""

    tokens: tuple[bytes, ...]
    buckets: TokenBuckets
    failures: TokenBuckets

    def admit(self, authorization: str | None, client: str) -> str:
        """The caller's token id ("token-0", ...) for the logs, or an ApiError (401 or 429).

        An address that failed too often is refused before its token is even compared, valid or not:
        otherwise the 200s among the 429s would still tell a guesser when it found the token.
        """
        wait_s = self.failures.wait_s(client)
        if wait_s > 0:
            per_minute = int(self.failures.capacity)
            raise _rate_limited(f"more than {per_minute} failed authentications per minute from this address", wait_s)
        try:
            index = self._token_index(authorization)
        except ApiError:
            self.failures.take(client)
            raise
        token_id = f"token-{index}"
        wait_s = self.buckets.take(token_id)
        if wait_s > 0:
            raise _rate_limited(f"more than {int(self.buckets.capacity)} requests per minute with this token", wait_s)
        return token_id

    def is_token(self, value: str) -> bool:
        """True when ``value`` is one of the accepted tokens (so that it is never echoed or logged)."""
        presented = value.encode("latin-1", errors="replace")
        return any([hmac.compare_digest(token, presented) for token in self.tokens])

    def _token_index(self, authorization: str | None) -> int:
        if not authorization:
            raise _unauthorized("send the header Authorization: Bearer <token>", 'error="invalid_request"')
        scheme, _, credentials = authorization.strip().partition(" ")
        presented = credentials.strip().encode("latin-1", errors="replace")
        if scheme.lower() != "bearer" or not presented:
            raise _unauthorized("the Authorization header must be: Bearer <token>", 'error="invalid_request"')
        matched = None
        for index, token in enumerate(self.tokens):  # no early exit: every request costs the same
            if hmac.compare_digest(token, presented):
                matched = index
        if matched is None:
            raise _unauthorized("the bearer token is not accepted", 'error="invalid_token"')
        return matched


def _rate_limited(why: str, wait_s: float) -> ApiError:
    retry_after = str(max(1, math.ceil(wait_s)))
    return ApiError(429, "rate_limited", f"{why}; retry after the Retry-After delay", {"Retry-After": retry_after})


def _unauthorized(message: str, error: str) -> ApiError:
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": f"{CHALLENGE}, {error}"})
