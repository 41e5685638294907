"""Who comes to a learning journey. Two ways in, one row per person per journey (`participations`):

- `Join` / `Leave` of the journey's Event, as Mobilizon sends them (`{"type": "Join", "actor": ...,
  "object": <event iri>, "participationMessage": ...}`). The answer is an `Accept` or `Reject` from the
  journey's author, embedding the Join with its own id: Mobilizon finds the participation by that id
  (lib/federation/activity_pub/transmogrifier.ex, `get_participant`) and only believes an answer from
  the event's organizer, which for a remote Event without `actor` is its `attributedTo`
  (`can_manage_event?`, converter/utils.ex `maybe_fetch_actor_and_attributed_to_id`).
- Votes on the journey's RSVP poll, from Mastodon: `Create{Note{name: option, inReplyTo: <journey>/rsvp}}`.
  The state is the chosen option; a new vote replaces the old one, so each person counts once.

Whatever changes the public counts (going / maybe / not going) re-publishes the journey, an Update of
the Event and of its Question, in the transaction that changed them.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from protocol.activities import Activity, build_accept, build_reject
from protocol.journeys import JourneyDetails, parse_journey_details
from protocol.polls import RSVP_CHOICES

from . import clock
from .content import StoredObject, find_object, find_object_by_id, find_object_by_iri, participation_counts
from .db import Database, Transaction
from .fetch import Fetcher
from .outbox import send
from .publishing import republish
from .urls import KIND_PATHS, Urls

MAX_MESSAGE = 2000
FULL_VOTE_NOTE = "voted going while the journey was full"
EXTERNAL_VOTE_NOTE = "voted going; registration is on the external site"


class ParticipationError(Exception):
    """A decision cannot be taken (no such journey or participant, no seat left); the message says why."""


@dataclass(frozen=True)
class Participant:
    actor_iri: str
    state: str
    source: str
    activity_iri: str | None
    message: str | None
    updated_at: str


async def network_name(db: Database | Transaction) -> str:
    """The network Group's user name (the node has one Group: the network actor)."""
    return str(await db.fetch_value("SELECT username FROM actors WHERE type = 'Group' ORDER BY id LIMIT 1"))


async def local_journey(db: Database | Transaction, iri: str) -> StoredObject | None:
    """One of our journeys by its IRI (deleted ones included: callers decide)."""
    journey = await find_object_by_iri(db, iri)
    return journey if journey is not None and journey.kind == "journey" else None


def journey_of_question(urls: Urls, question_iri: str) -> str | None:
    """The IRI of the journey whose RSVP poll is `question_iri` (content.rsvp_iri), if it is one of ours."""
    prefix = f"{urls.base}/{KIND_PATHS['journey']}/"
    if not question_iri.startswith(prefix) or not question_iri.endswith("/rsvp"):
        return None
    slug = question_iri[len(prefix):-len("/rsvp")]
    return f"{prefix}{slug}" if slug and "/" not in slug else None


def _details(journey: StoredObject) -> JourneyDetails | None:
    return parse_journey_details(journey.fields, journey.default_lang)


def _closed_reason(details: JourneyDetails | None, now: datetime) -> str | None:
    """Why nobody can join now: cancelled, or already started (the poll closes at the start too)."""
    if details is None:
        return "no start time"
    if details.status == "CANCELLED":
        return "cancelled"
    if datetime.fromisoformat(details.start_time) <= now:
        return "started"
    return None


def _row(row: Any) -> Participant:
    return Participant(actor_iri=row["actor_iri"], state=row["state"], source=row["source"],
                       activity_iri=row["activity_iri"], message=row["message"], updated_at=row["updated_at"])


async def get_participant(db: Database | Transaction, journey_id: int, actor_iri: str) -> Participant | None:
    row = await db.fetch_one(
        "SELECT actor_iri, state, source, activity_iri, message, updated_at FROM participations"
        " WHERE object_id = ? AND actor_iri = ?", (journey_id, actor_iri))
    return _row(row) if row else None


async def list_participants(db: Database | Transaction, journey_id: int) -> list[Participant]:
    rows = await db.fetch_all(
        "SELECT actor_iri, state, source, activity_iri, message, updated_at FROM participations"
        " WHERE object_id = ? ORDER BY created_at, id", (journey_id,))
    return [_row(r) for r in rows]


async def _going_others(tx: Transaction, journey_id: int, actor_iri: str) -> int:
    return int(await tx.fetch_value(
        "SELECT count(*) FROM participations WHERE object_id = ? AND state = 'going' AND actor_iri != ?",
        (journey_id, actor_iri)))


def _is_full(details: JourneyDetails, going_others: int) -> bool:
    return details.capacity is not None and going_others >= details.capacity


async def _public_counts(tx: Transaction, journey_id: int) -> dict[str, int]:
    counts = await participation_counts(tx, journey_id)
    return {choice: counts.get(choice, 0) for choice in RSVP_CHOICES}


async def _save(tx: Transaction, journey_id: int, actor_iri: str, *, state: str, source: str,
                activity_iri: str | None, message: str | None) -> None:
    now = clock.iso()
    await tx.execute(
        "INSERT INTO participations (object_id, actor_iri, state, source, activity_iri, message, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (object_id, actor_iri) DO UPDATE SET"
        " state = excluded.state, source = excluded.source, activity_iri = excluded.activity_iri,"
        " message = excluded.message, updated_at = excluded.updated_at",
        (journey_id, actor_iri, state, source, activity_iri, message, now, now),
    )


async def _republish_if_changed(tx: Transaction, urls: Urls, journey: StoredObject, before: dict[str, int]) -> None:
    """Followers get the new participantCount (Update of the Event) and totals (Update of the Question);
    never an Update of a deleted journey."""
    if not journey.deleted_at and await _public_counts(tx, journey.id) != before:
        await republish(tx, urls, network=await network_name(tx), obj=journey)


async def _answer(tx: Transaction, urls: Urls, journey: StoredObject, *, accept: bool, join_iri: str,
                  actor_iri: str, inbox: str) -> None:
    """Accept or Reject of a Join, from the journey's author, embedding the Join as Mobilizon does."""
    join = {"id": join_iri, "type": "Join", "actor": actor_iri, "object": journey.iri}
    build = build_accept if accept else build_reject
    document = build(iri=urls.new_activity(), actor=urls.actor(journey.author), follow=join)
    await send(tx, actor_id=journey.actor_id, document=document, inboxes=[inbox])


async def join(tx: Transaction, urls: Urls, journey: StoredObject, *, join_iri: str, actor_iri: str, inbox: str,
               message: str | None, now: datetime) -> str:
    """A Join of a journey; returns the outcome: 'accepted', 'pending' or 'rejected'.

    Cancelled, started and externally managed journeys are refused; so is someone the organizer
    rejected. A participant already going gets the Accept again (servers re-send Joins); a pending one
    stays pending. `free`: a seat if one is left, else a Reject. `restricted`: pending until an
    organizer decides (`maillage participants --approve/--reject`)."""
    details = _details(journey)
    existing = await get_participant(tx, journey.id, actor_iri)
    message = (message.strip()[:MAX_MESSAGE] or None) if isinstance(message, str) else None

    async def answer(accept: bool) -> str:
        await _answer(tx, urls, journey, accept=accept, join_iri=join_iri, actor_iri=actor_iri, inbox=inbox)
        return "accepted" if accept else "rejected"

    if details is None or _closed_reason(details, now) or details.join_mode == "external":
        return await answer(False)
    if existing is not None and existing.state == "rejected":
        return await answer(False)
    before = await _public_counts(tx, journey.id)
    if existing is not None and existing.state in ("going", "pending"):
        if existing.source == "join" and existing.activity_iri == join_iri:
            return "accepted" if existing.state == "going" else "pending"  # answered before a crash: not again
        await _save(tx, journey.id, actor_iri, state=existing.state, source="join", activity_iri=join_iri,
                    message=message or existing.message)
        return await answer(True) if existing.state == "going" else "pending"
    if details.join_mode == "restricted":
        await _save(tx, journey.id, actor_iri, state="pending", source="join", activity_iri=join_iri, message=message)
        await _republish_if_changed(tx, urls, journey, before)  # a "maybe" voter asking to join leaves "maybe"
        return "pending"
    if _is_full(details, await _going_others(tx, journey.id, actor_iri)):
        return await answer(False)
    await _save(tx, journey.id, actor_iri, state="going", source="join", activity_iri=join_iri, message=message)
    await _republish_if_changed(tx, urls, journey, before)
    return await answer(True)


async def leave(tx: Transaction, urls: Urls, journey: StoredObject, actor_iri: str) -> bool:
    """Leave (or Undo of a Join): the participation is removed and its seat freed. An organizer's
    rejection stays, so that leaving and joining again does not undo it."""
    before = await _public_counts(tx, journey.id)
    await tx.execute("DELETE FROM participations WHERE object_id = ? AND actor_iri = ? AND state != 'rejected'",
                     (journey.id, actor_iri))
    if not await tx.changes():
        return False
    await _republish_if_changed(tx, urls, journey, before)
    return True


async def undo_join(tx: Transaction, urls: Urls, activity: Activity) -> bool:
    """Undo{Join} of one of our journeys, the Join embedded or by IRI (some servers send it instead of
    Leave): the participation is removed. False when the undone activity is no Join of ours."""
    obj = activity.object
    if obj is None:
        return False
    journey_iri = obj.object_iri if obj.type == "Join" and obj.actor == activity.actor else None
    if journey_iri is None:
        journey_iri = await tx.fetch_value(
            "SELECT o.iri FROM participations p JOIN objects o ON o.id = p.object_id"
            " WHERE p.activity_iri = ? AND p.actor_iri = ? AND p.source = 'join'", (obj.iri, activity.actor))
    journey = await local_journey(tx, journey_iri) if journey_iri else None
    return journey is not None and await leave(tx, urls, journey, activity.actor)


async def vote(tx: Transaction, urls: Urls, journey: StoredObject, *, actor_iri: str, choice: str,
               activity_iri: str, now: datetime) -> str | None:
    """A vote on the journey's RSVP poll; returns the participant's state, or None when the vote is
    ignored (deleted, cancelled or started journey: the poll closes at the start; or someone the
    organizer rejected).

    "going" takes a seat only where a Join would get one at once: on a `restricted` journey the voter
    waits for an organizer's decision (`pending`), and when no seat can be given (full, or registration
    on an external site) the vote counts as "maybe", with a note the organizer sees in `maillage
    participants` (they can still `--approve` the person when a seat frees up). Mastodon has no
    answer to a vote, so nothing is sent back to the voter; the new totals reach everyone in the
    Update of the Question."""
    details = _details(journey)
    if journey.deleted_at or details is None or _closed_reason(details, now):
        return None
    existing = await get_participant(tx, journey.id, actor_iri)
    if existing is not None and existing.state == "rejected":
        return None
    state, message = choice, None
    if choice == "going" and (existing is None or existing.state != "going"):
        if details.join_mode == "restricted":
            state = "pending"
        elif details.join_mode == "external":
            state, message = "maybe", EXTERNAL_VOTE_NOTE
        elif _is_full(details, await _going_others(tx, journey.id, actor_iri)):
            state, message = "maybe", FULL_VOTE_NOTE
    if existing is not None and existing.state == state:
        return state
    before = await _public_counts(tx, journey.id)
    await _save(tx, journey.id, actor_iri, state=state, source="poll", activity_iri=activity_iri, message=message)
    await _republish_if_changed(tx, urls, journey, before)
    return state


async def decide(db: Database, urls: Urls, fetcher: Fetcher, *, slug: str, actor_iri: str, approve: bool) -> str:
    """An organizer's decision on a participant (usually a pending request of a `restricted` journey):
    approve gives a seat (refused when none is left), reject refuses it. A participant who joined
    with a Join gets the Accept or Reject; a poll voter gets nothing (Mastodon has no use for it) but
    the counts change for everyone. Returns the new state."""
    journey = await find_object(db, "journey", slug)
    if journey is None or journey.deleted_at:
        raise ParticipationError(f"no journey {slug!r}")
    current = await get_participant(db, journey.id, actor_iri)
    if current is None:
        raise ParticipationError(f"{actor_iri} is not a participant of {slug!r}")
    # The joiner's inbox is fetched (or read from the cache) before the transaction: no network inside it.
    inbox = (await fetcher.get_actor(actor_iri)).inbox if current.source == "join" else None
    async with db.transaction() as tx:
        fresh = await find_object_by_id(tx, journey.id)
        participant = await get_participant(tx, journey.id, actor_iri)
        if fresh is None or participant is None:
            raise ParticipationError(f"{actor_iri} is not a participant of {slug!r}")
        details = _details(fresh)
        state = "going" if approve else "rejected"
        if approve and participant.state != "going" and details is not None and \
                _is_full(details, await _going_others(tx, fresh.id, actor_iri)):
            raise ParticipationError(f"{slug!r} is full ({details.capacity} seats taken)")
        before = await _public_counts(tx, fresh.id)
        await _save(tx, fresh.id, actor_iri, state=state, source=participant.source,
                    activity_iri=participant.activity_iri, message=participant.message)
        await _republish_if_changed(tx, urls, fresh, before)
        if inbox is not None and participant.source == "join" and participant.activity_iri:
            await _answer(tx, urls, fresh, accept=approve, join_iri=participant.activity_iri, actor_iri=actor_iri,
                          inbox=inbox)
    return state
