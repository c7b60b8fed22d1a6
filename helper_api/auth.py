"""Bearer-token authentication (constant-time, several tokens for rotation) and the per-token rate limit."""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass

from helper_api.errors import ApiError
from helper_api.ratelimit import TokenBuckets

CHALLENGE = 'Bearer realm="hestia-helper"'


@dataclass(frozen=True)
class Guard:
    """Who may call the lookups, and how often."""

    tokens: tuple[bytes, ...]
    buckets: TokenBuckets

    def admit(self, authorization: str | None) -> str:
        """The caller's token id ("token-0", ...) for the logs, or an ApiError (401 or 429)."""
        index = self._token_index(authorization)
        token_id = f"token-{index}"
        wait_s = self.buckets.take(token_id)
        if wait_s > 0:
            per_minute = int(self.buckets.capacity)
            raise ApiError(
                429,
                "rate_limited",
                f"more than {per_minute} requests per minute with this token; retry after the Retry-After delay",
                {"Retry-After": str(max(1, math.ceil(wait_s)))},
            )
        return token_id

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


def _unauthorized(message: str, error: str) -> ApiError:
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": f"{CHALLENGE}, {error}"})
