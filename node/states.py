"""The states of queued rows, in one place (issue 17's typed states). Each value is the string stored in
the database, so a state compares equal to what a row holds and goes into SQL as it is."""

from enum import StrEnum


class InboxState(StrEnum):
    """An `inbox` row: a received activity (node/inbox.py stores it, node/inbox_worker.py handles it)."""

    NEW = "new"  # waiting for the worker, again after a failed attempt
    DONE = "done"  # handled
    IGNORED = "ignored"  # nothing to do with it: its id and a digest are kept, not its body
    FAILED = "failed"  # could not be read, or still failing after MAX_ATTEMPTS: id, digest and error kept


class DeliveryState(StrEnum):
    """A `deliveries` row: one activity to one inbox (node/delivery.py)."""

    PENDING = "pending"  # to send, when `next_attempt_at` comes
    DELIVERED = "delivered"  # accepted (2xx)
    FAILED = "failed"  # refused for good, out of attempts, or its domain unavailable or blocked
