"""How the inbox worker records what it did: the rows of a batch are marked together after the batch,
each only once its handler committed, so a crash or a shutdown in between makes it handle some rows
again, and handling a row again must change nothing. Also: the worker takes the activity the inbox
parsed when it received it, and parses the stored document itself when it was not handed one; and the
inbox handles a plain Create (a post only to keep) when it receives it, as the worker would have.

A peer's practice (`practice`) is what these tests use for a Create the worker handles: the inbox
leaves those to it (they are indexed for search), where it keeps a plain Note at once."""

import asyncio
import functools
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import inbox_worker, remote_content
from node.appkeys import DB, INBOX_WORKER
from node.db import Transaction
from node.inbox import take_parsed
from node.inbox_objects import object_row
from node.inbox_store import insert_rows
from node.inbox_worker import InboxContext
from protocol.activities import Activity, parse_activity
from protocol.jsonld import compact
from tests.node.test_remote_content import peer_object
from tests.support.node import activity, follows_peer, handled, post_signed, process, publish_practice
from tests.support.peer import Peer

GROUP = "http://node.test/users/reseau"
PRACTICE = "http://node.test/practices/monnaie-locale"


@pytest.fixture(autouse=True)
async def peer_is_followed(client: TestClient, peer: Peer) -> None:
    """The network follows the peer: what it posts is kept (node/relevance.py)."""
    await follows_peer(client.app, peer)


def practice(peer: Peer, number: int) -> dict[str, Any]:
    return peer_object(peer, "practice", slug=f"pratique-{number}")


def note(peer: Peer, number: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"{peer.base}/notes/{number}", "type": "Note", "attributedTo": peer.actor_iri("alice"),
            "content": f"<p>Note {number}</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"], **fields}


async def post_all(client: TestClient, peer: Peer, *docs: dict[str, Any]) -> None:
    for doc in docs:
        resp = await post_signed(client, peer, "alice", "/inbox", doc)
        assert resp.status == 202, await resp.text()


async def states(client: TestClient) -> dict[str, tuple[str, int, str | None]]:
    rows = await client.app[DB].fetch_all("SELECT activity_iri, state, attempts, error FROM inbox")
    return {r["activity_iri"]: (r["state"], r["attempts"], r["error"]) for r in rows}


async def snapshot(client: TestClient) -> dict[str, list[tuple[Any, ...]]]:
    """Everything handling these activities writes, but the inbox rows themselves."""
    db = client.app[DB]
    queries = {
        "remote_objects": "SELECT iri, type, attributed_to, in_reply_to, document, received_at FROM remote_objects",
        "comments": "SELECT iri, root_iri, author_iri, state FROM comments",
        "remote_content": "SELECT iri, kind, fields, received_at FROM remote_content",
        "search": "SELECT iri, lang, title FROM search_entries",
        "follows": "SELECT follower_iri, followee_iri, activity_iri, state FROM follows",
        "reactions": "SELECT object_iri, actor_iri, type, activity_iri FROM reactions",
        "deliveries": "SELECT count(*) FROM deliveries",
    }
    return {name: sorted(tuple(r) for r in await db.fetch_all(sql)) for name, sql in queries.items()}


async def test_one_pass_marks_every_row_with_its_own_outcome(client: TestClient, peer: Peer, bob: str) -> None:
    done = activity(peer, "alice", "Create", practice(peer, 1))
    ignored = activity(peer, "alice", "Follow", "http://node.test/users/nobody")
    retried = activity(peer, "bob", "Follow", GROUP)
    await post_all(client, peer, done, ignored)
    assert (await post_signed(client, peer, "bob", "/inbox", retried)).status == 202
    async with client.app[DB].transaction() as tx:  # bob's actor document will be gone when the Follow is handled
        await tx.execute("DELETE FROM remote_actors WHERE iri = ?", (bob,))
    del peer.keys["bob"]
    assert await client.app[INBOX_WORKER].run_once() == 3
    assert await states(client) == {
        done["id"]: ("done", 1, None), ignored["id"]: ("ignored", 1, None),
        retried["id"]: ("new", 1, f"GET {bob} answered 410")}


async def test_a_failing_handler_keeps_its_row_for_later_and_the_others_are_marked(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(ctx: InboxContext, act: Activity, raw: dict[str, object]) -> str:
        raise RuntimeError("bug")

    monkeypatch.setitem(inbox_worker.HANDLERS, "Like", broken)
    first, like, last = (activity(peer, "alice", "Create", practice(peer, 1)),
                         activity(peer, "alice", "Like", PRACTICE),
                         activity(peer, "alice", "Create", practice(peer, 2)))
    await post_all(client, peer, first, like, last)
    assert await client.app[INBOX_WORKER].run_once() == 3
    assert await states(client) == {first["id"]: ("done", 1, None), like["id"]: ("new", 1, "RuntimeError: bug"),
                                    last["id"]: ("done", 1, None)}
    assert len((await snapshot(client))["remote_objects"]) == 2


async def test_a_cancelled_pass_marks_the_rows_handled_before_and_leaves_the_rest(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    entered = asyncio.Event()

    async def stuck(ctx: InboxContext, act: Activity, raw: dict[str, object]) -> str:
        async with ctx.db.transaction() as tx:  # rolled back by the cancellation
            await tx.execute("INSERT INTO reactions (object_iri, actor_iri, type, activity_iri, created_at)"
                             " VALUES ('x', 'y', 'Like', 'z', 'now')")
            entered.set()
            await asyncio.Event().wait()
        return "done"

    monkeypatch.setitem(inbox_worker.HANDLERS, "Like", stuck)
    first, like, last = (activity(peer, "alice", "Create", practice(peer, 1)),
                         activity(peer, "alice", "Like", PRACTICE),
                         activity(peer, "alice", "Create", practice(peer, 2)))
    await post_all(client, peer, first, like, last)
    task = asyncio.create_task(client.app[INBOX_WORKER].run_once())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await states(client) == {first["id"]: ("done", 1, None), like["id"]: ("new", 0, None),
                                    last["id"]: ("new", 0, None)}
    assert (await snapshot(client))["reactions"] == []


async def test_handling_a_batch_again_changes_nothing(client: TestClient, peer: Peer) -> None:
    """What a crash between the handlers' commits and the batch's marking leads to."""
    await publish_practice(client.app)
    follow = activity(peer, "alice", "Follow", GROUP)
    docs = [
        follow,
        activity(peer, "alice", "Create", note(peer, 1)),
        activity(peer, "alice", "Create", note(peer, 2, inReplyTo=PRACTICE)),  # a comment, announced by the Group
        activity(peer, "alice", "Create", peer_object(peer, "practice")),  # kept in full and indexed for search
        activity(peer, "alice", "Like", PRACTICE),
        activity(peer, "alice", "Announce", PRACTICE),
    ]
    await post_all(client, peer, *docs)
    assert await states(client) == {docs[1]["id"]: ("done", 1, None), **{  # the plain Note: kept when received
        doc["id"]: ("new", 0, None) for doc in docs if doc is not docs[1]}}
    assert (await process(client.app))[0] == 5
    first = await snapshot(client)
    assert [len(first[name]) for name in ("remote_objects", "comments", "remote_content", "follows", "reactions")] \
        == [3, 1, 1, 2, 2]  # follows: alice's, and the network's of alice (peer_is_followed)
    assert any(iri == docs[3]["object"]["id"] for iri, _, _ in first["search"])
    sent = len(peer.inbox)
    assert sorted(r.json["type"] for r in peer.inbox) == ["Accept", "Announce"]  # the comment's, to its author
    async with client.app[DB].transaction() as tx:
        await tx.execute("UPDATE inbox SET state = 'new'")
    assert await process(client.app) == (6, 0)
    assert await snapshot(client) == first
    assert len(peer.inbox) == sent
    assert {state for state, _, _ in (await states(client)).values()} == {"done"}


async def test_a_plain_note_leaves_the_search_index_alone(client: TestClient, peer: Peer) -> None:
    practice = peer_object(peer, "practice")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", practice)) == "done"
    indexed = (await snapshot(client))["search"]
    assert {iri for iri, _, _ in indexed} == {practice["id"]}
    async with client.app[DB].transaction() as tx:  # search reads its own rows: this shows whether it was redone
        await tx.execute("UPDATE search_entries SET title = 'unchanged'")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", note(peer, 1))) == "done"
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", practice)) == "done"
    assert {title for _, _, title in (await snapshot(client))["search"]} == {"unchanged"}


async def test_the_worker_parses_rows_it_was_not_handed(client: TestClient, peer: Peer) -> None:
    handed, alone = (activity(peer, "alice", "Create", practice(peer, 1)),
                     activity(peer, "alice", "Create", practice(peer, 2)))
    await post_all(client, peer, handed, alone)
    stored = await client.app[DB].fetch_value("SELECT document FROM inbox WHERE activity_iri = ?", (alone["id"],))
    assert take_parsed(client.app[DB], alone["id"], stored + " ") is None  # another text: not used, and dropped
    assert take_parsed(client.app[DB], alone["id"], stored) is None
    assert await client.app[INBOX_WORKER].run_once() == 2
    assert await states(client) == {handed["id"]: ("done", 1, None), alone["id"]: ("done", 1, None)}
    objects = (await snapshot(client))["remote_objects"]
    assert [iri for iri, *_ in objects] == [handed["object"]["id"], alone["object"]["id"]]


async def test_an_activity_is_handed_once_and_only_when_stored(client: TestClient, peer: Peer) -> None:
    doc = activity(peer, "alice", "Create", practice(peer, 1))
    await post_all(client, peer, doc)
    stored = await client.app[DB].fetch_value("SELECT document FROM inbox")
    await post_all(client, peer, {**doc, "object": practice(peer, 9)})  # same id: not stored, not handed
    parsed = take_parsed(client.app[DB], doc["id"], stored)
    assert parsed is not None
    compacted, act = parsed
    assert (act.iri, act.type, compacted["object"]["id"]) == (doc["id"], "Create", doc["object"]["id"])
    assert take_parsed(client.app[DB], doc["id"], stored) is None


MASTODON_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", {
    "ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri", "sensitive": "as:sensitive",
    "toot": "http://joinmastodon.org/ns#", "Emoji": "toot:Emoji"}]


@pytest.mark.parametrize("shape", ["as2", "mastodon", "transient delete"])
async def test_what_is_handed_is_what_parsing_the_row_gives(client: TestClient, peer: Peer, shape: str) -> None:
    if shape == "transient delete":  # GoToSocial's Delete without an id: the row's document has one added
        doc = {k: v for k, v in activity(peer, "alice", "Delete", f"{peer.base}/notes/1").items() if k != "id"}
    else:
        doc = activity(peer, "alice", "Create", note(peer, 1, sensitive=False, atomUri=f"{peer.base}/notes/1",
                                                     inReplyTo=f"{peer.base}/notes/0"))  # a reply: left to the worker
        if shape == "mastodon":
            doc["@context"] = MASTODON_CONTEXT
    await post_all(client, peer, doc)
    row = await client.app[DB].fetch_one("SELECT activity_iri, document FROM inbox")
    assert row is not None
    parsed = take_parsed(client.app[DB], row["activity_iri"], row["document"])
    assert parsed is not None
    compacted = compact(json.loads(row["document"]))
    assert parsed == (compacted, parse_activity(compacted))


# Creates that only keep an object (embedded, from the actor's server, replying to nothing) are kept
# together, in one transaction; rows stay handled in order, and a failure stays the row's own. The inbox
# keeps those of plain posts at once: the outcome of a sequence is the same.

async def test_plain_creates_between_other_activities_are_handled_in_order(client: TestClient, peer: Peer) -> None:
    first, second, third = note(peer, 1), note(peer, 2), note(peer, 3)
    edited = {**second, "content": "<p>Edited</p>"}
    docs = [activity(peer, "alice", "Create", first), activity(peer, "alice", "Create", second),
            activity(peer, "alice", "Update", edited), activity(peer, "alice", "Create", third),
            activity(peer, "alice", "Delete", first["id"]), activity(peer, "alice", "Create", first)]
    await post_all(client, peer, *docs)
    assert await client.app[INBOX_WORKER].run_once() == 2  # the Update and the Delete; the Creates were kept
    assert {state for state, _, _ in (await states(client)).values()} == {"done"}
    objects = {r["iri"]: (json.loads(r["document"]), r["deleted_at"]) for r in await client.app[DB].fetch_all(
        "SELECT iri, document, deleted_at FROM remote_objects")}
    assert objects[first["id"]][0] == {} and objects[first["id"]][1] is not None  # a deleted object stays deleted
    assert objects[second["id"]] == (edited, None)
    assert objects[third["id"]] == (third, None)


async def test_a_plain_create_that_fails_fails_alone(client: TestClient, peer: Peer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    broken_practice = peer_object(peer, "practice", slug="broken")
    real_store = remote_content.store

    async def store(tx: Transaction, document: dict[str, Any], *, replace: bool = False) -> bool:
        if document["id"] == broken_practice["id"]:
            raise RuntimeError("bug")
        return await real_store(tx, document, replace=replace)

    monkeypatch.setattr(remote_content, "store", store)
    good = peer_object(peer, "practice")
    docs = [activity(peer, "alice", "Create", practice(peer, 1)), activity(peer, "alice", "Create", broken_practice),
            activity(peer, "alice", "Create", good)]
    await post_all(client, peer, *docs)
    assert await client.app[INBOX_WORKER].run_once() == 3
    assert await states(client) == {docs[0]["id"]: ("done", 1, None), docs[1]["id"]: ("new", 1, "RuntimeError: bug"),
                                    docs[2]["id"]: ("done", 1, None)}
    kept = await snapshot(client)
    assert {iri for iri, *_ in kept["remote_objects"]} == {docs[0]["object"]["id"], good["id"]}
    assert {iri for iri, *_ in kept["remote_content"]} == {docs[0]["object"]["id"], good["id"]}
    assert {iri for iri, _, _ in kept["search"]} == {docs[0]["object"]["id"], good["id"]}


async def test_the_worker_lets_requests_in_while_it_parses_a_batch(client: TestClient, peer: Peer,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows it was not handed, each through pyld (an inline `@language` keeps them off the fast path): once
    its turn is over (YIELD_SECONDS, here at once) the worker gives the event loop back before the next row,
    not once for the whole batch. Counted in rows parsed between two turns of another task, not timed."""
    db = client.app[DB]
    worker = client.app[INBOX_WORKER]
    docs = [{**activity(peer, "alice", "Create", note(peer, n)),
             "@context": ["https://www.w3.org/ns/activitystreams", {"@language": "fr"}]} for n in range(100)]
    async with db.transaction() as tx:
        await tx.execute_many(
            "INSERT INTO inbox (activity_iri, type, actor_iri, document, received_at) VALUES (?, 'Create', ?, ?, ?)",
            [(d["id"], d["actor"], json.dumps(d), "2026-01-01T00:00:00Z") for d in docs])
    monkeypatch.setattr(inbox_worker, "YIELD_SECONDS", -1.0)
    parsed = 0
    real_parse = worker._parse

    def counting_parse(activity_iri: str, document: str) -> Any:
        nonlocal parsed
        parsed += 1
        return real_parse(activity_iri, document)

    monkeypatch.setattr(worker, "_parse", counting_parse)
    parsed_per_turn: list[int] = []
    running = True

    async def other_requests() -> None:
        seen = 0
        while running:
            await asyncio.sleep(0)
            parsed_per_turn.append(parsed - seen)
            seen = parsed

    ticker = asyncio.create_task(other_requests())
    await asyncio.sleep(0)
    assert await worker.run_once() == 100
    running = False
    await ticker
    assert sum(parsed_per_turn) == 100 and max(parsed_per_turn) == 1, parsed_per_turn
    assert {state for state, _, _ in (await states(client)).values()} == {"done"}


async def test_a_plain_note_is_kept_when_received_and_left_out_of_the_queue(client: TestClient, peer: Peer) -> None:
    doc = activity(peer, "alice", "Create", note(peer, 1))
    await post_all(client, peer, doc)
    row = await client.app[DB].fetch_one("SELECT state, attempts, error, received_at, processed_at FROM inbox")
    assert row is not None and tuple(row)[:3] == ("done", 1, None) and row["processed_at"] == row["received_at"]
    objects = (await snapshot(client))["remote_objects"]
    assert [(iri, kind, author, json.loads(document)) for iri, kind, author, _, document, _ in objects] == [
        (doc["object"]["id"], "Note", peer.actor_iri("alice"), doc["object"])]
    assert take_parsed(client.app[DB], doc["id"], await client.app[DB].fetch_value("SELECT document FROM inbox")) \
        is None  # nothing handed to the worker, which has nothing to do
    assert await client.app[INBOX_WORKER].run_once() == 0
    await post_all(client, peer, {**doc, "object": note(peer, 2)})  # the same activity id: a duplicate
    assert [iri for iri, *_ in (await snapshot(client))["remote_objects"]] == [doc["object"]["id"]]


async def test_a_batch_keeps_the_object_of_the_first_row_of_an_activity_only(client: TestClient, peer: Peer) -> None:
    """Two requests with one activity id written together: the second is a duplicate, its object is not kept."""
    first, second = note(peer, 1), note(peer, 2)
    rows = [("peer.test", (f"{peer.base}/activities/1", "Create", peer.actor_iri("alice"), None, "{}", "now",
                           "done", 1, "now"), object_row(obj["id"], obj, peer.actor_iri("alice")))
            for obj in (first, second)]
    stored = await client.app[DB].write(functools.partial(insert_rows, rows))
    assert stored == [True, False]
    assert [iri for iri, *_ in (await snapshot(client))["remote_objects"]] == [first["id"]]
