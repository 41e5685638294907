"""`maillage participants`: an organizer lists a journey's participants and decides on requests to join
a `restricted` journey. The command runs against the same data folder as the serving node (its own
process would; here its own thread and event loop); the Accept or Reject it queues is delivered by the
node's delivery worker to the joiner, signed by the journey's author."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB, DELIVERY
from node.cli import main
from node.config import Config
from tests.support.journeys import (
    deliver,
    mastodon_vote,
    mobilizon_join,
    publish_journey,
    received_answers,
    sent,
    start_mobilizon,
)
from tests.support.node import follow_network, handled, verify_delivery
from tests.support.peer import Peer

ADMIN = "http://node.test/users/admin"


@pytest.fixture
async def mobilizon() -> AsyncIterator[Peer]:
    remote = await start_mobilizon("lucia", "marco")
    yield remote
    assert remote.server is not None
    await remote.server.close()


async def run(capsys: pytest.CaptureFixture[str], config: Config, *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, ["participants", "--data", str(config.data_dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


async def test_restricted_join_is_pending_until_approved(
        client: TestClient, node_config: Config, peer: Peer, mobilizon: Peer, capsys: pytest.CaptureFixture[str],
) -> None:
    await follow_network(client, peer, "alice")
    journey = await publish_journey(client.app, "voyage-restreint", join_mode="restricted", capacity=5)
    peer.inbox.clear()
    lucia = mobilizon.actor_iri("lucia")
    join = mobilizon_join(mobilizon, "lucia", journey, message="Trésorière de la monnaie locale.")
    await deliver(client, mobilizon, "lucia", join)
    assert received_answers(mobilizon) == [] and sent(peer, "Update") == []  # pending: nothing public changed

    assert await run(capsys, node_config, "voyage-restreint") == (
        0, f"{lucia}\tpending\tjoin\tTrésorière de la monnaie locale.\n", "")
    assert await run(capsys, node_config, "voyage-restreint", "--approve", lucia) == (0, f"{lucia} going\n", "")
    assert await client.app[DELIVERY].run_once() >= 1
    [answer] = received_answers(mobilizon)
    assert answer.path == "/users/lucia/inbox"
    assert answer.json["type"] == "Accept" and answer.json["actor"] == ADMIN
    assert answer.json["object"] == {"id": join["id"], "type": "Join", "actor": lucia, "object": journey}
    assert (await verify_delivery(client, answer)).key_id == f"{ADMIN}#main-key"
    assert sent(peer, "Update", "Event")[-1]["object"]["participantCount"] == 1
    assert sent(peer, "Update", "Question")[-1]["object"]["votersCount"] == 1
    assert (await run(capsys, node_config, "voyage-restreint"))[1] == (
        f"{lucia}\tgoing\tjoin\tTrésorière de la monnaie locale.\n")


async def test_reject_sends_the_reject_and_sticks(
        client: TestClient, node_config: Config, mobilizon: Peer, capsys: pytest.CaptureFixture[str]) -> None:
    journey = await publish_journey(client.app, "voyage-restreint", join_mode="restricted")
    marco = mobilizon.actor_iri("marco")
    join = mobilizon_join(mobilizon, "marco", journey)
    await deliver(client, mobilizon, "marco", join)
    assert await run(capsys, node_config, "voyage-restreint", "--reject", marco) == (0, f"{marco} rejected\n", "")
    await client.app[DELIVERY].run_once()
    [answer] = received_answers(mobilizon)
    assert answer.json["type"] == "Reject" and answer.json["object"]["id"] == join["id"]
    await verify_delivery(client, answer)
    again = mobilizon_join(mobilizon, "marco", journey)
    await deliver(client, mobilizon, "marco", again)
    assert [(a.json["type"], a.json["object"]["id"]) for a in received_answers(mobilizon)][1:] == [
        ("Reject", again["id"])]
    assert (await run(capsys, node_config, "voyage-restreint"))[1] == f"{marco}\trejected\tjoin\n"


async def test_approve_refused_when_full(
        client: TestClient, node_config: Config, mobilizon: Peer, capsys: pytest.CaptureFixture[str]) -> None:
    journey = await publish_journey(client.app, "voyage-restreint", join_mode="restricted", capacity=1)
    for name in ("lucia", "marco"):
        await deliver(client, mobilizon, name, mobilizon_join(mobilizon, name, journey))
    lucia, marco = mobilizon.actor_iri("lucia"), mobilizon.actor_iri("marco")
    assert (await run(capsys, node_config, "voyage-restreint", "--approve", lucia))[0] == 0
    assert await run(capsys, node_config, "voyage-restreint", "--approve", marco) == (
        1, "", "error: 'voyage-restreint' is full (1 seats taken)\n")
    rows = await client.app[DB].fetch_all("SELECT actor_iri, state FROM participations ORDER BY id")
    assert [tuple(r) for r in rows] == [(lucia, "going"), (marco, "pending")]


async def test_approving_a_poll_voter_sends_nothing_back(
        client: TestClient, node_config: Config, peer: Peer, bob: str, capsys: pytest.CaptureFixture[str]) -> None:
    journey = await publish_journey(client.app, "voyage-restreint", join_mode="restricted")
    await handled(client, peer, "bob", mastodon_vote(peer, "bob", f"{journey}/rsvp", "Je viens"))
    assert (await run(capsys, node_config, "voyage-restreint"))[1] == f"{bob}\tpending\tpoll\n"
    assert await run(capsys, node_config, "voyage-restreint", "--approve", bob) == (0, f"{bob} going\n", "")
    await client.app[DELIVERY].run_once()
    assert received_answers(peer) == []
    assert await client.app[DB].fetch_value("SELECT state FROM participations") == "going"


async def test_refusals(client: TestClient, node_config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    await publish_journey(client.app, "voyage-drome")
    assert await run(capsys, node_config, "nothing-here") == (1, "", "error: no journey 'nothing-here'\n")
    assert await run(capsys, node_config, "voyage-drome") == (0, "", "")
    stranger = "http://127.0.0.1:9/users/nobody"
    assert await run(capsys, node_config, "voyage-drome", "--approve", stranger) == (
        1, "", f"error: {stranger} is not a participant of 'voyage-drome'\n")
    with pytest.raises(SystemExit) as exc:
        main(["participants", "--data", str(node_config.data_dir), "voyage-drome", "--approve", "a", "--reject", "b"])
    assert exc.value.code == 2
