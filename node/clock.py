"""The node's one source of time, so tests can move it."""

import time
from datetime import UTC, datetime


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


def timestamp() -> float:
    """Current Unix time in seconds, for queue scheduling."""
    return time.time()


_last_iso: tuple[datetime, str] = (datetime.min.replace(tzinfo=UTC), "")


def iso(moment: datetime | None = None) -> str:
    """An `xsd:dateTime` in UTC with a `Z`, the form Mastodon writes and reads (`2026-01-02T03:04:05Z`)."""
    global _last_iso
    moment = moment or now()
    if moment.tzinfo is not UTC:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    second = moment.replace(microsecond=0)
    last, text = _last_iso
    if second != last:  # formatted once per second: a busy inbox asks many times in each
        text = second.strftime("%Y-%m-%dT%H:%M:%SZ")
        _last_iso = (second, text)
    return text
