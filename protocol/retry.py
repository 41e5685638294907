"""Delivery retry policy: one pure function of the attempt number and the response, and its rules per host.

Mastodon retries a delivery 16 times over about 2.6 days with a polynomial backoff plus jitter
(app/workers/activitypub/delivery_worker.rb, `sidekiq_retry_in`); we follow the same shape. A host whose
POSTs fail several times in a row waits as a delivery would before its next attempt (a circuit breaker,
as Mastodon's Stoplight around each inbox host), so its other deliveries are not each tried in turn.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_ATTEMPTS = 16
UNAVAILABLE_AFTER_SECONDS = 7 * 24 * 3600
# 401: keys may have rotated; 408/429: the server asked us to come back.
RETRYABLE_4XX = frozenset({401, 408, 429})
HOST_FAILURES_TO_WAIT = 3  # failed POSTs in a row after which a host's deliveries wait (host_wait)
HOST_WAIT_CAP_SECONDS = 86400.0
# Followers whose inbox's host accepted no delivery for this long, while deliveries to it kept failing,
# are removed: fake followers whose inboxes never answer cost a row per post until then, no more.
FOLLOWERS_EXPIRE_AFTER_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class Outcome:
    """What to do after one attempt: done, retry at `delay` seconds, or give up."""

    delivered: bool
    retry: bool
    delay: float = 0.0


def backoff_delay(attempt: int, rng: random.Random) -> float:
    """Seconds before retry number `attempt` (1-based): attempt**4 + 15 plus up to 30*attempt of jitter,
    Sidekiq's formula that Mastodon relies on; the 15 waits between 16 attempts add up to about 2.1 days."""
    return float(attempt**4 + 15 + rng.randint(0, 30 * attempt))


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Parse `Retry-After` (RFC 9110 10.2.3): delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone also accepts "²", which float() refuses
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # asctime dates and "-0000" carry no zone; every HTTP-date is in UTC (RFC 9110 5.6.7).
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def classify(
    *, status: int | None, attempt: int, retry_after: float | None, rng: random.Random
) -> Outcome:
    """Decide after attempt `attempt` with HTTP `status` (None for a network error or timeout).

    2xx delivered; 4xx final except 401/408/429; 5xx and network errors retried up to MAX_ATTEMPTS;
    `Retry-After` is honoured when it asks for longer than our own backoff, capped at a day.
    """
    if status is not None and 200 <= status < 300:
        return Outcome(delivered=True, retry=False)
    if status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX:
        return Outcome(delivered=False, retry=False)
    if attempt >= MAX_ATTEMPTS:
        return Outcome(delivered=False, retry=False)
    delay = backoff_delay(attempt, rng)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 86400.0))
    return Outcome(delivered=False, retry=True, delay=delay)


def host_failed(status: int | None) -> bool:
    """Whether a POST's outcome counts against its host: no answer (network error, timeout) or a 5xx.
    Any other answer shows the host is there, whatever it thought of the activity."""
    return status is None or status >= 500


def host_wait(failures: int, rng: random.Random) -> float | None:
    """Seconds a host's deliveries wait after its `failures`-th failed POST in a row: none below
    HOST_FAILURES_TO_WAIT, then the backoff of a delivery's retry number `failures - 2` (16-46 s, then
    31-91 s, 96-186 s...), at most a day. A dead host is then tried about as often as one delivery to it
    would be, whatever the number of deliveries it has waiting."""
    if failures < HOST_FAILURES_TO_WAIT:
        return None
    return min(backoff_delay(failures - HOST_FAILURES_TO_WAIT + 1, rng), HOST_WAIT_CAP_SECONDS)
