"""Token buckets in process memory: one per API token (requests), one per client address (failed logins).

Hand-written rather than a library: it is a few lines and needs no shared store. The cost is that each
gunicorn worker keeps its own buckets, so the effective limit of the service is the configured one times
the number of workers. The lock is never held across a wait, so it is safe in a gevent worker too.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Enough for every client the helper has many times over; past it the least recently seen key is
# forgotten (its bucket starts full again), so a flood of new addresses cannot grow memory without end.
DEFAULT_MAX_KEYS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """``per_minute`` events per key per minute, with bursts of up to ``per_minute`` at once."""

    def __init__(
        self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_keys: int = DEFAULT_MAX_KEYS
    ) -> None:
        self.capacity = float(per_minute)
        self.refill_per_s = per_minute / 60.0
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def take(self, key: str) -> float:
        """Spend one token: 0.0 when the event may go ahead, else the seconds until it may."""
        return self._settle(key, spend=True)

    def wait_s(self, key: str) -> float:
        """The seconds until ``key`` could spend a token (0.0: now), spending nothing."""
        return self._settle(key, spend=False)

    def __len__(self) -> int:
        return len(self._buckets)

    def _settle(self, key: str, *, spend: bool) -> float:
        if not self.enabled:
            return 0.0
        with self._lock:
            bucket = self._refilled(key)
            if bucket.tokens >= 1.0:
                if spend:
                    bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.refill_per_s

    def _refilled(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.refill_per_s)
        bucket.updated = now
        return bucket
