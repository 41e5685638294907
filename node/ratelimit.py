"""Token buckets by key (a sender's domain, a client's address): `rate` requests per `period` seconds,
with up to `burst` saved up while the key is quiet. In memory and per process, which is what a
single-process node needs; bounded in size, so a flood of new keys cannot grow it without limit.

Used by the inbox (per sending domain, node/inbox_limit.py) and by logins (node/auth.py LoginLimits).
"""

import ipaddress
import math
import time
from collections.abc import Callable, Hashable


class RateLimiter:
    """`take(key)` spends one token of `key`'s bucket, or says how long to wait for one."""

    def __init__(self, rate: float, period: float = 60.0, *, burst: float | None = None, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or period <= 0:
            raise ValueError("rate and period must be positive")
        self.per_second = rate / period
        self.burst = float(burst if burst is not None else rate)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, when counted); oldest first

    def _tokens(self, key: Hashable, now: float) -> float:
        tokens, stamp = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - stamp) * self.per_second)

    def wait(self, key: Hashable, cost: float = 1.0) -> float:
        """Seconds until `key` may spend `cost` (0 when it may now); spends nothing."""
        missing = cost - self._tokens(key, self.clock())
        return 0.0 if missing <= 0 else missing / self.per_second

    def take(self, key: Hashable, cost: float = 1.0) -> float:
        """Spend `cost` from `key`'s bucket and return 0, or return the seconds to wait and spend nothing."""
        now = self.clock()
        tokens = self._tokens(key, now)
        if tokens < cost:
            return (cost - tokens) / self.per_second
        self._buckets.pop(key, None)  # re-inserted last: the dict stays in least-recently-used order
        self._buckets[key] = (tokens - cost, now)
        self._evict(now)
        return 0.0

    def spend(self, key: Hashable, cost: float = 1.0) -> None:
        """Spend `cost` even when it puts the bucket in debt (a request already served is counted)."""
        now = self.clock()
        tokens = self._tokens(key, now)
        self._buckets.pop(key, None)
        self._buckets[key] = (tokens - cost, now)
        self._evict(now)

    def refund(self, key: Hashable, cost: float = 1.0) -> None:
        """Give back `cost` spent by a request that turned out not to count (never above `burst`)."""
        if key in self._buckets:
            now = self.clock()
            self._buckets[key] = (min(self.burst, self._tokens(key, now) + cost), now)

    def forget(self, key: Hashable) -> None:
        """`key` starts again with a full bucket."""
        self._buckets.pop(key, None)

    def _evict(self, now: float) -> None:
        if len(self._buckets) <= self.max_keys:
            return
        # A bucket that has refilled is the same as no bucket: forget those first, then the least recent.
        for key in [k for k in self._buckets if self._tokens(k, now) >= self.burst]:
            del self._buckets[key]
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]

    def __len__(self) -> int:
        return len(self._buckets)


def client_key(address: str) -> str:
    """A client's address as a limit's key: an IPv6 address stands for its /64 (a host gets a whole one, and
    would otherwise have 2**64 keys), an IPv4-mapped one for its IPv4 address; anything else as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def retry_after_header(seconds: float) -> str:
    """A `Retry-After` value (RFC 9110 §10.2.3: whole seconds), never 0 for a refusal."""
    return str(max(1, math.ceil(seconds)))
