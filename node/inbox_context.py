"""What every inbox handler is given (node/inbox_worker.py, node/inbox_objects.py)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from protocol.activities import Activity

from .db import Database
from .fetch import Fetcher
from .states import InboxState
from .urls import Urls


@dataclass(frozen=True)
class InboxContext:
    db: Database
    fetcher: Fetcher
    urls: Urls
    manual_approval: bool


Handler = Callable[[InboxContext, Activity, dict[str, object]], Awaitable[InboxState]]
