"""A full disk, told apart from other failures, so that it is answered as what it is: `/readyz` says not
ready, a request gets 503 with `Retry-After` (not a 500), a command prints `error: disk full ...`.

SQLite says SQLITE_FULL when a write finds no room, but only "disk I/O error" when it cannot grow its
shared-memory index (`-shm`): that counts as a full disk when the data folder's filesystem has less
than MIN_FREE_BYTES free."""

import errno
import shutil
import sqlite3
import time
from pathlib import Path

MIN_FREE_BYTES = 16 << 20  # below this, not ready: a checkpoint or a burst of activities fills the rest
RECENT_SECONDS = 60.0  # a write that failed for lack of room this long ago still makes the node not ready
RETRY_AFTER_SECONDS = 300


def free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _low(folder: Path | None) -> bool:
    try:
        return folder is not None and free_bytes(folder) < MIN_FREE_BYTES
    except OSError:
        return False


def disk_full_cause(exc: BaseException, folder: Path | None = None) -> BaseException | None:
    """The error in `exc` or the ones it was raised from that says the disk (or a quota) is full, or None.
    `folder`: the data folder, to tell a full disk in SQLite's "disk I/O error"."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            code = getattr(current, "sqlite_errorcode", 0) & 0xFF
            if code == sqlite3.SQLITE_FULL or (code == sqlite3.SQLITE_IOERR and _low(folder)):
                return current
        elif isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return current
        current = current.__cause__ or current.__context__
    return None


def readiness(folder: Path, failed_at: float | None) -> str:
    """`/readyz`'s disk check: "ok", or why the node cannot store what it is sent."""
    try:
        free = free_bytes(folder)
    except OSError as exc:
        return f"cannot read free space: {exc}"
    if free < MIN_FREE_BYTES:
        return f"full: {free >> 20} MiB free in {folder}, below {MIN_FREE_BYTES >> 20} MiB"
    if failed_at is not None and time.monotonic() - failed_at < RECENT_SECONDS:
        return f"full: a write failed for lack of room {time.monotonic() - failed_at:.0f} s ago"
    return "ok"


def message(cause: BaseException, folder: Path | None) -> str:
    """One line for a person: what is full and what to do."""
    where = Path(cause.filename).parent if isinstance(cause, OSError) and cause.filename else folder
    place = f" in {where}" if where is not None else ""
    what = (str(cause) or type(cause).__name__).splitlines()[0]
    return f"disk full ({what}): free some space{place} and try again"
