"""Backfill of a peer's outbox (node/backfill.py) against a loopback peer serving N pages: everything that
is content of ours is imported from its origin, within the bounds, one page per pass, resumable after a
restart, politely, and started by the Accept of our follow or by `maillage backfill`."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import backfill, clock, social
from node.accounts import get_actor
from node.appkeys import BACKFILL, DB, FETCHER, URLS
from node.backfill import SWEEP_KEY, BackfillSettings, BackfillWorker, get_state, schedule
from node.cli import main
from node.config import Config
from node.following import follow
from tests.support.node import AS_CONTEXT, PUBLIC, activity, handled
from tests.support.outbox import OutboxPeer, start_outbox_peer


@pytest.fixture
async def network() -> AsyncIterator[OutboxPeer]:
    """A peer network: the Group `reseau` and its organizer `alice`."""
    remote = await start_outbox_peer("reseau", "alice")
    remote.actor_fields["reseau"] = {"type": "Group"}
    yield remote
    assert remote.server is not None
    await remote.server.close()


def seven_items(peer: OutboxPeer) -> list[Any]:
    """An outbox of 7 activities, newest first; 4 bring a practice."""
    p = [peer.article("alice", f"p{n}") for n in range(1, 5)]
    note = {"id": f"{peer.base}/notes/1", "type": "Note", "attributedTo": peer.actor_iri("alice"),
            "content": "<p>hello</p>"}
    peer.documents["/notes/1"] = {"@context": AS_CONTEXT, **note}
    peer.statuses["/practices/gone"] = 410
    by_iri = peer.announce("reseau", p[3]["id"], 7)
    peer.documents["/users/reseau/activities/a7"] = {"@context": AS_CONTEXT, **by_iri}
    return [
        peer.announce("reseau", p[0]["id"], 1),
        peer.create("alice", p[1], 2),
        peer.announce("reseau", f"{peer.base}/practices/gone", 3),
        peer.create("alice", note, 4),
        peer.announce("reseau", p[2]["id"], 5),
        {"id": f"{peer.base}/activities/u6", "type": "Update", "actor": peer.actor_iri("alice"), "object": p[0]},
        by_iri["id"],
    ]


def worker(client: TestClient, **settings: Any) -> BackfillWorker:
    app = client.app
    return BackfillWorker(db=app[DB], fetcher=app[FETCHER], local_base=app[URLS].base,
                          settings=BackfillSettings(**{"delay": 0.0, **settings}))


async def start(client: TestClient, actor: str) -> None:
    async with client.app[DB].transaction() as tx:
        await schedule(tx, actor)


async def imported(client: TestClient) -> dict[str, str]:
    rows = await client.app[DB].fetch_all(
        "SELECT c.iri, t.title FROM remote_content c JOIN remote_translations t ON t.content_id = c.id"
        " AND t.lang = 'en' ORDER BY c.iri")
    return {r["iri"].rsplit("/", 1)[-1]: r["title"] for r in rows}


async def test_pages_through_the_outbox_and_imports_content_from_its_origin(client: TestClient,
                                                                             network: OutboxPeer) -> None:
    pages = network.publish_outbox("reseau", seven_items(network), page_size=3)
    group = network.actor_iri("reseau")
    await start(client, group)
    w = worker(client)
    assert [await w.run_once() for _ in range(4)] == [1, 1, 1, 0]  # one page per pass, then nothing due
    state = await get_state(client.app[DB], group)
    assert state is not None
    assert (state.state, state.pages, state.seen, state.imported, state.next_page) == ("done", 3, 7, 4, None)
    assert await imported(client) == {f"p{n}": f"Practice p{n}" for n in range(1, 5)}
    assert [network.gets(p) for p in pages] == [[p] for p in pages]
    # Embedded or by IRI, every object came from its origin; the deleted one answered 410 and was skipped.
    assert all(network.gets(f"/practices/p{n}") == [f"/practices/p{n}"] for n in range(1, 5))
    assert network.gets("/practices/gone") == ["/practices/gone"]
    assert network.gets("/notes/") == []  # an embedded Note is plainly not a write-up: not fetched
    raw = await client.app[DB].fetch_all("SELECT iri, type FROM remote_objects ORDER BY iri")
    assert [(r["iri"].rsplit("/", 1)[-1], r["type"]) for r in raw] == [(f"p{n}", "Article") for n in range(1, 5)]
    # Searchable like what the inbox brings, in both languages.
    assert await client.app[DB].fetch_value("SELECT count(*) FROM search_entries WHERE local = 0") == 8


@pytest.mark.parametrize(("limits", "pages_read", "seen"), [({"max_items": 4}, 2, 4), ({"max_pages": 1}, 1, 3)])
async def test_bounds(client: TestClient, network: OutboxPeer, limits: dict[str, int], pages_read: int,
                      seen: int) -> None:
    pages = network.publish_outbox("reseau", seven_items(network), page_size=3)
    group = network.actor_iri("reseau")
    await start(client, group)
    w = worker(client, **limits)
    while await w.run_once():
        pass
    state = await get_state(client.app[DB], group)
    assert state is not None
    assert (state.state, state.pages, state.seen) == ("done", pages_read, seen)
    assert [p for p in pages if network.gets(p)] == pages[:pages_read]
    assert network.gets("/users/reseau/activities/a7") == []  # the last item, beyond the bounds


async def test_a_restart_continues_from_the_stored_cursor(client: TestClient, network: OutboxPeer) -> None:
    pages = network.publish_outbox("reseau", seven_items(network), page_size=3)
    group = network.actor_iri("reseau")
    await start(client, group)
    assert await worker(client).run_once() == 1
    state = await get_state(client.app[DB], group)
    assert state is not None
    assert (state.state, state.next_page, state.imported) == ("running", f"{network.base}{pages[1]}", 2)
    # A process that died holding the row: nobody takes it until its lease ends, then the next one resumes.
    async with client.app[DB].transaction() as tx:
        await tx.execute("UPDATE backfills SET next_attempt_at = ?", (clock.timestamp() + 60,))
    fresh = worker(client)
    assert await fresh.run_once() == 0
    async with client.app[DB].transaction() as tx:
        await tx.execute("UPDATE backfills SET next_attempt_at = 0")
    while await fresh.run_once():
        pass
    assert [len(network.gets(p)) for p in pages] == [1, 1, 1]
    assert len(await imported(client)) == 4


async def test_politeness_per_domain(client: TestClient, network: OutboxPeer) -> None:
    items = [network.announce("reseau", network.article("alice", f"p{n}")["id"], n) for n in range(6)]
    network.publish_outbox("reseau", items, page_size=6)
    network.latency = 0.05
    group = network.actor_iri("reseau")
    for concurrency in (1, 2):
        async with client.app[DB].transaction() as tx:
            await tx.execute("DELETE FROM remote_content")
            await tx.execute("DELETE FROM backfills")
        network.max_in_flight = 0
        await start(client, group)
        assert await worker(client, concurrency=concurrency).run_once() == 1
        assert network.max_in_flight == concurrency
    # Between two pages of one outbox, `backfill_delay` seconds.
    network.publish_outbox("reseau", items, page_size=2)
    async with client.app[DB].transaction() as tx:
        await tx.execute("DELETE FROM backfills")
    await start(client, group)
    slow = worker(client, delay=30.0)
    assert await slow.run_once() == 1
    assert await slow.run_once() == 0
    state = await get_state(client.app[DB], group)
    assert state is not None and state.next_attempt_at > clock.timestamp() + 25


async def test_a_failing_page_is_retried_later_and_a_gone_outbox_fails(client: TestClient,
                                                                        network: OutboxPeer) -> None:
    pages = network.publish_outbox("reseau", seven_items(network), page_size=3)
    group = network.actor_iri("reseau")
    network.statuses[pages[1]] = 503
    await start(client, group)
    w = worker(client)
    assert await w.run_once() == 1
    assert await w.run_once() == 1
    state = await get_state(client.app[DB], group)
    assert state is not None
    assert (state.state, state.attempts, state.next_page) == ("running", 1, f"{network.base}{pages[1]}")
    assert "503" in (state.error or "")
    assert state.next_attempt_at > clock.timestamp()
    del network.statuses[pages[1]]
    async with client.app[DB].transaction() as tx:
        await tx.execute("UPDATE backfills SET next_attempt_at = 0")
    while await w.run_once():
        pass
    state = await get_state(client.app[DB], group)
    assert state is not None and (state.state, state.imported, state.attempts) == ("done", 4, 0)

    network.statuses["/users/alice/outbox"] = 410
    await start(client, network.actor_iri("alice"))
    assert await w.run_once() == 1
    gone = await get_state(client.app[DB], network.actor_iri("alice"))
    assert gone is not None and gone.state == "failed"


async def test_known_and_deleted_objects_are_not_fetched_again(client: TestClient, network: OutboxPeer) -> None:
    pages = network.publish_outbox("reseau", seven_items(network), page_size=7)
    group = network.actor_iri("reseau")
    await start(client, group)
    w = worker(client)
    await w.run_once()
    async with client.app[DB].transaction() as tx:
        await tx.execute("UPDATE remote_content SET deleted_at = 'x' WHERE iri LIKE '%/p1'")
        await schedule(tx, group)  # a new follow starts it over
    network.requests.clear()
    await w.run_once()
    assert network.gets(pages[0]) == [pages[0]]
    assert [r for r in network.requests if r.startswith("/practices/p")] == []
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_content WHERE deleted_at IS NULL") == 3


async def test_the_accept_of_our_follow_starts_the_backfill(client: TestClient, network: OutboxPeer) -> None:
    items = [network.announce("reseau", network.article("alice", f"p{n}")["id"], n) for n in range(2)]
    network.publish_outbox("reseau", items, page_size=5)
    app = client.app
    group = await get_actor(app[DB], "reseau")
    assert group is not None
    result = await follow(app[DB], app[URLS], app[FETCHER], follower=group, target=network.handle("reseau"))
    accept = activity(network, "reseau", "Accept",
                      {"id": result.activity_iri, "type": "Follow", "actor": app[URLS].actor("reseau"),
                       "object": network.actor_iri("reseau")})
    assert await handled(client, network, "reseau", accept) == "done"
    state = await get_state(app[DB], network.actor_iri("reseau"))
    assert state is not None and state.state == "pending"
    assert await app[DB].fetch_value("SELECT next_refresh_at FROM peers WHERE host = ?", (network.host,)) == 0
    assert await app[BACKFILL].run_once() == 1
    assert await imported(client) == {"p0": "Practice p0", "p1": "Practice p1"}


async def test_cli_backfill(client: TestClient, network: OutboxPeer, node_config: Config,
                            capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    network.publish_outbox("reseau", seven_items(network), page_size=3)
    monkeypatch.setenv("MAILLAGE_BACKFILL_DELAY", "0")
    argv = ["backfill", "--data", str(node_config.data_dir), network.handle("reseau")]
    assert await asyncio.to_thread(main, argv) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"{network.actor_iri('reseau')} done: 4 imported, 7 seen, 3 pages"
    assert len(await imported(client)) == 4

    network.statuses["/users/alice/outbox"] = 503
    assert await asyncio.to_thread(main, ["backfill", "--data", str(node_config.data_dir),
                                          network.actor_iri("alice")]) == 1
    err = capsys.readouterr().err
    assert "503" in err and "`maillage serve` retries it" in err


async def test_a_start_catches_up_with_follows_and_raw_objects_from_before(client: TestClient,
                                                                           network: OutboxPeer) -> None:
    """A node upgraded to this version: its accepted follow is backfilled, and the peers' write-ups it
    kept raw only are read in full, from the worker's first pass."""
    items = [network.announce("reseau", network.article("alice", "p1")["id"], 1)]
    network.publish_outbox("reseau", items, page_size=5)
    old = network.article("alice", "old", title="Ancienne")
    app = client.app
    await follows_network(client, network)
    async with app[DB].transaction() as tx:
        await tx.execute("INSERT INTO remote_objects (iri, type, attributed_to, document, received_at)"
                         " VALUES (?, 'Article', ?, ?, '')", (old["id"], old["attributedTo"], json.dumps(old)))
    assert await app[BACKFILL].run_once() == 1
    assert await imported(client) == {"old": "Practice old", "p1": "Practice p1"}
    assert network.gets("/practices/old") == []


async def follows_network(client: TestClient, network: OutboxPeer, follower: str = "reseau") -> None:
    """One of our actors follows the peer's Group (accepted before this version), whose document is
    cached: the library lists its node's items (node/relevance.Followed)."""
    app = client.app
    async with app[DB].transaction() as tx:
        await tx.execute("INSERT INTO follows (follower_iri, followee_iri, activity_iri, state, created_at,"
                         " updated_at) VALUES (?, ?, 'x', 'accepted', '', '')",
                         (app[URLS].actor(follower), network.actor_iri("reseau")))
    await app[FETCHER].get_actor(network.actor_iri("reseau"))


def network_worker(client: TestClient) -> BackfillWorker:
    """The worker `maillage serve` starts (it sweeps: it knows our network's Group); a new one is a restart."""
    app = client.app
    return BackfillWorker(db=app[DB], fetcher=app[FETCHER], local_base=app[URLS].base,
                          settings=BackfillSettings(delay=0.0), group_iri=app[URLS].actor("reseau"))


async def keep_raw(client: TestClient, document: dict[str, Any], deleted: bool = False) -> None:
    """An object as a node kept it before `remote_content` existed: raw only."""
    async with client.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO remote_objects (iri, type, attributed_to, document, received_at, deleted_at)"
                         " VALUES (?, ?, ?, ?, '', ?)", (document["id"], document["type"], document["attributedTo"],
                                                         json.dumps(document), "x" if deleted else None))


async def test_the_sweep_of_raw_objects_reads_a_chunk_per_pass_and_runs_once(
        client: TestClient, network: OutboxPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Start-up does not read every stored object (3.5 s at a million): the worker's passes read
    SWEEP_CHUNK ids each, after the node started serving, until every object kept raw before the
    upgrade is read in full; the progress survives a restart, and a finished sweep does not run again."""
    monkeypatch.setattr(backfill, "SWEEP_CHUNK", 2)
    note = {"id": f"{network.base}/notes/1", "type": "Note", "attributedTo": network.actor_iri("alice"),
            "content": "<p>hello</p>"}
    await follows_network(client, network, "admin")  # not our Group's follow: no backfill to run
    for document in (network.article("alice", "r1"), note, network.article("alice", "r2"),
                     network.article("alice", "r3"), network.article("alice", "r4")):
        await keep_raw(client, document)
    await keep_raw(client, network.article("alice", "gone"), deleted=True)
    first = network_worker(client)
    assert await first.run_once() == 0
    assert await imported(client) == {"r1": "Practice r1"}  # ids 1 and 2: the article and the Note
    assert await client.app[DB].fetch_value("SELECT count(*) FROM search_entries WHERE local = 0") == 2  # fr, en
    restarted = network_worker(client)  # the progress was saved with what the pass stored
    await restarted.run_once()
    assert set(await imported(client)) == {"r1", "r2", "r3"}
    for _ in range(3):
        await restarted.run_once()
    assert set(await imported(client)) == {"r1", "r2", "r3", "r4"}  # the deleted one stays out
    saved = json.loads(await client.app[DB].fetch_value("SELECT value FROM node_settings WHERE key = ?",
                                                        (SWEEP_KEY,)))
    top = await client.app[DB].fetch_value("SELECT max(id) FROM remote_objects")
    assert saved == {"after": top, "until": top}
    # Since the upgrade every object arrives in both forms: one kept raw now is not the sweep's to read.
    await keep_raw(client, network.article("alice", "later"))
    again = network_worker(client)
    await again.run_once()
    assert "later" not in await imported(client) and again.raw_sweep == (top, top)
    assert network.gets("/practices/") == []  # all read from what was kept: nothing fetched


async def test_a_sweep_saves_its_progress_now_and_then_not_at_every_pass(
        client: TestClient, network: OutboxPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passes that find nothing to store commit nothing (a commit empties the response cache), but a
    restart still finds the progress of the last SWEEP_SAVE_EVERY passes, and the end."""
    monkeypatch.setattr(backfill, "SWEEP_CHUNK", 1)
    monkeypatch.setattr(backfill, "SWEEP_SAVE_EVERY", 3)
    for n in range(8):  # objects the sweep has nothing to do with
        await keep_raw(client, {"id": f"{network.base}/notes/{n}", "type": "Note",
                                "attributedTo": network.actor_iri("alice"), "content": "<p>hello</p>"})

    async def saved() -> dict[str, int]:
        return json.loads(await client.app[DB].fetch_value("SELECT value FROM node_settings WHERE key = ?",
                                                           (SWEEP_KEY,)))

    db = client.app[DB]
    w = network_worker(client)
    await w.run_once()  # the first id read
    top = await db.fetch_value("SELECT max(id) FROM remote_objects")
    assert await saved() == {"after": 0, "until": top}  # where the sweep starts and ends, saved at once
    version = db.data_version()
    await w.run_once()
    assert db.data_version() == version  # the second: nothing committed
    await w.run_once()
    assert db.data_version() != version and await saved() == {"after": 3, "until": top}  # the third
    for _ in range(5):
        await w.run_once()
    assert await saved() == {"after": top, "until": top}


def discussion(peer: OutboxPeer, **collection_fields: Any) -> tuple[dict[str, Any], str]:
    """A practice whose replies collection (two pages) lists: a reply, a reply to that reply, one gone
    since (404), a Note replying to nothing, and a reply by an author on another server. Returns the
    practice and its collection's IRI."""
    replies = f"{peer.base}/practices/debated/replies"
    practice = peer.article("alice", "debated", replies=replies)
    bob = peer.actor_iri("bob")

    def note(slug: str, in_reply_to: str | None, author: str = bob) -> str:
        peer.documents[f"/notes/{slug}"] = {"@context": AS_CONTEXT, "id": f"{peer.base}/notes/{slug}", "type": "Note",
                                           "attributedTo": author, "inReplyTo": in_reply_to, "to": [PUBLIC],
                                           "content": f"<p>{slug}</p>", "published": "2027-01-11T09:00:00Z"}
        return f"{peer.base}/notes/{slug}"

    first, second = note("first", practice["id"]), note("second", f"{peer.base}/notes/first")
    stray, foreign = note("stray", None), note("foreign", practice["id"], "https://elsewhere.example/users/eve")
    peer.statuses["/notes/gone"] = 404
    pages = [f"{replies}/page/1", f"{replies}/page/2"]
    peer.documents["/practices/debated/replies"] = {
        "@context": AS_CONTEXT, "id": replies, "type": "OrderedCollection", "totalItems": 5, "first": pages[0],
        **collection_fields}
    peer.documents["/practices/debated/replies/page/1"] = {
        "@context": AS_CONTEXT, "id": pages[0], "type": "OrderedCollectionPage", "partOf": replies,
        "orderedItems": [first, f"{peer.base}/notes/gone", stray], "next": pages[1]}
    peer.documents["/practices/debated/replies/page/2"] = {
        "@context": AS_CONTEXT, "id": pages[1], "type": "OrderedCollectionPage", "partOf": replies,
        "orderedItems": [{"id": second, "type": "Note"}, foreign]}
    return practice, replies


async def comments_kept(client: TestClient) -> list[tuple[str, str, str, str]]:
    rows = await client.app[DB].fetch_all(
        "SELECT c.iri, c.root_iri, c.in_reply_to, c.state FROM comments c"
        " JOIN remote_objects o ON o.iri = c.iri")
    return sorted(tuple(r[k].rsplit("/", 1)[-1] for k in ("iri", "root_iri", "in_reply_to", "state")) for r in rows)


async def backfill_discussion(client: TestClient, network: OutboxPeer, practice: dict[str, Any],
                              other: OutboxPeer, mode: str) -> None:
    """Backfill the network's outbox (the practice alone) to its end with our comment mode `mode`, then
    stop `other`, the server some replies come from."""
    network.publish_outbox("reseau", [network.create("alice", practice, 1)], page_size=3)
    await social.sync_comment_mode(client.app[DB], mode)
    await start(client, network.actor_iri("reseau"))
    w = worker(client)
    try:
        while await w.run_once():
            pass
    finally:
        assert other.server is not None
        await other.server.close()


async def test_the_replies_an_items_origin_lists_come_with_it_as_approved_comments(
        client: TestClient, network: OutboxPeer) -> None:
    practice, _ = discussion(network)
    other = await start_outbox_peer("eve")  # a reply from another server, such as a Mastodon user's
    visitor = f"{other.base}/notes/visit"
    other.documents["/notes/visit"] = {"@context": AS_CONTEXT, "id": visitor, "type": "Note", "to": [PUBLIC],
                                       "attributedTo": other.actor_iri("eve"), "inReplyTo": practice["id"],
                                       "content": "<p>Merci !</p>"}
    network.documents["/practices/debated/replies/page/2"]["orderedItems"].append(visitor)
    await backfill_discussion(client, network, practice, other, "held")  # ours would hold the visitor's
    # Listed by the item's origin: approved there, as an Announce by it would say; the nested one too.
    assert await comments_kept(client) == [("first", "debated", "debated", "approved"),
                                           ("second", "debated", "first", "approved"),
                                           ("visit", "debated", "debated", "approved")]
    assert network.gets("/notes/gone") == ["/notes/gone"]  # skipped, the rest imported all the same
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_objects WHERE iri LIKE '%/notes/%'") == 3


def mastodon_thread(network: OutboxPeer, other: OutboxPeer, practice: dict[str, Any]) -> None:
    """On `other` (a Mastodon server, say): eve's reply to the practice, listed by the practice's origin,
    and under it, in eve's own replies collection only (Mastodon's shape: an embedded empty first page,
    then `next`), zoe's answer to eve and, deeper, eve's answer to zoe: replies the practice's origin
    never received."""
    def note(slug: str, author: str, in_reply_to: str, listed: list[str]) -> str:
        iri = f"{other.base}/notes/{slug}"
        other.documents[f"/notes/{slug}/replies/page"] = {
            "@context": AS_CONTEXT, "id": f"{iri}/replies/page", "type": "CollectionPage", "items": listed,
            "partOf": f"{iri}/replies"}
        other.documents[f"/notes/{slug}"] = {
            "@context": AS_CONTEXT, "id": iri, "type": "Note", "to": [PUBLIC], "attributedTo": other.actor_iri(author),
            "inReplyTo": in_reply_to, "content": f"<p>{slug}</p>",
            "replies": {"id": f"{iri}/replies", "type": "Collection", "first": {
                "type": "CollectionPage", "partOf": f"{iri}/replies", "items": [], "next": f"{iri}/replies/page"}}}
        return iri

    deeper = note("deeper", "eve", f"{other.base}/notes/answer", [])
    answer = note("answer", "zoe", f"{other.base}/notes/visit", [deeper])
    visit = note("visit", "eve", practice["id"], [answer])
    network.documents["/practices/debated/replies/page/2"]["orderedItems"].append(visit)


@pytest.mark.parametrize(("mode", "depth", "under_visit"), [
    ("open", 3, [("answer", "debated", "visit", "approved"), ("deeper", "debated", "answer", "approved")]),
    ("open", 2, [("answer", "debated", "visit", "approved")]),  # deeper is not even fetched
    # Listed by eve's server, not by the practice's origin: no vouch, so held by our mode; and a reply to
    # a held comment waits with it, as in the inbox.
    ("held", 3, [("answer", "debated", "visit", "held"), ("deeper", "debated", "answer", "held")]),
])
async def test_replies_listed_by_a_reply_come_too_by_our_mode_and_as_deep_as_the_bound(
        client: TestClient, network: OutboxPeer, monkeypatch: pytest.MonkeyPatch, mode: str, depth: int,
        under_visit: list[tuple[str, ...]]) -> None:
    monkeypatch.setattr(backfill, "MAX_REPLY_DEPTH", depth)
    practice, _ = discussion(network)
    other = await start_outbox_peer("eve", "zoe")
    mastodon_thread(network, other, practice)
    await backfill_discussion(client, network, practice, other, mode)
    assert await comments_kept(client) == sorted([("first", "debated", "debated", "approved"),
                                                  ("second", "debated", "first", "approved"),
                                                  ("visit", "debated", "debated", "approved"), *under_visit])
    assert other.gets("/notes/deeper") == (["/notes/deeper"] if depth == 3 else [])


async def test_replies_are_bounded_and_listed_on_the_items_server_only(
        client: TestClient, network: OutboxPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backfill, "MAX_REPLIES", 1)
    practice, _ = discussion(network)
    elsewhere = network.article("alice", "elsewhere", replies="https://elsewhere.example/replies")
    network.publish_outbox("reseau", [network.create("alice", practice, 1), network.create("alice", elsewhere, 2)],
                           page_size=3)
    await start(client, network.actor_iri("reseau"))
    w = worker(client)
    while await w.run_once():
        pass
    assert await comments_kept(client) == [("first", "debated", "debated", "approved")]
    assert network.gets("/practices/debated/replies/page/2") == []  # the bound was reached on page 1
    assert set(await imported(client)) == {"debated", "elsewhere"}


async def test_mastodons_embedded_replies_collection_is_followed_to_its_next_page(
        client: TestClient, network: OutboxPeer) -> None:
    """Mastodon embeds the collection and its first page (often empty: its author's own replies only),
    whose `next` lists the others."""
    practice, replies = discussion(network)
    practice["replies"] = {"id": replies, "type": "Collection", "first": {
        "type": "CollectionPage", "partOf": replies, "items": [], "next": f"{replies}/page/2"}}
    network.documents["/practices/debated/replies/page/2"]["orderedItems"].insert(0, f"{network.base}/notes/first")
    network.publish_outbox("reseau", [network.create("alice", practice, 1)], page_size=3)
    await start(client, network.actor_iri("reseau"))
    w = worker(client)
    while await w.run_once():
        pass
    assert network.gets("/practices/debated/replies") == ["/practices/debated/replies/page/2"]
    assert await comments_kept(client) == [("first", "debated", "debated", "approved"),
                                           ("second", "debated", "first", "approved")]
