"""Item pages as a reader sees them: one complete example of each type in two languages (docs/examples/,
published from Markdown), every section on its page, the reader's language, remote replies rendered
inert, and the documents hanging off items: RSVP Question, replies, programme, Tombstones."""

from datetime import datetime
from typing import Any

import markupsafe
import pytest
from aiohttp.test_utils import TestClient
from babel.dates import format_date, format_time

from node import clock
from node.accounts import get_actor
from node.appkeys import DB, URLS
from node.drafts import parse_markdown
from node.page_images import image_key
from node.publishing import delete, publish
from node.render import markdown_to_html
from tests.support.examples import Example, get_page, publish_examples
from tests.support.node import get_as2

BASE = "http://node.test"
Examples = dict[tuple[str, str], Example]


def esc(text: Any) -> str:
    return str(markupsafe.escape(str(text).strip()))


def section(html: str, ident: str) -> str:
    start = html.index(f'<section id="{ident}">')
    return html[start:html.index("</section>", start)]


def wall_time(value: Any) -> datetime:
    """A front matter date-time as the organizer wrote it (wall time, no zone)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def publish_md(client: TestClient, text: str) -> str:
    author = await get_actor(client.app[DB], "admin")
    assert author is not None
    result = await publish(client.app[DB], client.app[URLS], network="reseau", author=author,
                           draft=parse_markdown(text, default_lang="fr"))
    return result.iri


@pytest.fixture
async def examples(client: TestClient) -> Examples:
    return await publish_examples(client.app)


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_practice_page_shows_every_section(client: TestClient, examples: Examples, lang: str) -> None:
    ex = examples[("practice", lang)]
    meta = ex.meta
    html = await get_page(client, f"/practices/{ex.slug}?lang={lang}&ui={lang}")  # text and interface
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{esc(meta['title'])}</h1>" in html
    assert esc(meta["summary"]) in html  # after the territory and themes of the teaser
    assert markdown_to_html(ex.body.strip()) in html
    territory = section(html, "territory")
    assert esc(meta["territory"]["name"]) in territory and esc(meta["territory"]["locality"]) in territory
    lat, lon = meta["territory"]["latitude"], meta["territory"]["longitude"]
    assert f"https://www.openstreetmap.org/?mlat={lat}&amp;mlon={lon}#map=16/{lat}/{lon}" in territory
    themes = section(html, "themes")
    for theme in meta["themes"]:
        assert f'<a href="{BASE}/tags/{theme}">#{theme}</a>' in themes
    stakeholders = section(html, "stakeholders")
    for s in meta["stakeholders"]:
        assert esc(s["name"]) in stakeholders and esc(s["role"]) in stakeholders
        if s.get("url"):
            assert f'<a href="{s["url"]}" rel="nofollow noopener">{esc(s["name"])}</a>' in stakeholders
    for key in ("needs", "results", "lessons", "transferability"):
        assert markdown_to_html(meta[key].strip()) in section(html, key), key
    resources = section(html, "resources")
    monetary = {"fr": ("Monétaire", "Non monétaire"), "en": ("Monetary", "Non-monetary")}[lang]
    for r in meta["resources"]:
        assert esc(r["label"]) in resources
    assert all(label in resources for label in monetary)
    contact = section(html, "contact")
    c = meta["contact"]
    assert esc(c["name"]) in contact and f'href="mailto:{c["email"]}"' in contact and f'href="{c["url"]}"' in contact
    attachments = section(html, "attachments")
    cover = next(a for a in meta["attachments"] if a.get("alt"))  # the first image: at the top of the page
    for a in meta["attachments"]:
        if a is cover:  # served from here (node/page_images.py)
            assert (f'<img src="/practices/{ex.slug}/images/{image_key(a["url"])}" class="cover" alt="{esc(a["alt"])}"'
                    in html.split('<div class="item-body">')[0])
        elif a.get("alt"):
            assert f'<img src="/practices/{ex.slug}/images/{image_key(a["url"])}" alt="{esc(a["alt"])}"' in attachments
        else:
            assert f'<a href="{a["url"]}"' in attachments
    assert f'<a href="{meta["license"]}" rel="license">' in html


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_journey_page_shows_every_section(client: TestClient, examples: Examples, lang: str) -> None:
    ex = examples[("journey", lang)]
    meta = ex.meta
    html = await get_page(client, f"/journeys/{ex.slug}?lang={lang}&ui={lang}")
    assert f"<h1>{esc(meta['title'])}</h1>" in html
    start, end = wall_time(meta["start"]), wall_time(meta["end"])
    when = section(html, "when")
    # The event's own wall time, formatted for the reader's locale, with its zone.
    assert f"{format_date(start, 'full', locale=lang)}, {format_time(start, 'short', locale=lang)}</time>" in when
    assert f"{format_time(end, 'short', locale=lang)}</time>" in when
    assert meta["timezone"] in when
    assert f'href="/journeys/{ex.slug}.ics"' in when
    where = section(html, "where")
    location = meta["location"]
    assert esc(location["name"]) in where and esc(location["street"]) in where
    assert f"mlat={location['latitude']}&amp;mlon={location['longitude']}" in where
    assert f'href="{meta["online"]}"' in where
    participation = section(html, "participation")
    assert f"<strong>{meta['capacity']}</strong>" in participation
    assert "@reseau@node.test" in participation and f'href="{ex.iri}/rsvp"' in participation
    assert "Mobilizon" in participation
    programme = section(html, "programme")
    for item in meta["programme"]:
        assert esc(item["title"]) in programme
        if item.get("host"):
            assert esc(item["host"]) in programme
    assert f'<a href="{BASE}/programmes/{meta["cycle"]}">' in html
    outcome = examples[("outcome", lang)]
    assert f'<a href="{outcome.iri}">{esc(outcome.meta["title"])}</a>' in section(html, "outcomes")
    assert f'type="text/calendar" href="{BASE}/journeys/{ex.slug}.ics"' in html
    for a in meta.get("attachments", []):
        if a.get("alt"):  # an image from here: the first is the cover, at the top
            assert f'<img src="/journeys/{ex.slug}/images/{image_key(a["url"])}" class="cover"' in html
        else:
            assert a["url"] in section(html, "attachments")


async def test_journey_page_counts_participants_and_seats(client: TestClient, examples: Examples) -> None:
    ex = examples[("journey", "fr")]
    journey_id = await client.app[DB].fetch_value("SELECT id FROM objects WHERE iri = ?", (ex.iri,))
    async with client.app[DB].transaction() as tx:
        for n, state in enumerate(("going", "going", "maybe", "pending")):
            await tx.execute("INSERT INTO participations (object_id, actor_iri, state, source, created_at, updated_at)"
                             " VALUES (?, ?, ?, 'join', ?, ?)", (journey_id, f"https://x.example/u/{n}", state,
                                                                  clock.iso(), clock.iso()))
    participation = section(await get_page(client, f"/journeys/{ex.slug}?ui=en"), "participation")
    capacity = int(ex.meta["capacity"])
    assert f"Capacity: <strong>{capacity}</strong>" in participation
    assert "Participants: <strong>2</strong>" in participation
    assert f"Seats left: <strong>{capacity - 2}</strong>" in participation
    assert "Maybe: 1" in participation


JOURNEY = """---
type: journey
slug: {slug}
lang: fr
title: Voyage {slug}
summary: Un voyage.
start: 2027-09-09 14:00
timezone: America/Montreal
location: Maison des coopératives
join_mode: {join_mode}
status: {status}
cycle: {cycle}
{extra}---
Le programme.
"""


async def test_cancelled_journey_is_shown_prominently_and_takes_no_participants(client: TestClient) -> None:
    await publish_md(client, JOURNEY.format(slug="annule", join_mode="free", status="cancelled", cycle="c", extra=""))
    html = await get_page(client, "/journeys/annule")
    assert '<p class="status status-cancelled" role="alert"><strong>Annulé</strong>' in html
    assert html.index("status-cancelled") < html.index("<h1>")
    assert "how-to-join" not in html
    assert "America/Montreal" in section(html, "when") and "14:00" in section(html, "when")


async def test_tentative_and_external_journeys_say_how_to_join(client: TestClient) -> None:
    await publish_md(client, JOURNEY.format(slug="externe", join_mode="external", status="tentative", cycle="c",
                                            extra="external_url: https://inscriptions.example/v\n"))
    html = await get_page(client, "/journeys/externe", **{"Accept-Language": "en"})
    assert "<strong>To be confirmed</strong>" in html
    participation = section(html, "participation")
    assert "Registration is on the organizers’ site:" in participation
    assert 'href="https://inscriptions.example/v"' in participation


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_outcome_page_shows_every_section(client: TestClient, examples: Examples, lang: str) -> None:
    ex = examples[("outcome", lang)]
    meta = ex.meta
    journey = examples[("journey", lang)]
    html = await get_page(client, f"/outcomes/{ex.slug}?lang={lang}")
    assert f"<h1>{esc(meta['title'])}</h1>" in html
    assert f'<a href="{journey.iri}">{esc(journey.meta["title"])}</a>' in html
    assert markdown_to_html(meta["feedback"].strip()) in section(html, "feedback")
    for key, ident in (("achievements", "achievements"), ("new_initiatives", "newInitiatives"), ("issues", "issues"),
                       ("goals", "goals"), ("next_steps", "nextSteps")):
        listed = section(html, ident)
        assert all(f"<li>{esc(item)}</li>" in listed for item in meta[key]), key
    participants = section(html, "participants")
    for p in meta["participants"]:
        assert esc(p if isinstance(p, str) else p["name"]) in participants
        if isinstance(p, dict) and p.get("url"):
            assert f'href="{p["url"]}"' in participants


async def test_language_follows_query_then_cookie_then_accept_language(client: TestClient,
                                                                       examples: Examples) -> None:
    fr, en = examples[("practice", "fr")], examples[("practice", "en")]
    path = f"/practices/{fr.slug}"
    title = {lang: f"<h1>{esc(examples[('practice', lang)].meta['title'])}</h1>" for lang in ("fr", "en")}
    html = await get_page(client, path)
    assert '<html lang="fr">' in html and title["fr"] in html  # the node's default language
    for lang in ("fr", "en"):  # every translation is announced to search engines and readers
        assert f'<link rel="alternate" hreflang="{lang}" href="{BASE}{path}?lang={lang}">' in html
    assert '<a href="?lang=en" hreflang="en" lang="en" rel="alternate">English</a>' in html

    html = await get_page(client, path, **{"Accept-Language": "de, en;q=0.8, fr;q=0.5"})
    assert '<html lang="en">' in html and title["en"] in html
    html = await get_page(client, path, **{"Accept-Language": "de"})
    assert '<html lang="fr">' in html and title["fr"] in html

    resp = await client.get(f"{path}?lang=en", headers={"Accept-Language": "fr"})  # the text only
    assert title["en"] in await resp.text() and "lang" not in resp.cookies
    resp = await client.get(f"{path}?ui=en", headers={"Accept-Language": "fr"})  # the language switcher
    assert title["en"] in await resp.text()
    assert resp.headers["Vary"] == "Accept, Accept-Language, Cookie"
    cookie = resp.cookies["lang"]
    assert (cookie.value, cookie["samesite"], cookie["path"]) == ("en", "Lax", "/")
    assert cookie["httponly"] and not cookie["secure"]  # http://node.test: no Secure flag
    html = await get_page(client, path, **{"Accept-Language": "fr"})  # the cookie beats Accept-Language
    assert '<html lang="en">' in html and title["en"] in html
    html = await get_page(client, f"{path}?lang=fr")  # the query beats the cookie, for the text only
    assert title["fr"] in html and '<html lang="en">' in html
    html = await get_page(client, f"{path}?ui=fr")  # the switcher beats the cookie, and replaces it
    assert title["fr"] in html and '<html lang="fr">' in html
    assert client.session.cookie_jar.filter_cookies(client.make_url("/"))["lang"].value == "fr"
    assert en.slug == fr.slug


async def test_interface_and_content_languages_can_differ(client: TestClient, examples: Examples) -> None:
    """Spanish reader, no Spanish translation: Spanish interface, English text marked as English."""
    ex = examples[("practice", "en")]
    html = await get_page(client, f"/practices/{ex.slug}", **{"Accept-Language": "es, en;q=0.8"})
    assert '<html lang="es">' in html
    assert f'<hgroup lang="en">\n    <h1>{esc(ex.meta["title"])}</h1>' in html
    assert "<h2>Territorio</h2>" in html and "<h2>Comentarios</h2>" in html
    assert (await client.get(f"/practices/{ex.slug}?lang=xx")).cookies.get("lang") is None  # not on offer


async def test_home_and_tag_pages_follow_the_reader_and_link_the_feeds(client: TestClient,
                                                                       examples: Examples) -> None:
    html = await get_page(client, "/", **{"Accept-Language": "en"})
    assert '<html lang="en">' in html
    assert f"{esc(examples[('journey', 'en')].meta['title'])}</a>" in html
    for feed in ("feed", "practices", "journeys", "outcomes"):
        assert f'<link rel="alternate" type="application/atom+xml" href="{BASE}/{feed}.atom"' in html
        assert f'href="/{feed}.atom"' in html
    assert f'<link rel="alternate" type="text/calendar" href="{BASE}/journeys.ics"' in html
    practice = await get_page(client, f"/practices/{examples[('practice', 'fr')].slug}")
    assert f'<link rel="alternate" type="application/atom+xml" href="{BASE}/practices.atom"' in practice



async def test_rsvp_question_document(client: TestClient, examples: Examples) -> None:
    journey = examples[("journey", "fr")].iri
    resp = await client.get(f"/journeys/{examples[('journey', 'fr')].slug}/rsvp", headers={"Accept": "text/html"})
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/activity+json; charset=utf-8"  # always AS2
    doc = await resp.json(content_type=None)
    assert doc["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert (doc["id"], doc["type"], doc["attributedTo"]) == (f"{journey}/rsvp", "Question", f"{BASE}/users/reseau")
    assert (doc["context"], doc["url"]) == (journey, journey)
    assert [o["name"] for o in doc["oneOf"]] == ["Je viens", "Peut-être", "Je ne viens pas"]
    assert all(o["type"] == "Note" and o["replies"] == {"type": "Collection", "totalItems": 0} for o in doc["oneOf"])
    event = await (await get_as2(client, journey)).json(content_type=None)
    assert doc["endTime"] == event["startTime"]  # voting closes when the journey starts
    assert event["rsvp"] == doc["id"]
    assert doc["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert doc["cc"] == [f"{BASE}/users/reseau/followers"]
    assert (await client.get("/journeys/nothing/rsvp")).status == 404



async def test_programme_collection_orders_journeys_and_outcomes_by_date(client: TestClient,
                                                                          examples: Examples) -> None:
    drome = examples[("journey", "fr")]
    cycle = drome.meta["cycle"]
    later = JOURNEY.format(slug="rencontre-nationale", join_mode="free", status="confirmed", cycle=cycle, extra="")
    earlier = JOURNEY.format(slug="lancement", join_mode="free", status="confirmed", cycle=cycle, extra="")
    await publish_md(client, later.replace("2027-09-09", "2099-11-18"))
    await publish_md(client, earlier.replace("2027-09-09", "2001-02-01"))
    await publish_md(client, JOURNEY.format(slug="ailleurs", join_mode="free", status="confirmed", cycle="autre",
                                            extra=""))
    resp = await get_as2(client, f"{BASE}/programmes/{cycle}")
    assert resp.status == 200 and resp.headers["Vary"] == "Accept"
    doc = await resp.json(content_type=None)
    assert (doc["id"], doc["type"], doc["name"]) == (f"{BASE}/programmes/{cycle}", "OrderedCollection", cycle)
    assert doc["orderedItems"] == [f"{BASE}/journeys/lancement", drome.iri, examples[("outcome", "fr")].iri,
                                   f"{BASE}/journeys/rencontre-nationale"]
    assert doc["totalItems"] == 4
    event = await (await get_as2(client, drome.iri)).json(content_type=None)
    assert event["context"] == doc["id"]
    html = await get_page(client, f"/programmes/{cycle}", **{"Accept-Language": "en"})
    assert f"<h1>{cycle}</h1>" in html
    assert html.index("/journeys/lancement") < html.index(drome.iri) < html.index("/journeys/rencontre-nationale")
    assert f'<a href="{examples[("outcome", "en")].iri}">{esc(examples[("outcome", "en")].meta["title"])}</a>' in html
    assert "/journeys/ailleurs" not in html
    assert (await client.get("/programmes/nothing")).status == 404


async def test_deleted_journey_is_a_tombstone_everywhere(client: TestClient, examples: Examples) -> None:
    ex = examples[("journey", "fr")]
    admin = await get_actor(client.app[DB], "admin")
    assert admin is not None
    await delete(client.app[DB], client.app[URLS], network="reseau", author=admin, kind="journey", slug=ex.slug)
    resp = await get_as2(client, ex.iri)
    assert resp.status == 410
    doc = await resp.json(content_type=None)
    assert (doc["id"], doc["type"], doc["formerType"]) == (ex.iri, "Tombstone", "Event")
    assert doc["deleted"].endswith("Z")
    resp = await client.get(f"/journeys/{ex.slug}", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert resp.status == 410 and resp.headers["Content-Type"] == "text/html; charset=utf-8"
    html = await resp.text()
    assert "This page was deleted" in html and esc(ex.meta["title"]) not in html
    rsvp = await client.get(f"/journeys/{ex.slug}/rsvp")
    assert rsvp.status == 410 and (await rsvp.json(content_type=None))["formerType"] == "Question"
    assert (await client.get(f"/journeys/{ex.slug}/replies")).status == 410
    outcome = await get_page(client, f"/outcomes/{examples[('outcome', 'fr')].slug}")
    assert f'href="{ex.iri}"' not in outcome  # no link to a page that is gone
    for path in ("/", "/feed.atom", "/journeys.ics", f"/programmes/{ex.meta['cycle']}"):
        assert ex.iri not in await (await client.get(path)).text(), path
