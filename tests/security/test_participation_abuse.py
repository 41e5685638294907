"""Joining a journey that has no seat or is closed, and voting on its RSVP poll without the right to:
the answer is a Reject (for a Join) or nothing (for a vote), and nothing else changes. Every table but
the `inbox` log and, for Joins, the outbox (where the Reject and its delivery go) is compared row by row.
Also: a Join processed again after a crash is answered once."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import participation
from node.accounts import get_actor
from node.appkeys import DB, DELIVERY, FETCHER, INBOX_WORKER, URLS
from node.inbox_worker import HANDLERS
from node.publishing import delete
from protocol.activities import parse_activity
from protocol.jsonld import compact
from tests.support.dbstate import CACHES, changed, snapshot
from tests.support.journeys import (
    deliver,
    mastodon_vote,
    mobilizon_join,
    publish_journey,
    received_answers,
    start_mobilizon,
)
from tests.support.node import handled, post_signed
from tests.support.peer import Peer

OUTBOX = frozenset({"activities", "deliveries", "domains"})  # an answer sent, and its host's record (node/hosts.py)


@pytest.fixture
async def mobilizon() -> AsyncIterator[Peer]:
    remote = await start_mobilizon("lucia", "marco")
    yield remote
    assert remote.server is not None
    await remote.server.close()


async def unchanged_but(client: TestClient, peer: Peer, name: str, doc: dict[str, Any], *, state: str,
                        ignore: frozenset[str]) -> None:
    """`doc` is handled into `state` and no table outside `ignore` (and the inbox log) changes."""
    await handled(client, peer, name, {**doc, "id": f"{doc['id']}-warm-up", "type": "Like"})  # caches the key
    ignore = ignore | CACHES | {"inbox"}
    before = await snapshot(client.app[DB], ignore=ignore)
    assert await handled(client, peer, name, doc) == state
    assert changed(before, await snapshot(client.app[DB], ignore=ignore)) == {}


async def outbox_count(client: TestClient) -> tuple[int, int]:
    db = client.app[DB]
    return (await db.fetch_value("SELECT count(*) FROM activities"),
            await db.fetch_value("SELECT count(*) FROM deliveries"))


@pytest.mark.parametrize("fields", [{"capacity": 1}, {"status": "cancelled"}, {"start": timedelta(hours=-2)},
                                    {"join_mode": "external"}], ids=["full", "cancelled", "started", "external"])
async def test_join_of_a_full_or_closed_journey_gets_a_reject_and_changes_nothing_else(
        client: TestClient, mobilizon: Peer, fields: dict[str, Any]) -> None:
    journey = await publish_journey(client.app, **fields)
    if "capacity" in fields:
        await deliver(client, mobilizon, "lucia", mobilizon_join(mobilizon, "lucia", journey))
    answers = len(received_answers(mobilizon))
    outbox = await outbox_count(client)
    join = mobilizon_join(mobilizon, "marco", journey)
    await unchanged_but(client, mobilizon, "marco", join, state="done", ignore=OUTBOX)
    assert await outbox_count(client) == (outbox[0] + 1, outbox[1] + 1)  # the Reject, to marco only
    await client.app[DELIVERY].run_once()
    [reject] = received_answers(mobilizon)[answers:]
    assert (reject.path, reject.json["type"], reject.json["object"]["id"]) == ("/users/marco/inbox", "Reject",
                                                                              join["id"])


@pytest.mark.parametrize("case", ["rejected by the organizer", "cancelled", "started", "deleted",
                                  "in someone else's name", "no such journey"])
async def test_vote_from_someone_who_cannot_vote_changes_nothing(client: TestClient, peer: Peer, bob: str,
                                                                  case: str) -> None:
    fields: dict[str, Any] = {"cancelled": {"status": "cancelled"},
                              "started": {"start": timedelta(minutes=-5)}}.get(case, {})
    journey = await publish_journey(client.app, **fields)
    question = f"{journey}/rsvp"
    voter, attributed = "bob", None
    if case == "rejected by the organizer":
        assert await handled(client, peer, "bob", mastodon_vote(peer, "bob", question, "Je viens")) == "done"
        app = client.app
        await participation.decide(app[DB], app[URLS], app[FETCHER], slug="voyage-drome", actor_iri=bob,
                                   approve=False)
    elif case == "deleted":
        admin = await get_actor(client.app[DB], "admin")
        assert admin is not None
        await delete(client.app[DB], client.app[URLS], network="reseau", author=admin, kind="journey",
                     slug="voyage-drome")
    elif case == "in someone else's name":
        attributed = peer.actor_iri("alice")
    elif case == "no such journey":
        question = "http://node.test/journeys/nothing-here/rsvp"
    vote = mastodon_vote(peer, voter, question, "Je viens", attributed_to=attributed)
    await unchanged_but(client, peer, voter, vote, state="ignored", ignore=frozenset())


async def test_a_join_processed_again_after_a_crash_is_answered_once(client: TestClient, mobilizon: Peer) -> None:
    """As for Follows (test_crash.py): the handler committed its Accept, the process died before the inbox
    row was marked done; the restarted worker must not send a second Accept with a new id."""
    journey = await publish_journey(client.app)
    join = mobilizon_join(mobilizon, "lucia", journey)
    await handled(client, mobilizon, "lucia", {**join, "id": f"{join['id']}-warm-up", "type": "Like"})
    assert (await post_signed(client, mobilizon, "lucia", "/inbox", join)).status == 202
    worker = client.app[INBOX_WORKER]
    activity = parse_activity(compact(join))
    assert await HANDLERS["Join"](worker.ctx, activity, {}) == "done"  # then: kill -9
    assert await worker.run_once() == 1
    accepts = await client.app[DB].fetch_value("SELECT count(*) FROM activities WHERE type = 'Accept'")
    assert accepts == 1
