"""Deleting an item from the desk: a confirmation page in plain words (every language, accessible), then
a POST with the CSRF token that tombstones the item and queues a Delete for followers, as `maillage
delete` does. Whoever may edit an item may delete it (its author or an admin); a deleted or unknown
item is a 404, never a 500; a GET never deletes."""

import json

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB
from node.content import find_object
from tests.node.test_desk import JOURNEY, OUTCOME, PRACTICE
from tests.support.dbstate import row_counts
from tests.support.desk import (
    ORGANIZER,
    ORGANIZER_PASSWORD,
    add_organizer,
    login,
    organizer_after_admin_published,
    post_form,
    publish_item,
)
from tests.support.html_quality import page_problems
from tests.support.node import follow_network
from tests.support.peer import Peer

SLUG = "a-local-currency"
DELETE = f"/desk/practice/{SLUG}/delete"
BROWSER = {"Accept": "text/html"}


async def _deleted(client: TestClient, kind: str = "practice", slug: str = SLUG) -> bool:
    stored = await find_object(client.app[DB], kind, slug)
    assert stored is not None
    return stored.deleted_at is not None


@pytest.mark.parametrize(("lang", "heading", "undo", "cancel"), [
    ("fr", "Supprimer la fiche pratique", "Impossible de revenir en arrière.", "Annuler"),
    ("en", "Delete the practice write-up", "This cannot be undone.", "Cancel"),
    ("es", "Eliminar la ficha de práctica", "Esta acción no se puede deshacer.", "Cancelar"),
])
async def test_confirmation_page_in_every_language(organizer_client: TestClient, lang: str, heading: str,
                                                   undo: str, cancel: str) -> None:
    client = organizer_client
    await publish_item(client, "practice", PRACTICE)
    edit = await (await client.get(f"/desk/practice/{SLUG}/edit?lang=en")).text()
    assert f'href="{DELETE}"' in edit  # the edit page leads to it
    resp = await client.get(f"{DELETE}?lang={lang}")
    html = await resp.text()
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    assert f'<html lang="{lang}">' in html and f"<h1>{heading}</h1>" in html and undo in html
    assert "A local currency" in html and "Mastodon" in html
    assert f'<form method="post" action="{DELETE}"' in html and 'name="csrf_token"' in html
    assert f'<a href="/desk/practice/{SLUG}/edit">{cancel}</a>' in html
    assert page_problems(html) == []
    assert not await _deleted(client)  # looking at the page deletes nothing


@pytest.mark.parametrize("token", [None, "forged"])
async def test_deleting_needs_the_csrf_token(organizer_client: TestClient, token: str | None) -> None:
    client = organizer_client
    await publish_item(client, "practice", PRACTICE)
    before = await row_counts(client.app[DB])
    resp = await post_form(client, DELETE, {}, token=token)
    assert resp.status == 403
    assert not await _deleted(client)
    assert await row_counts(client.app[DB]) == before


async def test_the_author_deletes_their_item(organizer_client: TestClient, peer: Peer) -> None:
    client = organizer_client
    await follow_network(client, peer, "alice")
    await publish_item(client, "practice", PRACTICE)
    stored = await find_object(client.app[DB], "practice", SLUG)
    assert stored is not None
    resp = await post_form(client, DELETE, {}, token_from=DELETE)
    assert resp.status == 303 and resp.headers["Location"] == "/desk"
    assert await _deleted(client)
    desk = await (await client.get("/desk")).text()
    assert "Deleted: A local currency" in desk and f"/desk/practice/{SLUG}/edit" not in desk
    again = await (await client.get("/desk")).text()
    assert "Deleted: A local currency" not in again  # the notice is shown once
    page = await client.get(f"/practices/{SLUG}", headers=BROWSER)
    assert page.status == 410
    listing = await (await client.get("/practices", headers=BROWSER)).text()
    assert "A local currency" not in listing
    # A Delete by the author, to the public and both followers collections, queued for the follower's server.
    row = await client.app[DB].fetch_one(
        "SELECT a.document, d.inbox, d.state FROM activities a JOIN deliveries d ON d.activity_id = a.id"
        " WHERE a.type = 'Delete' AND a.object_iri = ?", (stored.iri,))
    assert row is not None and (row["inbox"], row["state"]) == (f"{peer.base}/inbox", "pending")
    doc = json.loads(row["document"])
    assert doc["actor"].endswith(f"/users/{ORGANIZER}") and doc["object"]["formerType"] == "Article"
    # Deleted: the confirmation page, a second deletion and the edit page are all a 404.
    before = await row_counts(client.app[DB])
    assert (await client.get(DELETE)).status == 404
    assert (await post_form(client, DELETE, {}, token_from="/desk")).status == 404
    assert (await client.get(f"/desk/practice/{SLUG}/edit")).status == 404
    assert await row_counts(client.app[DB]) == before


async def test_a_journey_and_its_outcome_are_deleted_separately(organizer_client: TestClient) -> None:
    client = organizer_client
    await publish_item(client, "journey", JOURNEY)
    await publish_item(client, "outcome", {**OUTCOME, "journey": "voyage-en-drome"})
    page = await (await client.get("/desk/journey/voyage-en-drome/delete?lang=en")).text()
    assert "<h1>Delete the learning journey</h1>" in page and "outcome reports of this journey stay" in page
    resp = await post_form(client, "/desk/journey/voyage-en-drome/delete", {},
                           token_from="/desk/journey/voyage-en-drome/delete")
    assert resp.status == 303
    assert await _deleted(client, "journey", "voyage-en-drome")
    assert not await _deleted(client, "outcome", "compte-rendu")
    resp = await post_form(client, "/desk/outcome/compte-rendu/delete", {}, token_from="/desk")
    assert resp.status == 303
    assert await _deleted(client, "outcome", "compte-rendu")
    former = [json.loads(r["document"])["object"]["formerType"] for r in await client.app[DB].fetch_all(
        "SELECT document FROM activities WHERE type = 'Delete' ORDER BY id")]
    assert former == ["Event", "Article"]


async def test_organizers_cannot_delete_someone_elses_item(client: TestClient) -> None:
    await organizer_after_admin_published(client, "practice", PRACTICE)
    edit_status = (await client.get(f"/desk/practice/{SLUG}/edit")).status
    assert edit_status == 403
    assert (await client.get(DELETE)).status == edit_status
    before = await row_counts(client.app[DB])
    resp = await post_form(client, DELETE, {}, token_from="/desk")
    assert resp.status == edit_status
    assert not await _deleted(client)
    assert await row_counts(client.app[DB]) == before


async def test_an_admin_may_delete_an_organizers_item(client: TestClient) -> None:
    await add_organizer(client)
    await login(client, ORGANIZER, ORGANIZER_PASSWORD)
    await publish_item(client, "practice", PRACTICE)
    await post_form(client, "/logout", {}, token_from="/desk")
    await login(client)
    resp = await post_form(client, DELETE, {}, token_from=DELETE)
    assert resp.status == 303
    assert await _deleted(client)
    doc = json.loads(await client.app[DB].fetch_value("SELECT document FROM activities WHERE type = 'Delete'"))
    assert doc["actor"].endswith(f"/users/{ORGANIZER}")  # the author's Delete, as the CLI sends it


@pytest.mark.parametrize("path", ["/desk/practice/no-such-item/delete", "/desk/poll/x/delete"])
async def test_unknown_items_are_not_found(organizer_client: TestClient, path: str) -> None:
    client = organizer_client
    assert (await client.get(path)).status == 404
    assert (await post_form(client, path, {}, token_from="/desk")).status == 404


async def test_anonymous_visitors_cannot_delete(client: TestClient) -> None:
    await login(client)
    await publish_item(client, "practice", PRACTICE)
    await post_form(client, "/logout", {}, token_from="/desk")
    resp = await client.get(DELETE, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"].startswith("/login?next=")
    resp = await post_form(client, DELETE, {}, token_from="/login")
    assert resp.status in (302, 403)
    assert not await _deleted(client)
