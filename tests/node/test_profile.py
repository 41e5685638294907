"""An organizer's own profile (/account/profile): name, bio and avatar, as Mastodon shows them. Saved
at once into the actor document and its public page, sent to followers as one Update; a refused form
stores nothing, writes no file and sends nothing."""

from aiohttp.test_utils import TestClient

from node.appkeys import CONFIG, DB
from node.media import media_dir
from tests.support.dbstate import row_counts
from tests.support.desk import ORGANIZER, field_error, post_form
from tests.support.node import activity, post_signed, process
from tests.support.peer import Peer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
AS2 = {"Accept": "application/activity+json"}


async def test_the_profile_page_needs_a_login(client: TestClient) -> None:
    resp = await client.get("/account/profile", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/login?next=/account/profile"
    before = await row_counts(client.app[DB])
    resp = await post_form(client, "/account/profile", {"name": "Intrus"}, token_from="/login")  # a valid token
    assert resp.status == 302 and resp.headers["Location"].startswith("/login?next=")
    assert await row_counts(client.app[DB]) == before


async def test_an_organizer_edits_their_profile_and_followers_get_an_update(organizer_client: TestClient,
                                                                            peer: Peer) -> None:
    client = organizer_client
    db = client.app[DB]
    me = f"http://node.test/users/{ORGANIZER}"
    await post_signed(client, peer, "alice", "/inbox", activity(peer, "alice", "Follow", me))
    await process(client.app)
    peer.inbox.clear()
    page = await (await client.get("/account/profile")).text()
    assert 'value="Olga"' in page and f"@{ORGANIZER}@node.test" in page

    data = {"name": "Olga  Martin", "bio": "Coordinatrice des **épiceries** solidaires.<script>alert(1)</script>"}
    resp = await post_form(client, "/account/profile", data, files={"avatar": ("me.png", PNG, "image/png")})
    assert resp.status == 303 and resp.headers["Location"] == "/account/profile"
    doc = await (await client.get(f"/users/{ORGANIZER}", headers=AS2)).json()
    assert doc["name"] == "Olga Martin"
    assert "<strong>épiceries</strong>" in doc["summary"] and "<script" not in doc["summary"]
    avatar = doc["icon"]["url"]
    assert avatar.startswith("http://node.test/media/")
    assert (await client.get(avatar.removeprefix("http://node.test"))).status == 200
    public = await (await client.get(f"/users/{ORGANIZER}")).text()
    assert "Olga Martin" in public and "<strong>épiceries</strong>" in public
    assert "Olga Martin (@olga)" in await (await client.get("/desk")).text()
    # the Markdown comes back in the form, not the HTML
    assert "Coordinatrice des **épiceries** solidaires." in await (await client.get("/account/profile")).text()
    await process(client.app)
    updates = [r.json for r in peer.inbox if r.json["type"] == "Update"]
    assert len(updates) == 1 and updates[0]["object"]["name"] == "Olga Martin"
    assert updates[0]["actor"] == me and updates[0]["object"]["icon"]["url"] == avatar

    # Saving the same again changes nothing anyone sees: no second Update.
    peer.inbox.clear()
    resp = await post_form(client, "/account/profile", {"name": "Olga Martin", "bio": data["bio"]})
    assert resp.status == 303
    await process(client.app)
    assert [r for r in peer.inbox if r.json["type"] == "Update"] == []
    assert (await db.fetch_value("SELECT icon_url FROM actors WHERE username = ?", (ORGANIZER,))) == avatar


async def test_a_refused_profile_stores_nothing(organizer_client: TestClient, peer: Peer) -> None:
    client = organizer_client
    db = client.app[DB]
    files_before = sorted(media_dir(client.app[CONFIG].data_dir).glob("*"))
    before = await row_counts(db)
    for data, upload, field in (({"name": "  ", "bio": ""}, None, "name"),
                                ({"name": "x" * 101, "bio": ""}, None, "name"),
                                ({"name": "Olga", "bio": "x" * 2001}, None, "bio"),
                                ({"name": "Olga", "bio": ""}, ("me.svg", b"<svg/>", "image/svg+xml"), "avatar"),
                                ({"name": "", "bio": ""}, ("me.png", PNG, "image/png"), "name")):
        resp = await post_form(client, "/account/profile", data, token_from="/account/profile",
                               files={"avatar": upload} if upload else None)
        assert resp.status == 400 and field_error(await resp.text(), field), (data, field)
    assert await row_counts(db) == before
    assert sorted(media_dir(client.app[CONFIG].data_dir).glob("*")) == files_before
    assert await db.fetch_value("SELECT name FROM actors WHERE username = ?", (ORGANIZER,)) == "Olga"
