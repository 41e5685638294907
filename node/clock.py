"""The node's one source of time, so tests can move it."""

import time
from datetime import UTC, datetime


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


def timestamp() -> float:
    """Current Unix time in seconds, for queue scheduling."""
    return time.time()


def iso(moment: datetime | None = None) -> str:
    """An `xsd:dateTime` in UTC with a `Z`, the form Mastodon writes and reads (`2026-01-02T03:04:05Z`)."""
    return (moment or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
