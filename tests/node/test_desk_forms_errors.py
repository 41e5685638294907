"""Issue 20, forms and the desk: every mistake of a submission shown at once (desk and `maillage
publish`), themes of several words, the slug field's label, the node's own time zone, unfollowing a peer
confirmed first, a too-large upload or text coming back with what was typed."""

import html
import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp import ClientResponse, FormData
from aiohttp.test_utils import TestClient, TestServer

from node.app import create_app
from node.appkeys import DB
from node.cli import main
from node.config import Config, load_config
from node.content import find_object
from node.drafts import DraftError, draft_from_mapping
from node.timezones import default_zone
from tests.node.test_desk import JOURNEY, PRACTICE
from tests.support.dbstate import row_counts
from tests.support.desk import ORGANIZER, ORGANIZER_PASSWORD, csrf_token, field_error, login, post_form
from tests.support.peer import Peer

SIX_MISTAKES = {"start": "", "timezone": "Mars/Olympus", "location_name": "", "online": "visio.example",
                "programme": "soon | Visit | Coop", "capacity": "twenty", "join_mode": "external", "external_url": ""}


async def test_an_empty_practice_flags_every_required_field(organizer_client: TestClient) -> None:
    before = await row_counts(organizer_client.app[DB])
    resp = await post_form(organizer_client, "/desk/new/practice", {"lang": "en", "action": "publish"})
    page = await resp.text()
    assert resp.status == 400
    assert field_error(page, "title") == "The title is required."
    assert field_error(page, "summary") == "“Summary” is required"
    assert await row_counts(organizer_client.app[DB]) == before


async def test_a_journey_with_six_mistakes_shows_them_in_one_submit(organizer_client: TestClient) -> None:
    before = await row_counts(organizer_client.app[DB])
    resp = await post_form(organizer_client, "/desk/new/journey", {**JOURNEY, "lang": "en", **SIX_MISTAKES})
    page = await resp.text()
    assert resp.status == 400
    shown = {f: field_error(page, f) for f in ("timezone", "start", "online", "programme", "capacity",
                                              "external_url")}
    assert all(shown.values()), shown
    assert "IANA" in (shown["timezone"] or "") and "Line 1" in (shown["programme"] or "")
    assert await row_counts(organizer_client.app[DB]) == before


async def test_what_was_typed_stays_beside_the_errors(organizer_client: TestClient) -> None:
    resp = await post_form(organizer_client, "/desk/new/practice",
                           {**PRACTICE, "summary": "", "contact_email": "nobody", "resources": "Grant | x | sideways"})
    page = await resp.text()
    assert resp.status == 400
    assert field_error(page, "summary") and field_error(page, "contact_email") and field_error(page, "resources")
    assert "La Luciole | issuer | https://luciole.example" in page and "The whole **story**." in page


def test_drafts_refuse_with_every_problem() -> None:
    meta: dict[str, Any] = {"type": "outcome", "slug": "Bad Slug", "lang": "fr", "summary": "",
                            "achievements": ["ok", ""], "participants": [{"url": "x"}], "journey": "Mon voyage"}
    with pytest.raises(DraftError) as refused:
        draft_from_mapping(meta, "", default_lang="fr")
    assert [p.about for p in refused.value.problems] == [
        "slug", "title", "summary", "journey", "achievements[1]", "participants[0].name"]
    assert str(refused.value).count("\n") == 5


def test_publish_lists_every_problem_one_a_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "node"
    assert main(["init", "--data", str(data), "--url", "http://127.0.0.1:8080", "--name", "reseau", "--dev"]) == 0
    draft = tmp_path / "draft.md"
    draft.write_text("---\ntype: practice\nslug: Bad Slug\nlang: fr_FR\n---\nbody\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["publish", "--data", str(data), "--as", "admin", str(draft)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [
        f"error: {draft}: front matter: 'slug' must be lowercase letters, digits and '-', got 'Bad Slug'",
        f"error: {draft}: front matter: 'lang' is not a BCP 47 language tag: 'fr_FR'",
        f"error: {draft}: front matter: 'title' is required",
        f"error: {draft}: front matter: 'summary' is required"]


@pytest.mark.parametrize(("typed", "themes"), [
    ("monnaie locale, Économie sociale & solidaire", ("monnaie-locale", "économie-sociale-solidaire")),
    ("#Commons, commons,  food   sovereignty ", ("commons", "food-sovereignty")),
    ("l'entraide, social_finance", ("l-entraide", "social_finance")),
])
def test_themes_of_several_words_become_slugs(typed: str, themes: tuple[str, ...]) -> None:
    meta = {"type": "practice", "slug": "a", "title": "T", "summary": "S", "themes": typed}
    assert draft_from_mapping(meta, "", default_lang="fr").themes == themes


async def test_a_multi_word_theme_from_the_desk(organizer_client: TestClient) -> None:
    resp = await post_form(organizer_client, "/desk/new/practice", {**PRACTICE, "themes": "monnaie locale"})
    assert resp.status == 303, await resp.text()
    stored = await find_object(organizer_client.app[DB], "practice", "a-local-currency")
    assert stored is not None
    tags = await organizer_client.app[DB].fetch_all("SELECT name FROM object_tags WHERE object_id = ?", (stored.id,))
    assert [r["name"] for r in tags] == ["monnaie-locale"]


@pytest.mark.parametrize(("lang", "label"), [("en", "Short name in the address (slug)"),
                                             ("fr", "Identifiant dans l’adresse"),
                                             ("es", "Identificador en la dirección (slug)")])
async def test_the_slug_field_says_what_it_is(organizer_client: TestClient, lang: str, label: str) -> None:
    page = await (await organizer_client.get(f"/desk/new/practice?lang={lang}")).text()
    assert f'<label for="f-slug">{label}</label>' in page


def test_default_zone_follows_the_language_region() -> None:
    assert [default_zone(t) for t in ("fr", "es", "pt-BR", "en-GB", "de", "eo")] == [
        "Europe/Paris", "Europe/Madrid", "America/Sao_Paulo", "Europe/London", "Europe/Berlin", "UTC"]


@pytest.mark.parametrize(("timezone", "lang", "shown"), [("America/Montreal", "fr", "America/Montreal"),
                                                      (None, "es", "Europe/Madrid")])
async def test_a_new_journey_starts_in_the_nodes_time_zone(node_config: Config, timezone: str | None, lang: str,
                                                           shown: str) -> None:
    config = replace(node_config, timezone=timezone, default_lang=lang)
    async with TestClient(TestServer(create_app(config, workers=False))) as client:
        await login(client)
        page = await (await client.get("/desk/new/journey")).text()
    assert f'id="f-timezone" name="timezone" value="{shown}"' in page


def test_init_asks_for_a_time_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["init", "--url", "http://127.0.0.1:8080", "--name", "reseau", "--dev"]
    assert main([*base, "--data", str(tmp_path / "a"), "--timezone", "America/Montreal"]) == 0
    assert load_config(tmp_path / "a", {}).time_zone == "America/Montreal"
    assert main([*base, "--data", str(tmp_path / "b"), "--lang", "es"]) == 0
    assert load_config(tmp_path / "b", {}).time_zone == "Europe/Madrid"
    capsys.readouterr()
    assert main([*base, "--data", str(tmp_path / "c"), "--timezone", "Mars/Olympus"]) == 1
    assert "--timezone is not an IANA time zone" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_an_older_config_without_timezone_uses_the_language(node_config: Config) -> None:
    assert replace(node_config, timezone=None, default_lang="fr").time_zone == "Europe/Paris"


async def test_unfollowing_a_peer_asks_for_confirmation(admin_client: TestClient, peer: Peer) -> None:
    client, alice = admin_client, peer.actor_iri("alice")
    db = client.app[DB]
    assert (await post_form(client, "/admin/peers", {"handle": alice, "action": "follow"},
                            token_from="/admin/network")).status == 303
    network = await (await client.get("/admin/network")).text()
    link = re.search(r'<a class="button secondary" href="(/admin/peers/unfollow\?handle=[^"]+)">Unfollow…</a>', network)
    assert link, "the Unfollow of the list is a secondary link to a confirmation page"
    assert 'value="unfollow"' not in network  # no one-click unfollow form left on the list
    # The old one-click POST changes nothing: it is sent to the confirmation page.
    once = await post_form(client, "/admin/peers", {"handle": alice, "action": "unfollow"}, token_from="/admin/network")
    sent_to = urlsplit(once.headers["Location"])
    assert once.status == 303 and (sent_to.path, parse_qs(sent_to.query)) == ("/admin/peers/unfollow",
                                                                             {"handle": [alice]})
    assert await db.fetch_value("SELECT count(*) FROM follows") == 1
    confirm = await client.get(html.unescape(link[1]))
    page = await confirm.text()
    assert confirm.status == 200 and "Stop following" in page
    assert '<button type="submit" class="danger">Unfollow</button>' in page
    assert (await client.get("/admin/peers/unfollow?handle=https%3A%2F%2Fnobody.example%2Fu")).status == 404
    resp = await post_form(client, "/admin/peers", {"handle": alice, "action": "unfollow", "confirm": "yes"},
                           token_from=html.unescape(link[1]))
    assert resp.status == 303 and resp.headers["Location"] == "/admin/network"
    assert await db.fetch_value("SELECT count(*) FROM follows") == 0


async def _multipart(client: TestClient, path: str, parts: list[tuple[str, Any]]) -> ClientResponse:
    """POST a multipart form whose parts come in the order given (a browser sends them in the page's order)."""
    form = FormData()
    form.add_field("csrf_token", await csrf_token(client, path))
    for name, value in parts:
        if isinstance(value, tuple):
            form.add_field(name, io.BytesIO(value[1]), filename=value[0], content_type=value[2])
        else:
            form.add_field(name, value)
    return await client.post(path, data=form, allow_redirects=False)


PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * (12 * 1_048_576)  # a 12 MB phone photo


async def test_a_too_large_image_comes_back_with_the_text_kept(organizer_client: TestClient) -> None:
    client = organizer_client
    before = await row_counts(client.app[DB])
    resp = await _multipart(client, "/desk/media", [("file", ("photo.jpg", PHOTO, "image/jpeg")),
                                                    ("alt", "Les billets de la Luciole sur le marché de Crest"),
                                                    ("lang", "fr")])
    page = await resp.text()
    assert resp.status == 413 and resp.content_type == "text/html"
    assert field_error(page, "file") == "The image is larger than 5 MB."
    assert ">Les billets de la Luciole sur le marché de Crest</textarea>" in page
    assert await row_counts(client.app[DB]) == before


async def test_a_too_large_avatar_keeps_the_profile_text(organizer_client: TestClient) -> None:
    resp = await _multipart(organizer_client, "/account/profile", [
        ("name", "Olga Martin"), ("bio", "Animatrice du réseau depuis 2019."),
        ("avatar", ("me.jpg", PHOTO, "image/jpeg"))])
    page = await resp.text()
    assert resp.status == 413 and "larger than 5 MB" in (field_error(page, "avatar") or "")
    assert 'value="Olga Martin"' in page and "Animatrice du réseau depuis 2019." in page


async def test_an_upload_past_the_drain_limit_is_refused_without_reading_it_all(
        organizer_client: TestClient) -> None:
    from node.uploads import MAX_DRAINED
    huge = b"\xff\xd8\xff\xe0" + b"\x00" * (MAX_DRAINED + 1)
    resp = await _multipart(organizer_client, "/desk/media", [("alt", "x"), ("file", ("h.jpg", huge, "image/jpeg"))])
    assert resp.status == 413


async def test_a_text_too_long_for_the_form_is_kept_and_flagged(organizer_client: TestClient) -> None:
    # 250,000 accented characters: 1.5 MB url-encoded, over the app's 1 MiB (a bare 413 page before).
    body = "é" * 250_000
    fields = {**PRACTICE, "body": body, "csrf_token": await csrf_token(organizer_client, "/desk/new/practice")}
    resp = await organizer_client.post("/desk/new/practice", data=io.BytesIO(urlencode(fields).encode()),
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    page = await resp.text()
    assert resp.status == 400
    assert field_error(page, "body") == "The body is longer than 200,000 characters"
    assert 'value="A local currency"' in page and body in page


def _preview_part(page: str) -> str:
    start = page.index('<section class="preview"')
    return page[start:page.index("</section>\n", page.index("</article>", start))]


@pytest.mark.parametrize(("kind", "form", "shown"), [
    ("practice", {**PRACTICE, "needs": "Keep money local.", "lessons": "Start with farmers.",
                  "transferability": "Anywhere with a market.", "results": "140 shops."},
     ["Keep money local.", "A grant", "Volunteers", "140 shops.", "Start with farmers.", "Anywhere with a market.",
      "La Luciole", "contact@luciole.example", "#social-currency", 'id="needs"', 'id="resources"', 'id="results"',
      'id="lessons"', 'id="transferability"']),
    ("journey", {**JOURNEY, "lang": "en", "programme": "09:30-11:00 | Visit of the coop | Coop",
                 "online": "https://visio.example/v"},
     ["Visit of the coop", "Halle de Crest", "https://visio.example/v", 'id="when"', 'id="programme"',
      'id="participation"']),
    ("outcome", {"lang": "en", "title": "Report", "summary": "What we learned.", "achievements": "A shared charter",
                 "feedback": "Calm *and* precise.", "participants": "Network A | https://a.example\nNetwork B",
                 "journey": "voyage-en-drome"},
     ["A shared charter", "Calm <em>and</em> precise.", "Network A", "Network B", 'id="feedback"',
      'id="participants"']),
])
async def test_the_preview_is_the_page_readers_will_see(organizer_client: TestClient, kind: str,
                                                        form: dict[str, str], shown: list[str]) -> None:
    if kind == "outcome":
        await post_form(organizer_client, "/desk/new/journey", JOURNEY)
    before = await row_counts(organizer_client.app[DB])
    resp = await post_form(organizer_client, f"/desk/new/{kind}", {**form, "action": "preview"})
    page = await resp.text()
    assert resp.status == 200, field_error(page, "")
    preview = _preview_part(page)
    assert f'<article class="publication {kind} with-side">' in preview
    assert [s for s in shown if s not in preview] == []
    assert await row_counts(organizer_client.app[DB]) == before


async def _count(client: TestClient, table: str) -> int:
    return int(await client.app[DB].fetch_value(f"SELECT count(*) FROM {table}"))


async def test_a_draft_is_saved_without_publishing_then_published_from_the_desk(
        organizer_client: TestClient) -> None:
    client = organizer_client
    before = {t: await _count(client, t) for t in ("objects", "activities", "deliveries")}
    half = {**PRACTICE, "summary": "", "results": "Not sure yet.", "action": "save_draft"}
    saved = await post_form(client, "/desk/new/practice", half)
    assert saved.status == 303 and saved.headers["Location"].startswith("/desk/drafts/")
    draft_path = saved.headers["Location"]
    assert {t: await _count(client, t) for t in before} == before  # nothing stored as an item, nothing sent
    desk = await (await client.get("/desk")).text()
    assert f'href="{draft_path}">A local currency</a>' in desk
    form = await (await client.get(draft_path)).text()
    assert "Not sure yet.</textarea>" in form and 'action="/desk/new/practice"' in form
    draft_id = draft_path.rsplit("/", 1)[1]
    assert f'name="draft_id" value="{draft_id}"' in form
    again = await post_form(client, "/desk/new/practice", {**half, "results": "It works.", "draft_id": draft_id},
                            token_from=draft_path)
    assert again.headers["Location"] == draft_path  # saved over, not a second draft
    assert await _count(client, "desk_drafts") == 1
    published = await post_form(client, "/desk/new/practice", {**PRACTICE, "draft_id": draft_id},
                                token_from=draft_path)
    assert published.status == 303 and published.headers["Location"].startswith("/desk?published=")
    assert await _count(client, "objects") == before["objects"] + 1
    assert await _count(client, "desk_drafts") == 0
    assert (await client.get(draft_path)).status == 404


async def test_an_edit_saved_as_draft_sends_no_update(organizer_client: TestClient) -> None:
    client = organizer_client
    assert (await post_form(client, "/desk/new/practice", PRACTICE)).status == 303
    activities = await _count(client, "activities")
    edit = "/desk/practice/a-local-currency/edit"
    saved = await post_form(client, edit, {**PRACTICE, "title": "A local currency, two years on",
                                           "action": "save_draft"})
    assert saved.status == 303 and await _count(client, "activities") == activities
    page = await (await client.get("/practices/a-local-currency")).text()
    assert "two years on" not in page
    form = await (await client.get(saved.headers["Location"])).text()
    assert f'action="{edit}"' in form and 'value="A local currency, two years on"' in form


async def test_a_draft_is_its_authors_and_deleted_only_when_confirmed(organizer_client: TestClient) -> None:
    client = organizer_client
    saved = await post_form(client, "/desk/new/journey", {**JOURNEY, "action": "save_draft"})
    draft_path = saved.headers["Location"]
    kept = await post_form(client, f"{draft_path}/delete", {}, token_from="/desk")
    assert kept.status == 303 and await _count(client, "desk_drafts") == 1
    client.session.cookie_jar.clear()
    await login(client)  # the admin: not the draft's author
    assert (await client.get(draft_path)).status == 404
    refused = await post_form(client, f"{draft_path}/delete", {"confirm": "on"}, token_from="/desk")
    assert refused.status == 404 and await _count(client, "desk_drafts") == 1
    client.session.cookie_jar.clear()
    await login(client, ORGANIZER, ORGANIZER_PASSWORD)
    gone = await post_form(client, f"{draft_path}/delete", {"confirm": "on"}, token_from="/desk")
    assert gone.status == 303 and await _count(client, "desk_drafts") == 0
