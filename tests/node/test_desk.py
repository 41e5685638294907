"""The organizer desk over HTTP: every form's success, each validation error beside its field with
nothing stored, CSRF, roles, anonymous visitors, preview, edits, translations, images, delivery
status, participants, re-shares and replies."""

import html
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.accounts import get_actor
from node.appkeys import CONFIG, DB, DELIVERY, URLS
from node.content import find_object
from node.drafts import parse_markdown
from node.media import media_dir
from node.publishing import publish
from tests.support.dbstate import row_counts
from tests.support.desk import (
    ORGANIZER,
    field_error,
    form_values,
    organizer_after_admin_published,
    post_form,
    publish_item,
)
from tests.support.journeys import local_time, publish_journey
from tests.support.peer import Peer
from tests.support.showcase import seed

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PRACTICE = {"lang": "en", "title": "A local currency", "summary": "How a territory launched its own currency.",
            "themes": "social-currency, commons", "body": "The whole **story**.", "territory_name": "Val de Drôme",
            "territory_country": "France", "stakeholders": "La Luciole | issuer | https://luciole.example\nA bank",
            "resources": "A grant | monetary | public\nVolunteers | non-monetary | private",
            "results": "It works.", "contact_email": "contact@luciole.example", "action": "publish"}
JOURNEY = {"lang": "fr", "title": "Voyage en Drôme", "summary": "Deux jours chez les coopératives.",
           "start": local_time(timedelta(days=30)).replace(" ", "T"), "timezone": "Europe/Paris",
           "location_name": "Halle de Crest", "location_locality": "Crest", "programme": "09:30-11:00 | Visite | Coop",
           "capacity": "20", "join_mode": "free", "status": "confirmed", "comments": "on", "action": "publish"}
OUTCOME = {"lang": "fr", "title": "Compte rendu", "summary": "Ce que nous avons appris.",
           "achievements": "Une charte commune\nUn fonds partagé", "next_steps": "Se revoir en mai",
           "participants": "Réseau A | https://a.example\nRéseau B", "action": "publish"}


@pytest.mark.parametrize("path", ["/desk", "/desk/new/practice", "/desk/media", "/desk/share", "/desk/comments",
                                  "/desk/practice/x/edit", "/desk/journeys/x/participants"])
async def test_anonymous_visitors_are_sent_to_login(client: TestClient, path: str) -> None:
    resp = await client.get(path, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"].startswith("/login?next=")


async def test_write_a_practice(organizer_client: TestClient) -> None:
    client = organizer_client
    form = await (await client.get("/desk/new/practice")).text()
    for name in ("title", "summary", "body", "stakeholders", "resources"):
        assert f'<label for="f-{name}">' in form and f'id="f-{name}"' in form, name
    await publish_item(client, "practice", PRACTICE)
    stored = await find_object(client.app[DB], "practice", "a-local-currency")  # the slug comes from the title
    assert stored is not None and stored.author == ORGANIZER and stored.default_lang == "en"
    assert stored.fields["stakeholders"][0]["name"] == "La Luciole"
    assert [r["monetary"] for r in stored.fields["mobilisedResources"]] == [True, False]
    desk = await (await client.get("/desk")).text()
    assert "Published: A local currency" in desk and "A local currency" in desk
    page = await client.get("/practices/a-local-currency")
    assert page.status == 200 and "A local currency" in await page.text()


PRACTICE_ERRORS = [
    ({"title": "", "slug": ""}, "title", "The title is required."),
    ({"summary": ""}, "summary", "“Summary” is required"),
    ({"slug": "Not A Slug"}, "slug", "lowercase letters"),
    ({"themes": "commons, ?!"}, "themes", "must have letters or digits"),
    ({"stakeholders": "Name | role | not-a-url"}, "stakeholders", "Line 1 (web address) must be an http(s) URL"),
    ({"resources": "Grant | monetary | sideways"}, "resources", "Line 1: the origin is public, private or mixed."),
    ({"contact_email": "nobody"}, "contact_email", "is not an e-mail address"),
]


@pytest.mark.parametrize(("change", "field", "message"), PRACTICE_ERRORS)
async def test_practice_errors_are_shown_beside_their_field_and_nothing_is_stored(
        organizer_client: TestClient, change: dict[str, str], field: str, message: str) -> None:
    before = await row_counts(organizer_client.app[DB])
    resp = await post_form(organizer_client, "/desk/new/practice", {**PRACTICE, **change})
    html = await resp.text()
    assert resp.status == 400
    assert message in (field_error(html, field) or ""), html[:200]
    assert 'value="A local currency"' in html or change.get("title") == ""  # what was typed stays
    assert await row_counts(organizer_client.app[DB]) == before


async def test_a_new_item_cannot_take_an_existing_address(organizer_client: TestClient) -> None:
    await publish_item(organizer_client, "practice", PRACTICE)
    before = await row_counts(organizer_client.app[DB])
    resp = await post_form(organizer_client, "/desk/new/practice", {**PRACTICE, "title": "Other", "slug":
                                                                     "a-local-currency"})
    assert field_error(await resp.text(), "slug") == "This address is already taken: choose another one."
    assert await row_counts(organizer_client.app[DB]) == before


JOURNEY_ERRORS = [
    ({"timezone": "Mars/Olympus"}, "timezone", "is not an IANA time zone"),
    ({"start": ""}, "start", "“Start” is required"),
    ({"end": "2000-01-01T10:00"}, "end", "“End” must be after “Start”"),
    ({"location_name": "", "location_locality": ""}, "location_name", "needs a “Place” or an “Online link”"),
    ({"capacity": "many"}, "capacity", "Write a whole number"),
    ({"programme": "later | Visit"}, "programme", "Line 1: start with a time"),
    ({"programme": "09:30 | Visit\n15/03 14:00 | Farm"}, "programme", "Line 2: start with a time"),
    ({"territory_latitude": "north"} | {"location_latitude": "north", "location_longitude": "4.8"}, "location_latitude",
     "latitude must be within ±90"),
    ({"location_latitude": "45.7"}, "location_longitude", "needs both latitude and longitude"),
    ({"join_mode": "external"}, "external_url", "“Registration page” is required"),
    ({"online": "ftp://x"}, "online", "must be an http(s) URL"),
]


@pytest.mark.parametrize(("change", "field", "message"), JOURNEY_ERRORS)
async def test_journey_errors(organizer_client: TestClient, change: dict[str, str], field: str, message: str) -> None:
    before = await row_counts(organizer_client.app[DB])
    resp = await post_form(organizer_client, "/desk/new/journey", {**JOURNEY, **change})
    assert resp.status == 400
    assert message in (field_error(await resp.text(), field) or "")
    assert await row_counts(organizer_client.app[DB]) == before


async def test_schedule_a_journey_and_report_its_outcome(organizer_client: TestClient) -> None:
    client = organizer_client
    await publish_item(client, "journey", JOURNEY)
    journey = await find_object(client.app[DB], "journey", "voyage-en-drome")
    assert journey is not None and journey.fields["maximumAttendeeCapacity"] == 20
    assert journey.fields["location"]["name"] == "Halle de Crest"
    form = await (await client.get("/desk/new/outcome?journey=voyage-en-drome")).text()
    assert '<option value="voyage-en-drome" selected>' in form
    await publish_item(client, "outcome", {**OUTCOME, "journey": "voyage-en-drome"})
    outcome = await find_object(client.app[DB], "outcome", "compte-rendu")
    assert outcome is not None and outcome.journey_id == journey.id
    assert outcome.fields["achievements"] == ["Une charte commune", "Un fonds partagé"] or \
        outcome.fields.get("achievementsMap", {}).get("fr") == ["Une charte commune", "Un fonds partagé"] or \
        "Une charte commune" in json.dumps(outcome.fields, ensure_ascii=False)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"achievements": "", "next_steps": ""}, "achievements", "an outcome needs at least one of"),
    ({"journey": ""}, "journey", "“Journey reported on” is required"),
    ({"journey": "no-such-journey"}, "journey", "no journey “no-such-journey”"),
    ({"participants": "Réseau | javascript:alert(1)"}, "participants", "must be an http(s) URL"),
])
async def test_outcome_errors(organizer_client: TestClient, change: dict[str, str], field: str, message: str) -> None:
    await publish_item(organizer_client, "journey", JOURNEY)
    before = await row_counts(organizer_client.app[DB])
    resp = await post_form(organizer_client, "/desk/new/outcome", {**OUTCOME, "journey": "voyage-en-drome", **change})
    assert resp.status == 400
    assert message.lower() in (field_error(await resp.text(), field) or "").lower()
    assert await row_counts(organizer_client.app[DB]) == before


async def test_preview_renders_without_saving(organizer_client: TestClient) -> None:
    before = await row_counts(organizer_client.app[DB])
    resp = await post_form(organizer_client, "/desk/new/practice", {**PRACTICE, "action": "preview"})
    html = await resp.text()
    assert resp.status == 200
    assert "Preview (not saved yet)" in html and "<strong>story</strong>" in html
    assert await row_counts(organizer_client.app[DB]) == before


@pytest.mark.parametrize("token", [None, "forged"])
async def test_item_forms_need_the_csrf_token(organizer_client: TestClient, token: str | None) -> None:
    before = await row_counts(organizer_client.app[DB])
    for kind, data in (("practice", PRACTICE), ("journey", JOURNEY), ("outcome", OUTCOME)):
        resp = await post_form(organizer_client, f"/desk/new/{kind}", data, token=token)
        assert resp.status == 403, kind
    assert await row_counts(organizer_client.app[DB]) == before


async def test_edit_and_translate_side_by_side(organizer_client: TestClient) -> None:
    client = organizer_client
    await publish_item(client, "practice", PRACTICE)
    edit = await (await client.get("/desk/practice/a-local-currency/edit")).text()
    assert 'value="A local currency"' in edit and "La Luciole | issuer | https://luciole.example" in edit
    resp = await post_form(client, "/desk/practice/a-local-currency/edit",
                           {**PRACTICE, "lang": "en", "title": "A local currency, ten years on"})
    assert resp.status == 303
    page = await (await client.get("/desk/practice/a-local-currency/translate?lang=fr")).text()
    assert 'class="original"' in page and "A local currency, ten years on" in page
    fr = {**PRACTICE, "lang": "fr", "title": "Une monnaie locale", "summary": "Comment un territoire a fait.",
          "stakeholders": "La Luciole | émetteur | https://luciole.example\nUne banque"}
    resp = await post_form(client, "/desk/practice/a-local-currency/translate", fr,
                           token_from="/desk/practice/a-local-currency/translate")
    assert resp.status == 303, await resp.text()
    stored = await find_object(client.app[DB], "practice", "a-local-currency")
    assert stored is not None and stored.fields["stakeholders"][0]["role"] == {"en": "issuer", "fr": "émetteur"}
    langs = [r[0] for r in await client.app[DB].fetch_all(
        "SELECT lang FROM translations WHERE object_id = ? ORDER BY lang", (stored.id,))]
    assert langs == ["en", "fr"]
    before = await row_counts(client.app[DB])
    again = await post_form(client, "/desk/practice/a-local-currency/translate", fr,
                            token_from="/desk/practice/a-local-currency/translate")
    assert "already written in this language" in (field_error(await again.text(), "lang") or "")
    assert await row_counts(client.app[DB]) == before


async def test_editing_keeps_the_markdown_of_rich_fields(organizer_client: TestClient) -> None:
    """The edit form shows a practice's results and an outcome's feedback as they were written (links,
    emphasis, lists), per language, so saving it unchanged changes nothing; before, it showed the text
    read from the HTML, and a save dropped the links and emphasis."""
    client = organizer_client
    results = "It **works**: see [the report](https://luciole.example/report).\n\n- 300 shops\n- 2 banks"
    await publish_item(client, "practice", {**PRACTICE, "results": results})
    resp = await post_form(client, "/desk/practice/a-local-currency/translate",
                           {**PRACTICE, "lang": "fr", "title": "Une monnaie locale", "results": "Ça *marche*."},
                           token_from="/desk/practice/a-local-currency/translate")
    assert resp.status == 303, await resp.text()
    edit = await (await client.get("/desk/practice/a-local-currency/edit")).text()
    assert html.escape(results, quote=False) in edit
    french = await (await client.get("/desk/practice/a-local-currency/edit?lang=fr")).text()
    assert "Ça *marche*." in french
    resp = await post_form(client, "/desk/practice/a-local-currency/edit", {**PRACTICE, "results": results})
    assert resp.status == 303
    stored = await find_object(client.app[DB], "practice", "a-local-currency")
    assert stored is not None
    saved = stored.fields["results"]
    assert 'href="https://luciole.example/report"' in saved["en"] and "<strong>works</strong>" in saved["en"]
    assert saved["fr"] == "<p>Ça <em>marche</em>.</p>\n"

    await publish_item(client, "journey", JOURNEY)
    feedback = "Hosts said: *come back in spring*."
    await publish_item(client, "outcome", {**OUTCOME, "journey": "voyage-en-drome", "feedback": feedback})
    edit = await (await client.get("/desk/outcome/compte-rendu/edit")).text()
    assert html.escape(feedback, quote=False) in edit


async def test_saving_the_edit_form_unchanged_changes_nothing(admin_client: TestClient) -> None:
    """Every showcase item (places with street, region and coordinates, programmes over several days,
    lists, rich fields) saved from its edit form as shown, in each of its languages: its stored fields,
    texts and themes stay exactly as they were. Before, a save dropped what the form did not show
    (coordinates, a territory's street, a place's region, the day of later programme items), and a
    translation's save gave it the original's texts wherever it had none of its own."""
    client = admin_client
    await seed(client.app, "reseau")
    db = client.app[DB]
    admin = await get_actor(db, "admin")
    assert admin is not None
    await publish(db, client.app[URLS], network="reseau", author=admin, draft=parse_markdown(
        "---\ntype: practice\nslug: precise\ntitle: Précise\nsummary: Au mètre près.\nterritory:\n  name: Lyon\n"
        "  latitude: 45.7578137\n  longitude: 4.8320114\n---\nTexte.\n", default_lang="fr"))

    async def state() -> list[Any]:
        rows = await db.fetch_all("SELECT o.kind, o.slug, o.fields, o.journey_id, t.lang, t.title, t.summary,"
                                  " t.content_md, t.sources, (SELECT group_concat(name) FROM object_tags"
                                  " WHERE object_id = o.id) FROM objects o JOIN translations t ON t.object_id = o.id"
                                  " ORDER BY o.id, t.lang")
        return [tuple(r) for r in rows]

    before = await state()
    edits = await db.fetch_all("SELECT o.kind, o.slug, t.lang FROM objects o JOIN translations t"
                               " ON t.object_id = o.id ORDER BY o.id, t.lang")
    assert {e["kind"] for e in edits} == {"practice", "journey", "outcome"} and len(edits) > len(
        {(e["kind"], e["slug"]) for e in edits})  # translations too
    for kind, slug, lang in edits:
        path = f"/desk/{kind}/{slug}/edit"
        values = await form_values(client, f"{path}?lang={lang}")
        assert values.get("lang") == lang, (kind, slug, lang)
        resp = await client.post(path, data={**values, "action": "publish"}, allow_redirects=False)
        text = await resp.text()
        assert resp.status == 303, (kind, slug, lang, re.findall(r'class="(?:field|form)-error"[^>]*>([^<]*)<', text))
    after = await state()
    assert after == before


async def test_organizers_cannot_edit_someone_elses_item(client: TestClient) -> None:
    await organizer_after_admin_published(client, "practice", PRACTICE)
    assert (await client.get("/desk/practice/a-local-currency/edit")).status == 403
    token_page = "/desk/new/practice"
    resp = await post_form(client, "/desk/practice/a-local-currency/edit", PRACTICE, token_from=token_page)
    assert resp.status == 403


async def test_upload_an_image_and_attach_it(organizer_client: TestClient) -> None:
    client = organizer_client
    data_dir = client.app[CONFIG].data_dir
    resp = await post_form(client, "/desk/media", {"alt": "Banknotes of the local currency", "lang": "en"},
                           files={"file": ("notes.png", PNG, "image/png")})
    assert resp.status == 303, await resp.text()
    name, media_id = (await client.app[DB].fetch_one("SELECT name, id FROM media"))
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}\.png", name)
    served = await client.get(f"/media/{name}")
    assert served.status == 200 and served.headers["Content-Type"] == "image/png" and await served.read() == PNG
    assert (await client.get("/media/../maillage.toml")).status == 404
    await publish_item(client, "practice", {**PRACTICE, f"media_{media_id}": "on", f"media_alt_{media_id}": "Notes"})
    stored = await find_object(client.app[DB], "practice", "a-local-currency")
    assert stored is not None
    assert stored.fields["attachment"][0]["url"].endswith(f"/media/{name}")
    assert sorted(p.name for p in media_dir(data_dir).iterdir()) == [name]


@pytest.mark.parametrize(("upload", "alt", "field", "message"), [
    (None, "x", "file", "Choose an image file."),
    (("page.svg", b"<svg onload='alert(1)'/>", "image/png"), "x", "file", "Only JPEG, PNG, WebP and GIF"),
    (("big.png", PNG + b"\x00" * (5 * 1024 * 1024), "image/png"), "x", "file", "larger than 5 MB"),
    (("notes.png", PNG, "image/png"), " ", "alt", "Describe the image"),
])
async def test_upload_checks(organizer_client: TestClient, upload: tuple[str, bytes, str] | None, alt: str,
                             field: str, message: str) -> None:
    client = organizer_client
    before = await row_counts(client.app[DB])
    resp = await post_form(client, "/desk/media", {"alt": alt, "lang": "en"},
                           files={"file": upload} if upload else {"file": ("", b"", "application/octet-stream")})
    assert resp.status == (413 if "larger" in message else 400)
    assert message in (field_error(await resp.text(), field) or "")
    assert await row_counts(client.app[DB]) == before
    folder = media_dir(client.app[CONFIG].data_dir)
    assert not folder.exists() or list(folder.iterdir()) == []


async def test_upload_needs_the_csrf_token(organizer_client: TestClient) -> None:
    resp = await post_form(organizer_client, "/desk/media", {"alt": "x"}, token=None,
                           files={"file": ("notes.png", PNG, "image/png")})
    assert resp.status == 403


async def test_delivery_status_per_server(organizer_client: TestClient, peer: Peer) -> None:
    client = organizer_client
    await publish_item(client, "practice", PRACTICE)
    db = client.app[DB]
    activity_id = await db.fetch_value("SELECT id FROM activities WHERE type = 'Create'")
    async with db.transaction() as tx:  # two servers follow: one answers, one is gone for good
        await tx.execute_many(
            "INSERT INTO deliveries (activity_id, inbox, host, next_attempt_at, created_at, updated_at)"
            " VALUES (?, ?, ?, 0, '2027-01-01', '2027-01-01')",
            [(activity_id, f"{peer.base}/inbox", peer.host), (activity_id, "http://127.0.0.1:9/inbox", "127.0.0.1:9")])
    peer.statuses["/inbox"] = 202
    await client.app[DELIVERY].run_once()
    async with db.transaction() as tx:
        await tx.execute("UPDATE deliveries SET state = 'failed' WHERE host = '127.0.0.1:9'")
    html = await (await client.get("/desk")).text()
    assert peer.host in html and "127.0.0.1:9" in html
    assert "1 delivered" in html and "1 failed" in html


async def test_my_posts_page_back_to_the_oldest(organizer_client: TestClient, peer: Peer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Five posts at two a page, newest first, each once; each page shows its own posts' deliveries."""
    from node.web import desk_more
    monkeypatch.setattr(desk_more, "MY_POSTS", 2)
    client = organizer_client
    for n in range(1, 6):
        await publish_item(client, "practice", {**PRACTICE, "title": f"Practice number {n}", "slug": f"p-{n}"})
    db = client.app[DB]
    async with db.transaction() as tx:  # one server follows: each post's Create goes there
        await tx.execute(
            "INSERT INTO deliveries (activity_id, inbox, host, next_attempt_at, created_at, updated_at)"
            " SELECT id, ?, ?, 0, '2027-01-01', '2027-01-01' FROM activities WHERE type = 'Create'"
            " AND object_iri LIKE '%/p-1'", (f"{peer.base}/inbox", peer.host))
    seen, path = [], "/desk"
    for _ in range(5):  # a link that never ends fails here, not by hanging
        html = await (await client.get(path)).text()
        seen.append([int(n) for n in re.findall(r'<h2 lang="en"><a href="[^"]+">Practice number (\d)', html)])
        if "Practice number 1" in html:
            assert peer.host in html
        else:
            assert peer.host not in html
        more = re.search(r'<p class="more"><a href="(/desk\?before=\d+)"', html)
        if more is None:
            break
        path = more.group(1)
    assert seen == [[5, 4], [3, 2], [1]]
    assert (await client.get("/desk?before=abc")).status == 400


async def test_participants_approve_and_reject(organizer_client: TestClient) -> None:
    client = organizer_client
    await publish_item(client, "journey", {**JOURNEY, "join_mode": "restricted"})
    db = client.app[DB]
    journey = await find_object(db, "journey", "voyage-en-drome")
    assert journey is not None
    async with db.transaction() as tx:  # two poll voters asked to come (a vote needs no answer)
        await tx.execute_many(
            "INSERT INTO participations (object_id, actor_iri, state, source, created_at, updated_at)"
            " VALUES (?, ?, 'pending', 'poll', '2027-01-01', '2027-01-01')",
            [(journey.id, "https://a.example/users/ana"), (journey.id, "https://b.example/users/ben")])
    path = "/desk/journeys/voyage-en-drome/participants"
    assert "https://a.example/users/ana" in await (await client.get(path)).text()
    assert "(2 waiting for your approval)" in await (await client.get("/desk")).text()
    for actor, decision in (("https://a.example/users/ana", "approve"), ("https://b.example/users/ben", "reject")):
        resp = await post_form(client, path, {"actor_iri": actor, "decision": decision})
        assert resp.status == 303
    assert "waiting for your approval" not in await (await client.get("/desk")).text()
    states = dict(await db.fetch_all("SELECT actor_iri, state FROM participations ORDER BY actor_iri"))
    assert states == {"https://a.example/users/ana": "going", "https://b.example/users/ben": "rejected"}
    assert (await post_form(client, path, {"actor_iri": "x", "decision": "maybe"})).status == 400
    assert (await post_form(client, path, {"actor_iri": "https://a.example/users/ana", "decision": "reject"},
                            token=None)).status == 403


async def test_participants_of_someone_elses_journey_are_not_mine(organizer_client: TestClient) -> None:
    await publish_journey(organizer_client.app, "voyage-admin")  # published by the admin
    assert (await organizer_client.get("/desk/journeys/voyage-admin/participants")).status == 403


async def test_reshare_a_peers_item_and_undo(organizer_client: TestClient, peer: Peer) -> None:
    client = organizer_client
    iri = f"{peer.base}/practices/commons"
    peer.documents["/practices/commons"] = {
        "@context": "https://www.w3.org/ns/activitystreams", "id": iri, "type": "Article",
        "attributedTo": peer.actor_iri("alice"), "name": "Commons", "content": "<p>x</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    assert field_error(await (await post_form(client, "/desk/share", {"iri": "nope"})).text(), "iri")
    resp = await post_form(client, "/desk/share", {"iri": iri})
    assert resp.status == 303, await resp.text()
    assert await client.app[DB].fetch_value("SELECT count(*) FROM activities WHERE type = 'Announce'") == 1
    again = await post_form(client, "/desk/share", {"iri": iri})
    assert "already re-shared" in (field_error(await again.text(), "iri") or "")
    resp = await post_form(client, "/desk/unshare", {"iri": iri}, token_from="/desk/share")
    assert resp.status == 303
    assert await client.app[DB].fetch_value("SELECT count(*) FROM activities WHERE type = 'Undo'") == 1


async def test_reply_to_a_comment(organizer_client: TestClient) -> None:
    client = organizer_client
    await publish_item(client, "practice", PRACTICE)
    db, urls = client.app[DB], client.app[URLS]
    item = urls.object("practice", "a-local-currency")
    comment = "https://a.example/notes/1"
    async with db.transaction() as tx:  # a comment by another local organizer: no remote fetch needed
        admin_id = await tx.fetch_value("SELECT id FROM actors WHERE username = 'admin'")
        note = {"id": comment, "type": "Note", "attributedTo": urls.actor("admin"), "content": "<p>Bravo</p>",
                "inReplyTo": item}
        await tx.execute("INSERT INTO comments (iri, root_iri, in_reply_to, author_iri, state, actor_id, document,"
                         " created_at) VALUES (?, ?, ?, ?, 'approved', ?, ?, '2027-01-01')",
                         (comment, item, item, urls.actor("admin"), admin_id, json.dumps(note)))
    page = await (await client.get("/desk/comments")).text()
    assert "Bravo" in page
    empty = await post_form(client, "/desk/comments/reply", {"target": item, "text": " ", "lang": "en"},
                            token_from="/desk/comments")
    assert empty.status == 400
    resp = await post_form(client, "/desk/comments/reply", {"target": item, "text": "Thank you!", "lang": "en"},
                           token_from="/desk/comments")
    assert resp.status == 303, await resp.text()
    assert await db.fetch_value("SELECT count(*) FROM comments WHERE author_iri = ? AND in_reply_to = ?",
                                (urls.actor(ORGANIZER), item)) == 1


async def test_an_error_on_a_translations_language_names_the_field_as_the_form_does(
        organizer_client: TestClient) -> None:
    client = organizer_client
    await publish_item(client, "practice", PRACTICE)
    path = "/desk/practice/a-local-currency/translate"
    resp = await post_form(client, path, {**PRACTICE, "lang": "not a tag"}, token_from=path)
    assert resp.status == 400
    error = field_error(await resp.text(), "lang") or ""
    assert "“Language of the translation”" in error and "Language of this text" not in error
    resp = await post_form(client, "/desk/new/practice", {**PRACTICE, "slug": "other", "lang": "not a tag"})
    assert "“Language of this text”" in (field_error(await resp.text(), "lang") or "")
