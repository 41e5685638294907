"""Admin pages over HTTP: only admins (organizers get 403, anonymous visitors the login page), every
form's success and refusals (CSRF, validation, nothing stored), follow requests answered with the
inbox's own Accept/Reject, peers, moderation, reports received as Flag, domain blocks, the delivery
queue, and node settings that apply at once and reach followers as an Update."""

import json

import pytest
from aiohttp.test_utils import TestClient

from node.accounts import get_login
from node.appkeys import DB, INBOX_WORKER, URLS
from tests.support.dbstate import row_counts
from tests.support.desk import field_error, form_error, login, post_form
from tests.support.node import activity, post_signed, process
from tests.support.peer import Peer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ADMIN_PAGES = ["/admin", "/admin/users", "/admin/settings", "/admin/domains", "/admin/deliveries", "/admin/network",
               "/admin/moderation"]
ADMIN_FORMS = [("/admin/users", {"username": "x", "password": "long enough", "role": "organizer"}),
               ("/admin/users/role", {"username": "admin", "role": "organizer"}),
               ("/admin/users/password", {"username": "admin"}),
               ("/admin/users/suspension", {"username": "admin", "action": "suspend"}),
               ("/admin/settings", {"title": "x", "languages": "fr", "comments": "open"}),
               ("/admin/domains", {"host": "spam.example"}),
               ("/admin/follow-requests", {"follower": "x", "followee": "y", "decision": "approve"}),
               ("/admin/peers", {"handle": "@a@b.example"}),
               ("/admin/comments", {"iri": "x", "decision": "approve"}),
               ("/admin/reports", {"report": "1", "decision": "resolved"}),
               ("/admin/accounts", {"account": "https://spam.example/users/bot", "action": "block"})]


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_admin_pages_are_for_admins_only(client: TestClient, path: str) -> None:
    resp = await client.get(path, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_organizers_get_403(organizer_client: TestClient, path: str) -> None:
    assert (await organizer_client.get(path, allow_redirects=False)).status == 403


async def test_admin_forms_refuse_organizers_and_missing_tokens(client: TestClient) -> None:
    from tests.support.desk import ORGANIZER, ORGANIZER_PASSWORD, add_organizer
    await add_organizer(client)
    await login(client, ORGANIZER, ORGANIZER_PASSWORD)
    before = await row_counts(client.app[DB])
    for path, data in ADMIN_FORMS:
        assert (await post_form(client, path, data, token_from="/desk")).status == 403, path
    await post_form(client, "/logout", {}, token_from="/desk")
    await login(client)
    for path, data in ADMIN_FORMS:
        assert (await post_form(client, path, data, token=None)).status == 403, path
        assert (await post_form(client, path, data, token="forged")).status == 403, path
    assert await row_counts(client.app[DB]) == before


async def test_add_an_organizer_and_change_roles(admin_client: TestClient) -> None:
    client = admin_client
    before = await row_counts(client.app[DB])
    for data, field in (({"username": "", "password": "long enough", "role": "organizer"}, "username"),
                        ({"username": "bad name!", "password": "long enough", "role": "organizer"}, "username"),
                        ({"username": "admin", "password": "long enough", "role": "organizer"}, "username"),
                        ({"username": "olga", "password": "short", "role": "organizer"}, "password"),
                        ({"username": "olga", "password": "long enough", "role": "king"}, "role")):
        resp = await post_form(client, "/admin/users", data)
        assert resp.status == 400 and field_error(await resp.text(), field), data
        assert "long enough" not in await resp.text()  # a password is never sent back
    assert await row_counts(client.app[DB]) == before
    resp = await post_form(client, "/admin/users", {"username": "olga", "display_name": "Olga", "password":
                                                    "long enough", "role": "organizer"})
    assert resp.status == 303
    assert (await get_login(client.app[DB], "olga")).role == "organizer"  # type: ignore[union-attr]
    assert (await post_form(client, "/admin/users/role", {"username": "olga", "role": "admin"},
                            token_from="/admin/users")).status == 303
    assert (await get_login(client.app[DB], "olga")).role == "admin"  # type: ignore[union-attr]
    mine = await post_form(client, "/admin/users/role", {"username": "admin", "role": "organizer"},
                           token_from="/admin/users")
    assert mine.status == 400 and "your own admin role" in (form_error(await mine.text()) or "")
    nobody = await post_form(client, "/admin/users/role", {"username": "nobody", "role": "admin"},
                             token_from="/admin/users")
    assert nobody.status == 400


async def test_approve_and_reject_follow_requests(manual_client: TestClient, peer: Peer, bob: str) -> None:
    client = manual_client
    await login(client)
    group = client.app[URLS].actor("reseau")
    for name in ("alice", "bob"):
        await post_signed(client, peer, name, "/inbox", activity(peer, name, "Follow", group))
    await process(client.app)
    page = await (await client.get("/admin/network")).text()
    assert peer.actor_iri("alice") in page and peer.actor_iri("bob") in page
    assert '<span class="badge">2 waiting</span>' in page  # the menu's Admin link says so on every page
    for name, decision in (("alice", "approve"), ("bob", "reject")):
        resp = await post_form(client, "/admin/follow-requests", {"follower": peer.actor_iri(name), "followee": group,
                                                                  "decision": decision}, token_from="/admin/network")
        assert resp.status == 303
    await process(client.app)
    rows = await client.app[DB].fetch_all("SELECT follower_iri, state FROM follows")
    assert [tuple(r) for r in rows] == [(peer.actor_iri("alice"), "accepted")]
    assert "waiting</span>" not in await (await client.get("/desk")).text()
    answers = sorted(r.json["type"] for r in peer.inbox)
    assert answers == ["Accept", "Reject"]
    again = await post_form(client, "/admin/follow-requests", {"follower": peer.actor_iri("bob"), "followee": group,
                                                               "decision": "approve"}, token_from="/admin/network")
    assert again.status == 400


async def test_follow_and_unfollow_a_peer(admin_client: TestClient, peer: Peer) -> None:
    client = admin_client
    empty = await post_form(client, "/admin/peers", {"handle": ""}, token_from="/admin/network")
    assert empty.status == 400 and field_error(await empty.text(), "handle")
    resp = await post_form(client, "/admin/peers", {"handle": peer.actor_iri("alice"), "action": "follow"},
                           token_from="/admin/network")
    assert resp.status == 303
    assert await client.app[DB].fetch_value("SELECT state FROM follows WHERE followee_iri = ?",
                                            (peer.actor_iri("alice"),)) == "pending"
    resp = await post_form(client, "/admin/peers", {"handle": peer.actor_iri("alice"), "action": "unfollow",
                                                    "confirm": "yes"}, token_from="/admin/network")
    assert resp.status == 303
    assert await client.app[DB].fetch_value("SELECT count(*) FROM follows") == 0


async def test_reports_arrive_as_flag_and_are_handled(admin_client: TestClient, peer: Peer) -> None:
    client = admin_client
    target = client.app[URLS].actor("admin")
    flag = activity(peer, "alice", "Flag", [target, f"{client.app[URLS].base}/practices/x"], content="Spam")
    assert (await post_signed(client, peer, "alice", "/inbox", flag)).status == 202
    elsewhere = activity(peer, "alice", "Flag", ["https://other.example/users/z"], content="Not ours")
    await post_signed(client, peer, "alice", "/inbox", elsewhere)
    await process(client.app)
    rows = await client.app[DB].fetch_all("SELECT reporter_iri, targets, content, state FROM reports")
    assert len(rows) == 1 and rows[0]["content"] == "Spam" and json.loads(rows[0]["targets"])[0] == target
    assert "Spam" in await (await client.get("/admin/moderation")).text()
    report_id = await client.app[DB].fetch_value("SELECT id FROM reports")
    resp = await post_form(client, "/admin/reports", {"report": report_id, "decision": "resolved"},
                           token_from="/admin/moderation")
    assert resp.status == 303
    assert await client.app[DB].fetch_value("SELECT state FROM reports") == "resolved"
    again = await post_form(client, "/admin/reports", {"report": report_id, "decision": "dismissed"},
                            token_from="/admin/moderation")
    assert again.status == 400


async def test_held_comments_are_approved_or_rejected(admin_client: TestClient) -> None:
    client = admin_client
    db = client.app[DB]
    async with db.transaction() as tx:
        await tx.execute_many(
            "INSERT INTO comments (iri, root_iri, in_reply_to, author_iri, state, created_at)"
            " VALUES (?, 'http://node.test/practices/x', 'http://node.test/practices/x', 'https://a.example/u', 'held',"
            " '2027-01-01')", [("https://a.example/n/1",), ("https://a.example/n/2",)])
    for iri, decision in (("https://a.example/n/1", "approve"), ("https://a.example/n/2", "reject")):
        resp = await post_form(client, "/admin/comments", {"iri": iri, "decision": decision},
                               token_from="/admin/moderation")
        assert resp.status == 303
    assert dict(await db.fetch_all("SELECT iri, state FROM comments ORDER BY iri")) == {
        "https://a.example/n/1": "approved", "https://a.example/n/2": "rejected"}
    bad = await post_form(client, "/admin/comments", {"iri": "https://a.example/n/1", "decision": "approve"},
                          token_from="/admin/moderation")
    assert bad.status == 400


async def test_domain_blocks(admin_client: TestClient) -> None:
    client = admin_client
    for host in ("", "not a domain", "node.test"):
        resp = await post_form(client, "/admin/domains", {"host": host})
        assert resp.status == 400 and field_error(await resp.text(), "host"), host
    assert (await post_form(client, "/admin/domains", {"host": "https://Spam.Example/path"})).status == 303
    assert await client.app[DB].fetch_value("SELECT blocked FROM domains WHERE host = 'spam.example'") == 1
    assert "spam.example" in await (await client.get("/admin/domains")).text()
    resp = await post_form(client, "/admin/domains", {"host": "spam.example", "action": "unblock"})
    assert resp.status == 303
    assert await client.app[DB].fetch_value("SELECT blocked FROM domains WHERE host = 'spam.example'") == 0


async def test_delivery_queue_overview(admin_client: TestClient) -> None:
    client = admin_client
    db = client.app[DB]
    async with db.transaction() as tx:
        actor_id = await tx.fetch_value("SELECT id FROM actors WHERE username = 'admin'")
        activity_id = await tx.execute(
            "INSERT INTO activities (iri, type, actor_id, public, document, created_at)"
            " VALUES ('http://node.test/activities/1', 'Create', ?, 1, '{}', '2027-01-01')", (actor_id,))
        await tx.execute("INSERT INTO deliveries (activity_id, inbox, host, state, attempts, next_attempt_at,"
                         " last_error, created_at, updated_at) VALUES (?, 'https://gone.example/inbox', 'gone.example',"
                         " 'failed', 8, 0, 'HTTP 410', '2027-01-01', '2027-01-01')", (activity_id,))
    html = await (await client.get("/admin/deliveries")).text()
    assert "gone.example" in html and "HTTP 410" in html


async def test_settings_apply_at_once_and_update_the_group(admin_client: TestClient, peer: Peer) -> None:
    client = admin_client
    db, urls = client.app[DB], client.app[URLS]
    group = urls.actor("reseau")
    await post_signed(client, peer, "alice", "/inbox", activity(peer, "alice", "Follow", group))
    await process(client.app)
    peer.inbox.clear()
    before = await row_counts(db)
    for change, field in (({"title": ""}, "title"), ({"languages": "fr, <b>"}, "languages"),
                          ({"comments": "maybe"}, "comments")):
        data = {"title": "Réseau", "languages": "fr, en", "comments": "open", **change}
        resp = await post_form(client, "/admin/settings", data)
        assert resp.status == 400 and field_error(await resp.text(), field), change
    bad_avatar = await post_form(client, "/admin/settings", {"title": "Réseau", "languages": "fr", "comments": "open"},
                                 files={"avatar": ("x.svg", b"<svg/>", "image/svg+xml")})
    assert bad_avatar.status == 400 and field_error(await bad_avatar.text(), "avatar")
    assert await row_counts(db) == before
    data = {"title": "Réseau Drôme", "summary": "Les **coopératives** de la vallée.", "charter": "Nos règles.",
            "languages": "fr, es", "manual_approval": "on", "comments": "held"}
    resp = await post_form(client, "/admin/settings", data, files={"avatar": ("logo.png", PNG, "image/png")})
    assert resp.status == 303, await resp.text()
    doc = await (await client.get("/users/reseau", headers={"Accept": "application/activity+json"})).json()
    assert doc["name"] == "Réseau Drôme" and "<strong>coopératives</strong>" in doc["summary"]
    assert doc["manuallyApprovesFollowers"] is True and doc["icon"]["url"].startswith("http://node.test/media/")
    assert "Réseau Drôme" in await (await client.get("/")).text()
    assert "Español" in await (await client.get("/admin/settings")).text()
    assert client.app[INBOX_WORKER].ctx.manual_approval is True
    assert await db.fetch_value("SELECT value FROM node_settings WHERE key = 'comments'") == "held"
    await process(client.app)
    updates = [r.json for r in peer.inbox if r.json["type"] == "Update"]
    assert len(updates) == 1 and updates[0]["object"]["name"] == "Réseau Drôme"
