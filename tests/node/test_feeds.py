"""Feeds read back by real parsers: Atom with feedparser (what feed readers use), iCalendar with the
icalendar package (the times must land at the journey's wall time in its own zone)."""

from datetime import datetime
from typing import Any

import feedparser
import pytest
from aiohttp.test_utils import TestClient
from icalendar import Calendar

from node.accounts import get_actor
from node.appkeys import DB, URLS
from node.drafts import parse_markdown
from node.publishing import publish
from tests.support.examples import Example, publish_examples
from tests.support.node import publish_practice

BASE = "http://node.test"
Examples = dict[tuple[str, str], Example]


@pytest.fixture
async def examples(client: TestClient) -> Examples:
    return await publish_examples(client.app)


async def atom(client: TestClient, path: str, **headers: str) -> Any:
    resp = await client.get(path, headers=headers)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(await resp.read())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


async def ics(client: TestClient, path: str, **headers: str) -> tuple[Calendar, str]:
    resp = await client.get(path, headers=headers)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = await resp.read()
    return Calendar.from_ical(body), body.decode()


async def test_network_feed_lists_every_publication(client: TestClient, examples: Examples) -> None:
    feed = await atom(client, "/feed.atom")
    assert feed.feed.title == "Réseau test"
    assert feed.feed.id == f"{BASE}/feed.atom"
    assert {link.rel: link.href for link in feed.feed.links} == {"self": f"{BASE}/feed.atom", "alternate": f"{BASE}/"}
    assert feed.feed.updated_parsed is not None
    assert [e.id for e in feed.entries] == [examples[(k, "fr")].iri for k in ("outcome", "journey", "practice")]
    admin_name = await client.app[DB].fetch_value("SELECT name FROM actors WHERE username = 'admin'")
    for entry in feed.entries:
        ex = next(x for x in examples.values() if x.iri == entry.id and x.lang == "fr")
        assert entry.title == ex.meta["title"]
        assert entry.title_detail.language == "fr"
        assert entry.link == entry.id
        assert ex.meta["summary"].split()[0] in entry.summary  # the teaser, what Mastodon readers see too
        assert entry.content[0].type == "text/html"
        assert entry.updated_parsed is not None and entry.published_parsed is not None
        assert (entry.author, entry.author_detail.href) == (admin_name, f"{BASE}/users/admin")
        assert sorted(t.term for t in entry.tags) == sorted(ex.meta["themes"])
        assert all(t.scheme == f"{BASE}/tags/" for t in entry.tags)


@pytest.mark.parametrize("headers", [{"Accept-Language": "en"}, {"Cookie": "lang=en"}])
async def test_feed_in_the_readers_language(client: TestClient, examples: Examples, headers: dict[str, str]) -> None:
    feed = await atom(client, "/feed.atom", **headers)
    assert [e.title for e in feed.entries] == [examples[(k, "en")].meta["title"]
                                               for k in ("outcome", "journey", "practice")]
    assert {e.title_detail.language for e in feed.entries} == {"en"}
    assert feed.feed.title_detail.language == "en"


@pytest.mark.parametrize(("kind", "title"), [
    ("practice", "Réseau test — Pratiques"),
    ("journey", "Réseau test — Voyages apprenants"),
    ("outcome", "Réseau test — Comptes rendus"),
])
async def test_feed_per_type(client: TestClient, examples: Examples, kind: str, title: str) -> None:
    feed = await atom(client, f"/{kind}s.atom")
    assert feed.feed.title == title
    assert [e.id for e in feed.entries] == [examples[(kind, "fr")].iri]


async def test_empty_feed_is_valid(client: TestClient) -> None:
    feed = await atom(client, "/journeys.atom")
    assert feed.entries == [] and feed.feed.updated_parsed is not None


async def test_feed_carries_markup_as_text(client: TestClient) -> None:
    await publish_practice(client.app, title="<script>alert(1)</script> & co", body="<b>raw</b> *ok*")
    [entry] = (await atom(client, "/practices.atom")).entries
    assert entry.title == "<script>alert(1)</script> & co"
    assert "<em>ok</em>" in entry.content[0].value and "<b>" not in entry.content[0].value


def wall(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def test_journey_calendar_has_the_right_wall_time_and_zone(client: TestClient, examples: Examples) -> None:
    ex = examples[("journey", "fr")]
    meta = ex.meta
    calendar, text = await ics(client, f"/journeys/{ex.slug}.ics")
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == ex.iri
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    for moment, written in ((start, meta["start"]), (end, meta["end"])):
        assert str(moment.tzinfo) == meta["timezone"]
        assert moment.replace(tzinfo=None) == wall(written)
    assert f"DTSTART;TZID={meta['timezone']}:{wall(meta['start']):%Y%m%dT%H%M%S}" in text
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == meta["timezone"]
    assert str(event["SUMMARY"]) == meta["title"]
    location = str(event["LOCATION"])
    assert all(meta["location"][k] in location for k in ("name", "street", "locality"))
    assert tuple(event.decoded("GEO")) == (meta["location"]["latitude"], meta["location"]["longitude"])
    assert str(event["STATUS"]) == meta["status"].upper()
    assert str(event["URL"]) == ex.iri
    description = str(event["DESCRIPTION"])
    assert ex.iri in description and meta["summary"].split()[0] in description
    assert all(item["title"] in description for item in meta["programme"])
    assert sorted(str(c) for c in event["CATEGORIES"].cats) == sorted(meta["themes"])


async def test_journey_calendar_in_english(client: TestClient, examples: Examples) -> None:
    ex = examples[("journey", "en")]
    calendar, _ = await ics(client, f"/journeys/{ex.slug}.ics?lang=en")
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == ex.meta["title"]
    assert event["SUMMARY"].params["LANGUAGE"] == "en"


def journey(slug: str, *, start: str, zone: str, status: str, where: str) -> str:
    return (f"---\ntype: journey\nslug: {slug}\ntitle: Voyage {slug}\nsummary: Un voyage.\nstart: {start}\n"
            f"end: 17:00\ntimezone: {zone}\nstatus: {status}\n{where}\n---\nLe programme.\n")


async def test_all_journeys_calendar(client: TestClient, examples: Examples) -> None:
    author = await get_actor(client.app[DB], "admin")
    assert author is not None
    for text in (journey("passe", start="2020-03-01 10:00", zone="America/Montreal", status="confirmed",
                         where="location: Maison des coopératives"),
                 journey("annule", start="2031-06-01 09:00", zone="Europe/Paris", status="cancelled",
                         where="online: https://visio.example/annule"),
                 journey("peut-etre", start="2030-01-15 08:30", zone="Asia/Tokyo", status="tentative",
                         where="online: https://visio.example/tokyo")):
        await publish(client.app[DB], client.app[URLS], network="reseau", author=author,
                      draft=parse_markdown(text, default_lang="fr"))
    calendar, text = await ics(client, "/journeys.ics")
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [
        f"{BASE}/journeys/passe", examples[("journey", "fr")].iri, f"{BASE}/journeys/peut-etre",
        f"{BASE}/journeys/annule"]  # past ones too, by date
    by_uid = {str(e["UID"]).rsplit("/", 1)[-1]: e for e in events}
    assert str(by_uid["annule"]["STATUS"]) == "CANCELLED"
    assert str(by_uid["peut-etre"]["STATUS"]) == "TENTATIVE"
    assert str(by_uid["peut-etre"]["LOCATION"]) == "https://visio.example/tokyo"  # online only
    assert "GEO" not in by_uid["peut-etre"]
    tokyo = by_uid["peut-etre"].decoded("DTSTART")
    assert (str(tokyo.tzinfo), tokyo.hour, tokyo.minute) == ("Asia/Tokyo", 8, 30)
    assert {str(z["TZID"]) for z in calendar.walk("VTIMEZONE")} == {"America/Montreal", "Europe/Paris", "Asia/Tokyo"}
    assert "X-WR-CALNAME:Réseau test" in text


@pytest.mark.parametrize("path", ["/journeys/nothing.ics", "/practices/nothing.ics"])
async def test_unknown_calendar_is_404(client: TestClient, path: str) -> None:
    assert (await client.get(path)).status == 404
