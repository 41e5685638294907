"""Processing received activities, one row of the `inbox` table at a time, with a dispatch table
from activity type to an `on_<activity>` handler (GoToSocial's shape; the handlers of remote objects are in
node/inbox_objects.py). Unknown types are kept and
marked `ignored`. A handler error is retried a few times, with growing delays, then the row is marked `failed`.
Rows are handled in order, but written with few transactions: the common Create (a post kept as it
came) is kept together with the ones next to it, and row states are written in batches (`run_once`)."""

import asyncio
import contextlib
import functools
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any, Final, Literal

from protocol.activities import Activity, parse_activity
from protocol.errors import ParseError

from . import backfill, clock, comments, participation, relevance, remote_content, reports, sharing
from .compaction import compact_document
from .db import Transaction
from .fetch import FetchError
from .follows import answer_follow, follow_document, remove_follow, set_follow_state, upsert_follow
from .inbox import ignored_document, take_parsed
from .inbox_context import Handler, InboxContext
from .inbox_objects import (
    INSERT_OBJECT,
    Plain,
    keep_objects,
    object_row,
    on_announce,
    on_create,
    on_delete,
    on_update,
    plain_create,
)
from .states import InboxState
from .urls import INSTANCE_ACTOR_USERNAME, Urls

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH_SIZE = 100
# The longest the worker holds the event loop between two rows of a batch. A row the inbox did not hand
# over (after a restart, or in a backlog) is parsed again, through pyld for most servers' contexts:
# milliseconds each, so a batch could hold the loop, and every request waiting on it, for 100 of them.
YIELD_SECONDS = 0.002


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): 2, 8, 32, 128. Most failures are fetches
    from a server that is restarting; retrying at once would spend every attempt within milliseconds."""
    return 2.0 * 4.0 ** (attempt - 1)


async def _local_actor(tx: Transaction, urls: Urls, iri: str) -> tuple[int, str, bool] | None:
    """(id, username, manually_approves) of the local actor with this IRI."""
    prefix = f"{urls.base}/users/"
    if iri == urls.actor(INSTANCE_ACTOR_USERNAME):
        username = INSTANCE_ACTOR_USERNAME
    elif iri.startswith(prefix) and "/" not in iri[len(prefix):]:
        username = iri[len(prefix):]
    else:
        return None
    row = await tx.fetch_one("SELECT id, username, type, manually_approves FROM actors WHERE username = ?", (username,))
    return (row["id"], row["username"], bool(row["manually_approves"])) if row else None


async def on_follow(ctx: InboxContext, activity: Activity, raw: dict[str, object]) -> InboxState:
    """Follow of a local actor: accept at once, or keep pending when the actor approves by hand.
    A repeated Follow of an accepted follower is accepted again (Mastodon re-sends Follows)."""
    if activity.object is None:
        return InboxState.IGNORED
    follower = await ctx.fetcher.get_actor(activity.actor)
    async with ctx.db.transaction() as tx:
        target = await _local_actor(tx, ctx.urls, activity.object.iri)
        if target is None:
            return InboxState.IGNORED
        actor_id, username, manual = target
        follow_doc = follow_document(activity.iri, activity.actor, activity.object.iri)
        if username == INSTANCE_ACTOR_USERNAME:
            await answer_follow(tx, ctx.urls, actor_id=actor_id, follow=follow_doc, inbox=follower.inbox, accept=False)
            return InboxState.DONE
        row = await tx.fetch_one(
            "SELECT state, activity_iri FROM follows WHERE follower_iri = ? AND followee_iri = ?",
            (activity.actor, activity.object.iri),
        )
        if row and row["activity_iri"] == activity.iri and row["state"] == "accepted":
            return InboxState.DONE  # this very Follow was accepted before a crash stopped its row being marked done
        existing = row["state"] if row else None
        pending = (manual or ctx.manual_approval) and existing != "accepted"
        await upsert_follow(tx, follower_iri=activity.actor, followee_iri=activity.object.iri,
                            activity_iri=activity.iri, state="pending" if pending else "accepted")
        if not pending:
            await answer_follow(tx, ctx.urls, actor_id=actor_id, follow=follow_doc, inbox=follower.inbox, accept=True)
    return InboxState.DONE


async def on_undo(ctx: InboxContext, activity: Activity, raw: dict[str, object]) -> InboxState:
    """Undo of a Follow removes the follower; the undone activity may come embedded or by IRI.
    Undo of a Join is a Leave (some servers send it instead); of a peer's relay of a comment on its
    item, the comment's removal by that peer."""
    obj = activity.object
    if obj is None:
        return InboxState.IGNORED
    async with ctx.db.transaction() as tx:
        if await participation.undo_join(tx, ctx.urls, activity):
            return InboxState.DONE
        unvouched = await comments.unvouch(tx, ctx.urls, activity)  # the relay of a comment is a reaction too
        if await sharing.undo(tx, activity) or unvouched:
            return InboxState.DONE
        if obj.type == "Follow" and obj.actor is not None:
            if obj.actor != activity.actor:
                return InboxState.IGNORED
            if obj.object_iri:
                await remove_follow(tx, follower_iri=activity.actor, followee_iri=obj.object_iri)
                return InboxState.DONE
        row = await tx.fetch_one(
            "SELECT followee_iri FROM follows WHERE activity_iri = ? AND follower_iri = ?", (obj.iri, activity.actor)
        )
        if row:
            await remove_follow(tx, follower_iri=activity.actor, followee_iri=row["followee_iri"])
            return InboxState.DONE
    return InboxState.IGNORED


async def _answer_to_our_follow(ctx: InboxContext, activity: Activity, state: str) -> InboxState:
    """Accept/Reject of a Follow we sent: matched by the Follow's id, or by the embedded actor and object
    (some servers mint a new id). Only the followed actor may answer: a forged answer is ignored."""
    obj = activity.object
    if obj is None:
        return InboxState.IGNORED
    async with ctx.db.transaction() as tx:
        row = await tx.fetch_one(
            "SELECT follower_iri FROM follows WHERE activity_iri = ? AND followee_iri = ?", (obj.iri, activity.actor)
        )
        follower = row["follower_iri"] if row else None
        if follower is None and obj.actor and obj.object_iri == activity.actor:
            if await tx.fetch_value(
                "SELECT 1 FROM follows WHERE follower_iri = ? AND followee_iri = ?", (obj.actor, activity.actor)
            ):
                follower = obj.actor
        if follower is None or await _local_actor(tx, ctx.urls, follower) is None:
            return InboxState.IGNORED
        await set_follow_state(tx, follower_iri=follower, followee_iri=activity.actor, state=state)
    return InboxState.DONE


async def on_accept(ctx: InboxContext, activity: Activity, raw: dict[str, object]) -> InboxState:
    """A peer accepted our follow: its earlier content is imported and its node described (backfill.py)."""
    state = await _answer_to_our_follow(ctx, activity, "accepted")
    if state is InboxState.DONE:
        await backfill.follow_accepted(ctx.db, ctx.urls.base, activity.actor)
    return state


async def on_reject(ctx: InboxContext, activity: Activity, raw: dict[str, object]) -> InboxState:
    return await _answer_to_our_follow(ctx, activity, "rejected")


async def on_join(ctx: InboxContext, activity: Activity, raw: dict[str, object]) -> InboxState:
    """Join of one of our journeys (its IRI, or embedded with that id), as Mobilizon sends it: answered
    with an Accept or Reject, or kept pending (participation.join). A Join of anything else, or of a
    deleted journey, is ignored."""
    if activity.object is None:
        return InboxState.IGNORED
    journey = await participation.local_journey(ctx.db, activity.object.iri)
    if journey is None or journey.deleted_at:
        return InboxState.IGNORED
    joiner = await ctx.fetcher.get_actor(activity.actor)
    message = raw.get("participationMessage")
    async with ctx.db.transaction() as tx:
        journey = await participation.local_journey(tx, activity.object.iri)
        if journey is None or journey.deleted_at:
            return InboxState.IGNORED
        await participation.join(tx, ctx.urls, journey, join_iri=activity.iri, actor_iri=activity.actor,
                                 inbox=joiner.inbox, message=message if isinstance(message, str) else None,
                                 now=clock.now())
    return InboxState.DONE


async def on_leave(ctx: InboxContext, activity: Activity, raw: dict[str, object]) -> InboxState:
    """Leave of one of our journeys: the participation is removed and the seat freed."""
    if activity.object is None:
        return InboxState.IGNORED
    async with ctx.db.transaction() as tx:
        journey = await participation.local_journey(tx, activity.object.iri)
        if journey is None or not await participation.leave(tx, ctx.urls, journey, activity.actor):
            return InboxState.IGNORED
    return InboxState.DONE


HANDLERS: dict[str, Handler] = {
    "Follow": on_follow,
    "Undo": on_undo,
    "Accept": on_accept,
    "Reject": on_reject,
    "Create": on_create,
    "Announce": on_announce,
    "Update": on_update,
    "Delete": on_delete,
    "Join": on_join,
    "Leave": on_leave,
    "Like": sharing.on_like,
    "Flag": reports.on_flag,
}


_Row = Any  # a row of the inbox table: id, activity_iri, document, attempts
_Parsed = tuple[dict[str, Any], Activity]  # (compacted document, activity)
RETRY: Final = "retry"  # a handler's outcome: try again later (`new`), or give up (`failed`) after MAX_ATTEMPTS
Outcome = InboxState | Literal["retry"]
_MARK = ("UPDATE inbox SET state = ?, attempts = ?, error = ?, processed_at = ?, next_attempt_at = ?,"
         " document = COALESCE(?, document) WHERE id = ?")


def _outcome(row: _Row, state: Outcome, error: str | None) -> tuple[Any, ...]:
    """The new state of a handled row, as `InboxWorker._mark` writes it: a retry waits, then fails. An
    ignored or failed row keeps its id and a digest, not its body (`inbox.ignored_document`); a failed one
    also its error. Nothing handles a failed row again (there is no admin retry, and a copy sent again is a
    duplicate), so its body would only be padding kept for `log_retention_days`."""
    attempts = row["attempts"] + 1
    next_attempt_at = 0.0
    if state == RETRY:
        state = InboxState.FAILED if attempts >= MAX_ATTEMPTS else InboxState.NEW
        next_attempt_at = clock.timestamp() + retry_delay(attempts)
    finished = state in (InboxState.IGNORED, InboxState.FAILED)
    document = ignored_document(row["activity_iri"], row["document"]) if finished else None
    return (state, attempts, error, clock.iso(), next_attempt_at, document, row["id"])


def _insert_marked(object_rows: list[tuple[Any, ...]], marks: list[tuple[Any, ...]], conn: sqlite3.Connection) -> None:
    """A transaction (`Database.write_quick`): remote objects inserted, then row states written."""
    if object_rows:
        conn.executemany(INSERT_OBJECT, object_rows)
    conn.executemany(_MARK, marks)


class InboxWorker:
    """Processes stored activities in arrival order; `run_once()` is one pass (tests call it)."""

    def __init__(self, ctx: InboxContext, on_sent: Callable[[], None] | None = None) -> None:
        self.ctx = ctx
        self.on_sent = on_sent
        self.wakeup = asyncio.Event()

    async def run_once(self) -> int:
        """Process one batch of due rows, in order, with few transactions (one per row cost as much as
        the work itself): the objects of consecutive plain Creates are kept in one, which also writes
        the new states of the rows handled before them; the states left are written after the batch.
        A state is written with its handler's writes or after they were committed: a crash in between
        leaves rows `new`, handled again on the next start, which every handler tolerates (handling
        again changes nothing, or does the same again: a Follow of the instance actor is refused twice)."""
        rows = await self.ctx.db.fetch_all(
            f"SELECT id, activity_iri, document, attempts FROM inbox WHERE state = '{InboxState.NEW}'"
            " AND next_attempt_at <= ?"
            " ORDER BY id LIMIT ?",
            (clock.timestamp(), BATCH_SIZE),
        )
        outcomes: list[tuple[Any, ...]] = []  # states not written yet
        plain: list[tuple[_Row, _Parsed, Plain]] = []  # consecutive plain Creates, kept together
        turn = time.perf_counter()
        try:
            for row in rows:
                if time.perf_counter() - turn > YIELD_SECONDS:
                    await asyncio.sleep(0)  # requests first: parsing rows again (pyld) can take a while
                    turn = time.perf_counter()
                parsed = await self._parse(row["activity_iri"], row["document"])
                # A test (or a future handler) replacing on_create gets every Create left to the worker, one
                # at a time. (The inbox keeps plain posts when it receives them: node/inbox.py.) A post to
                # one of us, or from a stranger, is handled alone: a message to record, or one to ignore.
                if isinstance(parsed, tuple) and HANDLERS.get("Create") is on_create \
                        and (item := plain_create(parsed[1])) is not None \
                        and not relevance.addresses_us(self.ctx.urls, item[1], parsed[0]) \
                        and await relevance.from_followed_host(self.ctx.db, self.ctx.urls, parsed[1].actor):
                    plain.append((row, parsed, item))
                    continue
                await self._keep_plain(plain, outcomes)  # before this row: rows are handled in order
                state, error = (InboxState.FAILED, parsed) if isinstance(parsed, str) else await self._handle(*parsed)
                outcomes.append(_outcome(row, state, error))
            await self._keep_plain(plain, outcomes)
        except BaseException:
            # Cancelled (shutdown) or a storage error: the rows already handled are still marked, so
            # that they are not handled twice; the ones interrupted rolled back and stay `new`.
            with contextlib.suppress(Exception):
                await self._mark(outcomes)
            raise
        await self._mark(outcomes)
        if rows and self.on_sent:
            self.on_sent()
        return len(rows)

    async def _keep_plain(self, plain: list[tuple[_Row, _Parsed, Plain]], outcomes: list[tuple[Any, ...]]) -> None:
        """Handle the plain Creates waiting in `plain` (emptied): their objects are kept in one
        transaction, which marks them done and writes the states waiting in `outcomes` (emptied). If
        it fails, each is handled alone, as any row, and fails alone."""
        batch = plain[:]
        plain.clear()
        if not batch:
            return
        items = [item for _, _, item in batch]
        object_rows = [object_row(*item) for item in items]
        done = [_outcome(row, InboxState.DONE, None) for row, _, _ in batch]
        marks = [*outcomes, *done]
        try:
            if any(remote_content.may_be_content(document) for _, document, _ in items):
                followed = await relevance.followed(self.ctx.db, self.ctx.urls)
                async with self.ctx.db.transaction() as tx:
                    await keep_objects(tx, items, object_rows, followed)
                    await tx.execute_many(_MARK, marks)
            else:  # only objects to insert (the common case): the whole transaction in one trip
                await self.ctx.db.write_quick(functools.partial(_insert_marked, object_rows, marks),
                                              size=sum(len(row[4]) for row in object_rows))
        except Exception:
            for row, parsed, _ in batch:
                state, error = await self._handle(*parsed)
                outcomes.append(_outcome(row, state, error))
            return
        outcomes.clear()

    async def _mark(self, outcomes: list[tuple[Any, ...]]) -> None:
        if outcomes:
            await self.ctx.db.write_quick(functools.partial(_insert_marked, [], outcomes[:]), size=0)
            outcomes.clear()

    async def _parse(self, activity_iri: str, document: str) -> _Parsed | str:
        """(compacted document, activity) of a row, or why it cannot be read."""
        parsed = take_parsed(self.ctx.db, activity_iri, document)  # parsed already when it was received
        if parsed is not None:
            return parsed
        try:
            compacted = await compact_document(json.loads(document))
            return compacted, parse_activity(compacted)
        except (ParseError, ValueError) as exc:
            return str(exc)

    async def _handle(self, compacted: dict[str, Any], activity: Activity) -> tuple[Outcome, str | None]:
        handler = HANDLERS.get(activity.type)
        if handler is None:
            return InboxState.IGNORED, None
        try:
            return await handler(self.ctx, activity, compacted), None
        except FetchError as exc:
            return RETRY, exc.reason
        except ParseError as exc:
            return InboxState.FAILED, exc.reason
        except Exception as exc:  # a bug must not stop the queue; the row keeps the error for the admin
            log.exception("inbox handler for %s failed", activity.iri)
            return RETRY, f"{exc.__class__.__name__}: {exc}"

    async def run(self, poll_interval: float = 1.0) -> None:
        while True:
            try:
                processed = await self.run_once()
            except Exception:  # a passing storage error must not stop processing for good
                log.exception("inbox pass failed; trying again in %ss", poll_interval)
                processed = 0
            if processed:
                continue
            self.wakeup.clear()
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=poll_interval)
            except TimeoutError:
                pass
