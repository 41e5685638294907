"""What servers other than ours make of what the node publishes (issue 20, "Seen from Mastodon"), each
rule taken from the other server's own code: Takahē's HTML cleaning, Mastodon's WebFinger and outbox
habits, microblog.pub's first import."""

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from node.app import create_app
from node.appkeys import DB, DELIVERY, FETCHER, URLS
from node.backfill import BackfillSettings, BackfillWorker, get_state, schedule
from node.content import find_object_by_iri
from node.follows import upsert_follow
from node.publishing import republish
from node.render import markdown_to_html
from tests.node.conftest import copy_node
from tests.protocol.test_mastodon_rules import mastodon_language
from tests.support.desk import ORGANIZER, add_organizer
from tests.support.examples import get_page, publish_examples
from tests.support.journeys import publish_journey
from tests.support.node import AS_CONTEXT, PUBLIC, activity, follows_peer, get_as2, handled, publish_practice
from tests.support.outbox import start_outbox_peer
from tests.support.peer import AS2, Peer


def takahe_text(html: str) -> str:
    """The words a Takahē reader gets: Takahē's core/html.py feeds `html.replace("\\n", "")` to its
    parser, so a newline separates nothing; tags are then read as boundaries of blocks."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.replace("\n", "")).split())


def test_soft_line_breaks_stay_spaces_once_newlines_are_deleted() -> None:
    html = markdown_to_html("Des paysans réunis\npar la coopérative\n\n- semis\n  et récoltes\n\nfin  \nligne")
    assert takahe_text(html) == "Des paysans réunis par la coopérative semis et récoltes fin ligne"
    assert "<br>" in html  # a hard break (two spaces) is still a line break


@pytest.mark.parametrize("resource", ["mailto:reseau@node.test", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
                                      "ftp://node.test/users/reseau", "xmpp:reseau@node.test"])
async def test_webfinger_a_uri_of_another_scheme_is_unknown_not_malformed(client: TestClient, resource: str) -> None:
    """RFC 7033 4.2: a resource the server holds no information about is 404; 400 is for a request that
    is not a query at all. Mastodon answers 404 too (its WebfingerResource reads `mailto:reseau` as a
    user name, which it does not find)."""
    resp = await client.get("/.well-known/webfinger", params={"resource": resource})
    assert (resp.status, await resp.json()) == (404, {"error": "no such account here"})


async def test_webfinger_a_bare_handle_is_read_as_acct(client: TestClient) -> None:
    """`resource=reseau@node.test`, without `acct:`, as Mastodon accepts it (FEDERATION.md says so)."""
    resp = await client.get("/.well-known/webfinger", params={"resource": "reseau@node.test"})
    assert resp.status == 200
    assert (await resp.json(content_type=None))["subject"] == "acct:reseau@node.test"


def empty_arrays(doc: Any, path: str = "") -> list[str]:
    """Where a document holds `[]`: AS2 core 2.2 has no empty values, a property is absent instead."""
    if isinstance(doc, list):
        return [path or "/"] if not doc else [p for i, v in enumerate(doc) for p in empty_arrays(v, f"{path}/{i}")]
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in empty_arrays(v, f"{path}/{k}")]
    return []


async def test_documents_carry_no_empty_array(client: TestClient) -> None:
    """Actors without profile fields, an item without themes, empty collection pages (the outbox of an
    actor who published nothing, followers, replies): no `"attachment": []`, `"tag": []`, `"orderedItems": []`."""
    await publish_practice(client.app, "sans-theme", themes="[]")
    paths = ["/users/reseau", "/users/admin", "/actor", "/practices/sans-theme",
             "/users/reseau/outbox?page=true&max_id=1", "/actor/outbox?page=true", "/users/admin/followers?page=true",
             "/users/reseau/following?page=true", "/practices/sans-theme/replies?page=true"]
    found = {}
    for path in paths:
        resp = await client.get(path, headers={"Accept": AS2})
        assert resp.status == 200, (path, await resp.text())
        found[path] = empty_arrays(await resp.json(content_type=None))
    assert found == {path: [] for path in paths}


async def test_a_french_original_with_an_english_translation_arrives_french(client: TestClient) -> None:
    """Each example is published in French, then translated into English: Mastodon labels it French
    (tests/protocol/test_mastodon_rules.py has the rule, from Mastodon's status parser)."""
    found = await publish_examples(client.app)
    for kind in ("practice", "journey", "outcome"):
        doc = await (await get_as2(client, found[(kind, "fr")].iri)).json(content_type=None)
        assert mastodon_language(doc) == "fr", kind
        assert [list(doc[f"{term}Map"]) for term in ("content", "name", "summary")] == [["fr", "en"]] * 3, kind
        assert doc["name"] == found[(kind, "fr")].meta["title"]


@pytest.mark.parametrize("manual", [True, False])
async def test_manual_approval_in_the_config_file_shows_in_actor_documents_from_the_start(
        node_template: dict[bool, Path], tmp_path: Path, peer: Peer, manual: bool) -> None:
    """`manual_approval` changed in maillage.toml while the node was stopped: follows are decided by the
    file's value, and from the next start the Group's and the organizers' documents say so (before,
    only saving the admin settings form changed them), and the Group's followers get an Update."""
    before = copy_node(node_template[not manual], tmp_path / "node")
    config = dataclasses.replace(before, manual_approval=manual)  # the file edited while the node is stopped
    async with TestClient(TestServer(create_app(before, workers=False))) as client:
        await add_organizer(client)
        urls = client.app[URLS]
        await client.app[FETCHER].get_actor(peer.actor_iri("alice"))  # where the Update goes
        async with client.app[DB].transaction() as tx:
            await upsert_follow(tx, follower_iri=peer.actor_iri("alice"), followee_iri=urls.actor("reseau"),
                                activity_iri=f"{peer.base}/follows/1", state="accepted")
    async with TestClient(TestServer(create_app(config, workers=False))) as client:  # the next start
        for name in ("reseau", "admin", ORGANIZER):
            doc = await (await get_as2(client, client.app[URLS].actor(name))).json(content_type=None)
            assert doc["manuallyApprovesFollowers"] is manual, name
        await client.app[DELIVERY].run_once()
        [update] = [r.json for r in peer.inbox if r.json["type"] == "Update"]
        assert update["object"]["id"] == client.app[URLS].actor("reseau")
        assert update["object"]["manuallyApprovesFollowers"] is manual
    async with TestClient(TestServer(create_app(config, workers=False))) as client:  # nothing changed since
        await client.app[DELIVERY].run_once()
        assert len([r for r in peer.inbox if r.json["type"] == "Update"]) == 1


async def test_rsvp_poll_speaks_every_language_of_the_interface(client: TestClient) -> None:
    """The journey is French with an English translation: its poll asks in both, French first, and
    names each option in French, English, Spanish and Portuguese (the interface's languages)."""
    found = await publish_examples(client.app)
    journey = found[("journey", "fr")]
    doc = await (await get_as2(client, f"{journey.iri}/rsvp")).json(content_type=None)
    assert mastodon_language(doc) == "fr"
    assert list(doc["contentMap"]) == ["fr", "en"]
    assert found[("journey", "en")].meta["title"] in doc["contentMap"]["en"]
    assert [option["nameMap"] for option in doc["oneOf"]] == [
        {"fr": "Je viens", "en": "Going", "es": "Voy", "pt": "Vou"},
        {"fr": "Peut-être", "en": "Maybe", "es": "Quizás", "pt": "Talvez"},
        {"fr": "Je ne viens pas", "en": "Not going", "es": "No voy", "pt": "Não vou"}]


async def test_backfill_reads_a_takahe_outbox(client: TestClient) -> None:
    """Takahē's outbox (users/views/activitypub.py, `Outbox`): an OrderedCollection with no `id`, its
    last posts inline as bare objects, not activities. The backfill read it as a failure and retried;
    now the collection is the URL fetched, and a bare practice is imported (a Note is no content of
    ours: skipped without a fetch). A bare object listed by IRI is fetched once."""
    takahe = await start_outbox_peer("tak")
    try:
        inline = takahe.article("tak", "jardin")
        by_iri = takahe.article("tak", "verger")
        note = {"id": f"{takahe.base}/@tak/posts/1/", "type": "Note", "attributedTo": takahe.actor_iri("tak"),
                "content": "<p>Bonjour</p>", "to": [PUBLIC]}
        takahe.documents["/users/tak/outbox"] = {
            "@context": [AS_CONTEXT, "https://w3id.org/security/v1"], "type": "OrderedCollection", "totalItems": 3,
            "orderedItems": [note, {k: v for k, v in inline.items() if k != "@context"}, by_iri["id"]]}
        actor = takahe.actor_iri("tak")
        async with client.app[DB].transaction() as tx:
            await schedule(tx, actor)
        app = client.app
        worker = BackfillWorker(db=app[DB], fetcher=app[FETCHER], local_base=app[URLS].base,
                                settings=BackfillSettings(delay=0.0))
        assert await worker.run_once() == 1
        state = await get_state(app[DB], actor)
        assert state is not None and (state.state, state.pages, state.seen, state.imported, state.error) == (
            "done", 1, 3, 2, None)
        assert takahe.gets("/practices/jardin") == ["/practices/jardin"]  # from its origin, not the inline copy
        assert takahe.gets("/practices/verger") == ["/practices/verger"]
        assert takahe.gets("/@tak/") == []
    finally:
        assert takahe.server is not None
        await takahe.server.close()


async def test_themes_federate_as_camel_case_and_every_spelling_finds_them(client: TestClient, peer: Peer) -> None:
    """Our `food-sovereignty` goes out as `#FoodSovereignty` (Hashtag and teaser; Mastodon's rules are in
    tests/protocol/test_mastodon_rules.py); the tag page answers the three spellings; a peer Maillage
    node's `#FoodSovereignty`, and a `#foodsovereignty`, land under the same theme in the library, its
    filter list and search."""
    await publish_practice(client.app, "semences", title="Semences paysannes", themes="[food-sovereignty, ess]")
    doc = await (await get_as2(client, "http://node.test/practices/semences")).json(content_type=None)
    assert doc["tag"] == [{"type": "Hashtag", "name": "#ess", "href": "http://node.test/tags/ess"},
                          {"type": "Hashtag", "name": "#FoodSovereignty", "href": "http://node.test/tags/FoodSovereignty"}]
    assert "#ess #FoodSovereignty" in doc["summary"] and "#food-" not in doc["summary"]
    for spelling in ("food-sovereignty", "foodsovereignty", "FoodSovereignty"):
        page = await get_page(client, f"/tags/{spelling}")
        assert "Semences paysannes" in page and "<h1>#food-sovereignty</h1>" in page, spelling
    await follows_peer(client.app, peer)
    # A peer Maillage node's item, and one tagged as Mastodon stores a tag (lowercased, no word marks).
    for slug, title, hashtag in (("huertas", "Huertas comunitarias", "FoodSovereignty"),
                                 ("mercados", "Mercados campesinos", "foodsovereignty")):
        iri = f"{peer.base}/practices/{slug}"
        article = {"id": iri, "type": "Article", "attributedTo": peer.actor_iri("alice"), "url": iri,
                   "name": title, "summary": f"#{hashtag} — Barrios.", "content": "<p>Semences y barrios.</p>",
                   "published": "2027-03-01T10:00:00Z", "to": [PUBLIC], "inLanguage": "es",
                   "tag": [{"type": "Hashtag", "name": f"#{hashtag}", "href": f"{peer.base}/tags/{hashtag}"}]}
        assert await handled(client, peer, "alice", activity(peer, "alice", "Create", article)) == "done"
    titles = ("Semences paysannes", "Huertas comunitarias", "Mercados campesinos")
    for spelling in ("food-sovereignty", "FoodSovereignty", "foodsovereignty"):
        library = await get_page(client, f"/practices?theme={spelling}")
        assert all(title in library for title in titles), spelling
        assert '<option value="food-sovereignty" selected>' in library, spelling
        assert library.count('<option value="food') == 1  # one theme, offered once
        found = await get_page(client, f"/search?q=semences&theme={spelling}")
        assert all(title in found for title in titles), spelling
    assert "Huertas comunitarias" not in await get_page(client, "/search?q=semences&theme=ess")


async def microblog_pub_first_import(client: TestClient, actor_iri: str) -> list[dict[str, Any]]:
    """What microblog.pub shows of an actor it just followed (app/boxes.py, `_prefetch_actor_outbox`, with
    app/activitypub.py `parse_collection(outbox, limit=20)`): the outbox's items, page after page until
    20; each of the first 20 fetched by its id; the object of each `Create` kept, 5 at most."""
    async def get(iri: str) -> dict[str, Any]:
        resp = await get_as2(client, iri)
        assert resp.status == 200, iri
        doc: dict[str, Any] = await resp.json(content_type=None)
        return doc

    actor = await get(actor_iri)
    head = await get(actor["outbox"])
    items: list[Any] = list(head.get("orderedItems", head.get("items", [])))
    page: dict[str, Any] | None = await get(head["first"]) if not items and isinstance(head.get("first"), str) else None
    while page is not None:
        items += page.get("orderedItems", []) + page.get("items", [])
        page = await get(page["next"]) if page.get("next") and len(items) < 20 else None
    saved: list[dict[str, Any]] = []
    for item in items[:20]:
        fetched = await get(item["id"] if isinstance(item, dict) else item)
        kind = fetched["type"]
        if (kind[0] if isinstance(kind, list) else kind) == "Create":
            obj = fetched["object"]
            saved.append(obj if isinstance(obj, dict) else await get(obj))
        if len(saved) >= 5:
            break
    return saved


async def test_a_newly_following_server_first_sees_the_networks_items(client: TestClient) -> None:
    """Following the network, microblog.pub imported nothing of what it published: its outbox listed the
    Group's Announces of the items (microblog.pub takes Creates only) and, after a few participations,
    only Updates of the journey's poll on the first page. Now an outbox lists posts (Creates and
    Announces, as Mastodon's does) and the network's the Creates of its items."""
    practices = [await publish_practice(client.app, f"pratique-{n}", title=f"Pratique {n}") for n in range(3)]
    journey = await publish_journey(client.app, "voyage")
    stored = await find_object_by_iri(client.app[DB], journey)
    assert stored is not None
    for _ in range(25):  # each change of its counts sends an Update of the Event and of its poll
        await republish(client.app[DB], client.app[URLS], network="reseau", obj=stored)
    saved = await microblog_pub_first_import(client, client.app[URLS].actor("reseau"))
    assert [o["id"] for o in saved] == [f"{journey}/rsvp", journey, *(p.iri for p in reversed(practices))]
    assert [o["type"] for o in saved] == ["Question", "Event", "Article", "Article", "Article"]
    kinds = [i["type"] for i in (await (await get_as2(client, f"{client.app[URLS].actor('reseau')}/outbox?page=true"))
                                 .json(content_type=None))["orderedItems"]]
    assert kinds == ["Create"] * 5  # no Update, no Announce of our own items
