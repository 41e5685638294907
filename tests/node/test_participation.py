"""Journey participation over real HTTP with real signatures: a Mobilizon-shaped server joins and leaves
(the Join/Leave shapes Mobilizon emits), Mastodon-shaped accounts vote on the RSVP poll, and the
network's followers receive the new counts. What Mobilizon needs from our Accept: the Join embedded with
its own id (it finds the participation by that id) and the journey's organizer as the actor
(transmogrifier.ex `get_participant`, `can_manage_event?`)."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.accounts import get_actor
from node.appkeys import DB, URLS
from node.publishing import delete
from tests.support.journeys import (
    deliver,
    mastodon_vote,
    mobilizon_join,
    mobilizon_leave,
    publish_journey,
    received_answers,
    sent,
    start_mobilizon,
)
from tests.support.node import activity, follow_network, get_as2, handled, inbox_rows, verify_delivery
from tests.support.peer import Peer

BASE = "http://node.test"
ADMIN = f"{BASE}/users/admin"


@pytest.fixture
async def mobilizon() -> AsyncIterator[Peer]:
    remote = await start_mobilizon("lucia", "marco")
    yield remote
    assert remote.server is not None
    await remote.server.close()


async def participations(client: TestClient) -> list[tuple[str, str, str]]:
    rows = await client.app[DB].fetch_all("SELECT actor_iri, state, source FROM participations ORDER BY id")
    return [(r[0], r[1], r[2]) for r in rows]


async def journey_doc(client: TestClient, iri: str) -> dict[str, Any]:
    resp = await get_as2(client, iri)
    assert resp.status == 200
    return dict(await resp.json(content_type=None))


def totals(question: dict[str, Any]) -> dict[str, int]:
    return {option["name"]: option["replies"]["totalItems"] for option in question["oneOf"]}


# Join from Mobilizon

async def test_mobilizon_join_of_a_free_journey_is_accepted_and_counted(
        client: TestClient, peer: Peer, mobilizon: Peer) -> None:
    await follow_network(client, peer, "alice")
    journey = await publish_journey(client.app, capacity=12)
    peer.inbox.clear()
    join = mobilizon_join(mobilizon, "lucia", journey, message="Nous venons de Valence.")
    await deliver(client, mobilizon, "lucia", join, path="/users/admin/inbox")

    [answer] = received_answers(mobilizon)
    assert answer.path == "/users/lucia/inbox"
    accept = answer.json
    assert accept["type"] == "Accept" and accept["actor"] == ADMIN
    assert accept["object"] == {"id": join["id"], "type": "Join", "actor": mobilizon.actor_iri("lucia"),
                                "object": journey}
    assert mobilizon.actor_iri("lucia") in accept["to"]
    params = await verify_delivery(client, answer)
    assert params.key_id == f"{ADMIN}#main-key"
    rows = await client.app[DB].fetch_all("SELECT actor_iri, state, source, activity_iri, message FROM participations")
    assert [tuple(r) for r in rows] == [(mobilizon.actor_iri("lucia"), "going", "join", join["id"],
                                         "Nous venons de Valence.")]

    [event_update] = sent(peer, "Update", "Event")
    assert event_update["actor"] == ADMIN
    assert (event_update["object"]["participantCount"], event_update["object"]["remainingAttendeeCapacity"]) == (1, 11)
    [question_update] = sent(peer, "Update", "Question")
    assert question_update["actor"] == f"{BASE}/users/reseau"
    assert question_update["object"]["id"] == f"{journey}/rsvp"
    assert totals(question_update["object"]) == {"Je viens": 1, "Peut-être": 0, "Je ne viens pas": 0}
    assert question_update["object"]["votersCount"] == 1
    for received in peer.inbox:
        await verify_delivery(client, received)

    doc = await journey_doc(client, journey)
    assert (doc["participantCount"], doc["remainingAttendeeCapacity"], doc["maximumAttendeeCapacity"]) == (1, 11, 12)


async def test_embedded_journey_object_is_understood(client: TestClient, mobilizon: Peer) -> None:
    journey = await publish_journey(client.app)
    await deliver(client, mobilizon, "lucia", mobilizon_join(mobilizon, "lucia", {"id": journey, "type": "Event"}))
    assert [a.json["type"] for a in received_answers(mobilizon)] == ["Accept"]
    assert await participations(client) == [(mobilizon.actor_iri("lucia"), "going", "join")]


async def test_repeated_join_is_accepted_again_and_counted_once(
        client: TestClient, peer: Peer, mobilizon: Peer) -> None:
    await follow_network(client, peer, "alice")
    journey = await publish_journey(client.app, capacity=1)
    first, again = mobilizon_join(mobilizon, "lucia", journey), mobilizon_join(mobilizon, "lucia", journey)
    await deliver(client, mobilizon, "lucia", first)
    updates = len(sent(peer, "Update"))
    await deliver(client, mobilizon, "lucia", again)
    assert [(a.json["type"], a.json["object"]["id"]) for a in received_answers(mobilizon)] == [
        ("Accept", first["id"]), ("Accept", again["id"])]  # full now, but the seat is already theirs
    assert await participations(client) == [(mobilizon.actor_iri("lucia"), "going", "join")]
    assert len(sent(peer, "Update")) == updates  # counts did not change: nothing re-published
    assert (await journey_doc(client, journey))["participantCount"] == 1


async def test_full_journey_rejects_the_next_joiner(client: TestClient, peer: Peer, mobilizon: Peer) -> None:
    await follow_network(client, peer, "alice")
    journey = await publish_journey(client.app, capacity=1)
    await deliver(client, mobilizon, "lucia", mobilizon_join(mobilizon, "lucia", journey))
    updates = len(sent(peer, "Update"))
    second = mobilizon_join(mobilizon, "marco", journey)
    await deliver(client, mobilizon, "marco", second)
    reject = received_answers(mobilizon)[-1]
    assert reject.path == "/users/marco/inbox"
    assert reject.json["type"] == "Reject" and reject.json["actor"] == ADMIN
    assert reject.json["object"]["id"] == second["id"] and reject.json["object"]["type"] == "Join"
    await verify_delivery(client, reject)
    assert await participations(client) == [(mobilizon.actor_iri("lucia"), "going", "join")]
    assert len(sent(peer, "Update")) == updates
    doc = await journey_doc(client, journey)
    assert (doc["participantCount"], doc["remainingAttendeeCapacity"]) == (1, 0)


async def test_leave_frees_the_seat(client: TestClient, peer: Peer, mobilizon: Peer) -> None:
    await follow_network(client, peer, "alice")
    journey = await publish_journey(client.app, capacity=1)
    await deliver(client, mobilizon, "lucia", mobilizon_join(mobilizon, "lucia", journey))
    assert await handled(client, mobilizon, "lucia", mobilizon_leave(mobilizon, "lucia", journey)) == "done"
    assert await participations(client) == []
    assert sent(peer, "Update", "Event")[-1]["object"]["participantCount"] == 0
    assert totals(sent(peer, "Update", "Question")[-1]["object"])["Je viens"] == 0
    await deliver(client, mobilizon, "marco", mobilizon_join(mobilizon, "marco", journey))
    assert received_answers(mobilizon)[-1].json["type"] == "Accept"
    assert await participations(client) == [(mobilizon.actor_iri("marco"), "going", "join")]


async def test_undo_of_a_join_is_a_leave(client: TestClient, mobilizon: Peer) -> None:
    journey = await publish_journey(client.app)
    join = mobilizon_join(mobilizon, "lucia", journey)
    await deliver(client, mobilizon, "lucia", join)
    undo = activity(mobilizon, "lucia", "Undo", join["id"])
    assert await handled(client, mobilizon, "lucia", undo) == "done"
    assert await participations(client) == []


async def test_leave_of_someone_not_participating_is_ignored(client: TestClient, mobilizon: Peer) -> None:
    journey = await publish_journey(client.app)
    assert await handled(client, mobilizon, "lucia", mobilizon_leave(mobilizon, "lucia", journey)) == "ignored"


@pytest.mark.parametrize("fields", [
    {"status": "cancelled"},
    {"join_mode": "external"},
    {"start": timedelta(hours=-2)},
], ids=["cancelled", "external", "started"])
async def test_join_refused_when_participation_is_not_open_here(
        client: TestClient, mobilizon: Peer, fields: dict[str, Any]) -> None:
    journey = await publish_journey(client.app, **fields)
    join = mobilizon_join(mobilizon, "lucia", journey)
    await deliver(client, mobilizon, "lucia", join)
    [answer] = received_answers(mobilizon)
    assert answer.json["type"] == "Reject" and answer.json["object"]["id"] == join["id"]
    assert await participations(client) == []


async def test_join_of_a_deleted_journey_or_of_something_else_is_ignored(client: TestClient, mobilizon: Peer) -> None:
    journey = await publish_journey(client.app)
    admin = await get_actor(client.app[DB], "admin")
    assert admin is not None
    await delete(client.app[DB], client.app[URLS], network="reseau", author=admin, kind="journey",
                 slug="voyage-drome")
    assert await handled(client, mobilizon, "lucia", mobilizon_join(mobilizon, "lucia", journey)) == "ignored"
    elsewhere = mobilizon_join(mobilizon, "lucia", f"{BASE}/journeys/nothing-here")
    assert await handled(client, mobilizon, "lucia", elsewhere) == "ignored"
    group = mobilizon_join(mobilizon, "lucia", f"{BASE}/users/reseau")
    assert await handled(client, mobilizon, "lucia", group) == "ignored"
    assert received_answers(mobilizon) == [] and await participations(client) == []


# RSVP poll votes from Mastodon

async def test_mastodon_votes_become_one_changeable_participation(client: TestClient, peer: Peer, bob: str) -> None:
    await follow_network(client, peer, "alice")
    journey = await publish_journey(client.app, capacity=10)
    question = f"{journey}/rsvp"
    peer.inbox.clear()
    vote = mastodon_vote(peer, "bob", question, "Je viens")
    assert await handled(client, peer, "bob", vote, path="/users/reseau/inbox") == "done"
    assert await participations(client) == [(bob, "going", "poll")]
    assert totals(sent(peer, "Update", "Question")[-1]["object"]) == {"Je viens": 1, "Peut-être": 0,
                                                                       "Je ne viens pas": 0}
    assert sent(peer, "Update", "Event")[-1]["object"]["participantCount"] == 1

    assert await handled(client, peer, "bob", mastodon_vote(peer, "bob", question, "Peut-être")) == "done"
    assert await participations(client) == [(bob, "maybe", "poll")]
    last = sent(peer, "Update", "Question")[-1]["object"]
    assert totals(last) == {"Je viens": 0, "Peut-être": 1, "Je ne viens pas": 0} and last["votersCount"] == 1
    assert sent(peer, "Update", "Event")[-1]["object"]["participantCount"] == 0
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_objects") == 0  # votes are not comments
    doc = await journey_doc(client, journey)
    assert (doc["participantCount"], doc["remainingAttendeeCapacity"]) == (0, 10)


async def test_same_vote_twice_changes_nothing(client: TestClient, peer: Peer, bob: str) -> None:
    await follow_network(client, peer, "alice")
    question = f"{await publish_journey(client.app)}/rsvp"
    await handled(client, peer, "bob", mastodon_vote(peer, "bob", question, "Je viens"))
    updates = len(sent(peer, "Update"))
    assert await handled(client, peer, "bob", mastodon_vote(peer, "bob", question, "je viens")) == "done"
    assert len(sent(peer, "Update")) == updates
    assert await participations(client) == [(bob, "going", "poll")]


async def test_vote_after_the_start_is_ignored(client: TestClient, peer: Peer, bob: str) -> None:
    question = f"{await publish_journey(client.app, start=timedelta(minutes=-5))}/rsvp"
    assert await handled(client, peer, "bob", mastodon_vote(peer, "bob", question, "Je viens")) == "ignored"
    assert await participations(client) == []
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_objects") == 0


async def test_going_vote_on_a_full_journey_counts_as_maybe(
        client: TestClient, peer: Peer, bob: str, mobilizon: Peer) -> None:
    journey = await publish_journey(client.app, capacity=1)
    await deliver(client, mobilizon, "lucia", mobilizon_join(mobilizon, "lucia", journey))
    assert await handled(client, peer, "bob", mastodon_vote(peer, "bob", f"{journey}/rsvp", "Going")) == "done"
    assert await participations(client) == [(mobilizon.actor_iri("lucia"), "going", "join"), (bob, "maybe", "poll")]
    message = await client.app[DB].fetch_value("SELECT message FROM participations WHERE actor_iri = ?", (bob,))
    assert message == "voted going while the journey was full"
    # The seat freed, a new vote takes it.
    await handled(client, mobilizon, "lucia", mobilizon_leave(mobilizon, "lucia", journey))
    await handled(client, peer, "bob", mastodon_vote(peer, "bob", f"{journey}/rsvp", "Je viens"))
    assert await participations(client) == [(bob, "going", "poll")]


async def test_a_joiner_who_votes_keeps_one_row(client: TestClient, mobilizon: Peer) -> None:
    journey = await publish_journey(client.app)
    await deliver(client, mobilizon, "lucia", mobilizon_join(mobilizon, "lucia", journey))
    same = mastodon_vote(mobilizon, "lucia", f"{journey}/rsvp", "Je viens")
    assert await handled(client, mobilizon, "lucia", same) == "done"
    assert await participations(client) == [(mobilizon.actor_iri("lucia"), "going", "join")]  # nothing changed
    vote = mastodon_vote(mobilizon, "lucia", f"{journey}/rsvp", "Je ne viens pas")
    assert await handled(client, mobilizon, "lucia", vote) == "done"
    assert await participations(client) == [(mobilizon.actor_iri("lucia"), "not_going", "poll")]
    assert (await journey_doc(client, journey))["participantCount"] == 0


async def test_vote_in_someone_elses_name_is_ignored(client: TestClient, peer: Peer, bob: str) -> None:
    question = f"{await publish_journey(client.app)}/rsvp"
    forged = mastodon_vote(peer, "bob", question, "Je viens", attributed_to=peer.actor_iri("alice"))
    assert await handled(client, peer, "bob", forged) == "ignored"
    assert await participations(client) == []


async def test_unknown_option_is_neither_a_vote_nor_a_comment(client: TestClient, peer: Peer, bob: str) -> None:
    question = f"{await publish_journey(client.app)}/rsvp"
    assert await handled(client, peer, "bob", mastodon_vote(peer, "bob", question, "Demain")) == "ignored"
    assert await participations(client) == []
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_objects") == 0


async def test_reply_with_text_to_the_poll_stays_a_comment(client: TestClient, peer: Peer, bob: str) -> None:
    question = f"{await publish_journey(client.app)}/rsvp"
    note = {"id": f"{bob}/statuses/1", "type": "Note", "content": "<p>On peut covoiturer ?</p>",
            "attributedTo": bob, "inReplyTo": question, "to": [f"{BASE}/users/reseau"]}
    assert await handled(client, peer, "bob", activity(peer, "bob", "Create", note)) == "done"
    assert await participations(client) == []
    assert await client.app[DB].fetch_value("SELECT in_reply_to FROM remote_objects") == question


async def test_restricted_journey_poll_going_waits_for_approval(client: TestClient, peer: Peer, bob: str) -> None:
    question = f"{await publish_journey(client.app, join_mode='restricted')}/rsvp"
    await handled(client, peer, "bob", mastodon_vote(peer, "bob", question, "Je viens"))
    assert await participations(client) == [(bob, "pending", "poll")]
    assert [r for r in await inbox_rows(client.app[DB]) if r["state"] == "failed"] == []


async def test_leave_after_the_journey_is_deleted_sends_no_update(
        client: TestClient, peer: Peer, mobilizon: Peer) -> None:
    await follow_network(client, peer, "alice")
    journey = await publish_journey(client.app)
    await deliver(client, mobilizon, "lucia", mobilizon_join(mobilizon, "lucia", journey))
    admin = await get_actor(client.app[DB], "admin")
    assert admin is not None
    await delete(client.app[DB], client.app[URLS], network="reseau", author=admin, kind="journey",
                 slug="voyage-drome")
    updates = len(sent(peer, "Update"))
    assert await handled(client, mobilizon, "lucia", mobilizon_leave(mobilizon, "lucia", journey)) == "done"
    assert await participations(client) == []
    assert len(sent(peer, "Update")) == updates
