"""Tests for protocol.retry: backoff with jitter, Retry-After, and which responses are final."""

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from protocol.retry import (
    MAX_ATTEMPTS,
    RETRYABLE_4XX,
    Outcome,
    backoff_delay,
    classify,
    retry_after_seconds,
)

DAY = 86400.0
NOW = datetime(2015, 10, 21, 7, 0, 0, tzinfo=UTC)


class _Extreme(random.Random):
    """A Random whose randint always returns the low (or high) end: the bounds of the jitter."""

    def __init__(self, high: bool) -> None:
        super().__init__(0)
        self.high = high

    def randint(self, a: int, b: int) -> int:
        return b if self.high else a


LOW, HIGH = _Extreme(high=False), _Extreme(high=True)


# --- backoff_delay ----------------------------------------------------------------------------


def test_backoff_without_jitter_is_attempt_to_the_fourth_plus_15() -> None:
    assert [backoff_delay(n, LOW) for n in (1, 2, 3, 4, 10, 15)] == [16.0, 31.0, 96.0, 271.0, 10015.0, 50640.0]


def test_backoff_jitter_is_at_most_30_seconds_per_attempt() -> None:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert backoff_delay(attempt, HIGH) - backoff_delay(attempt, LOW) == 30 * attempt


def test_backoff_with_seeded_random_is_reproducible_and_bounded() -> None:
    first = [backoff_delay(n, random.Random(1234)) for n in range(1, MAX_ATTEMPTS + 1)]
    again = [backoff_delay(n, random.Random(1234)) for n in range(1, MAX_ATTEMPTS + 1)]
    assert first == again
    rng = random.Random(42)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        samples = [backoff_delay(attempt, rng) for _ in range(200)]
        base = attempt**4 + 15
        assert all(base <= s <= base + 30 * attempt for s in samples)
        assert len(set(samples)) > 1  # jitter actually varies


def test_backoff_grows() -> None:
    lows = [backoff_delay(n, LOW) for n in range(1, MAX_ATTEMPTS + 1)]
    assert lows == sorted(lows) and len(set(lows)) == len(lows)
    # From the second retry on, jitter never makes a later wait shorter than an earlier one.
    for attempt in range(2, MAX_ATTEMPTS):
        assert backoff_delay(attempt + 1, LOW) > backoff_delay(attempt, HIGH)


def test_sixteen_attempts_span_two_to_three_days() -> None:
    """Attempt 16 is the last one: the 15 waits before it add up to about 2.1 days."""

    def total(rng: random.Random) -> float:
        waits, attempt = 0.0, 1
        while True:
            outcome = classify(status=503, attempt=attempt, retry_after=None, rng=rng)
            if not outcome.retry:
                return waits if attempt == MAX_ATTEMPTS else -1.0
            waits += outcome.delay
            attempt += 1

    assert total(LOW) == 178537.0  # sum(n**4 + 15 for n in 1..15)
    assert total(HIGH) == 178537.0 + 30 * sum(range(1, 16))
    seeded = total(random.Random(7))
    assert 2 * DAY < total(LOW) <= seeded <= total(HIGH) < 3 * DAY


# --- classify ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status: int) -> None:
    assert classify(status=status, attempt=1, retry_after=None, rng=LOW) == Outcome(delivered=True, retry=False)
    assert classify(status=status, attempt=MAX_ATTEMPTS, retry_after=None, rng=LOW).delivered


@pytest.mark.parametrize("status", [400, 403, 404, 405, 410, 413, 422, 451, 499])
def test_4xx_is_final(status: int) -> None:
    assert classify(status=status, attempt=1, retry_after=None, rng=LOW) == Outcome(delivered=False, retry=False)
    assert not classify(status=status, attempt=1, retry_after=60.0, rng=LOW).retry


@pytest.mark.parametrize("status", [401, 408, 429])
def test_401_408_429_are_retried(status: int) -> None:
    assert status in RETRYABLE_4XX
    assert classify(status=status, attempt=3, retry_after=None, rng=LOW) == Outcome(
        delivered=False, retry=True, delay=96.0
    )


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599, None])
def test_5xx_and_network_errors_are_retried(status: int | None) -> None:
    assert classify(status=status, attempt=1, retry_after=None, rng=LOW) == Outcome(
        delivered=False, retry=True, delay=16.0
    )
    assert classify(status=status, attempt=MAX_ATTEMPTS - 1, retry_after=None, rng=LOW).retry


@pytest.mark.parametrize("status", [500, 503, 429, 401, None])
def test_give_up_after_max_attempts(status: int | None) -> None:
    assert MAX_ATTEMPTS == 16
    final = Outcome(delivered=False, retry=False)
    assert classify(status=status, attempt=MAX_ATTEMPTS, retry_after=None, rng=LOW) == final
    assert classify(status=status, attempt=MAX_ATTEMPTS + 1, retry_after=5.0, rng=LOW) == final


def test_retry_after_longer_than_backoff_is_honoured() -> None:
    assert classify(status=429, attempt=1, retry_after=3600.0, rng=LOW).delay == 3600.0
    assert classify(status=503, attempt=2, retry_after=120.0, rng=HIGH).delay == 120.0


def test_retry_after_shorter_than_backoff_is_ignored() -> None:
    assert classify(status=429, attempt=4, retry_after=10.0, rng=LOW).delay == 271.0
    assert classify(status=503, attempt=1, retry_after=0.0, rng=LOW).delay == 16.0


def test_retry_after_is_capped_at_a_day() -> None:
    assert classify(status=429, attempt=1, retry_after=30 * DAY, rng=LOW).delay == DAY
    assert classify(status=503, attempt=1, retry_after=float("inf"), rng=LOW).delay == DAY
    # The cap limits Retry-After, not our own backoff (attempt 15 alone waits about 14 hours).
    assert classify(status=503, attempt=15, retry_after=3 * DAY, rng=LOW).delay == DAY


# --- retry_after_seconds ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 3600 ", 3600.0),
        ("86400000", 86400000.0),
        # IMF-fixdate, the preferred HTTP-date form (RFC 9110 5.6.7).
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1680.0),
        # The obsolete forms recipients must still accept: RFC 850 and asctime (no zone: UTC).
        ("Wednesday, 21-Oct-15 07:28:00 GMT", 1680.0),
        ("Wed Oct 21 07:28:00 2015", 1680.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 1680.0),
        ("Wed, 21 Oct 2015 09:28:00 +0200", 1680.0),
        # A date in the past means "now".
        ("Tue, 20 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_seconds(value: str, seconds: float) -> None:
    assert retry_after_seconds(value, NOW) == seconds


@pytest.mark.parametrize(
    "value", [None, "", "   ", "-1", "1.5", "1e3", "soon", "²", "١٢٠", "Wed, 32 Oct 2015 07:28:00 GMT", "0x10"]
)
def test_retry_after_seconds_unreadable_is_none(value: str | None) -> None:
    assert retry_after_seconds(value, NOW) is None


def test_retry_after_date_relative_to_an_aware_now_in_another_zone() -> None:
    paris = timezone(timedelta(hours=2))
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", NOW.astimezone(paris)) == 1680.0
