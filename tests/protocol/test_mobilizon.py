"""Mobilizon interop, both ways: a Mobilizon 5.1 Event, Join and Leave (tests/fixtures/mobilizon/, see its
README) read by us after compaction, and our journey Event read the way Mobilizon reads a remote one."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from protocol.activities import parse_activity
from protocol.attachments import Attachment
from protocol.journeys import JourneyDetails, ProgrammeItem, build_journey_details, parse_journey_details
from protocol.jsonld import AS_PUBLIC, compact
from protocol.objects import Publication, Translation, build_object
from protocol.places import Address, Place
from tests.support.ld import BASE, LANGS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mobilizon"
JOURNEY_IRI = "https://maillage.example/journeys/monnaies-locales-2027"


def fixture(name: str) -> dict[str, Any]:
    document = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


# --- Mobilizon -> us -------------------------------------------------------------------------------


def test_we_read_a_mobilizon_event_fully() -> None:
    event = compact(fixture("event"))
    assert "schema:location" in event  # Mobilizon maps `location` to schema.org, not to AS2
    parsed = parse_journey_details(event, "fr")
    assert parsed == JourneyDetails(
        start_time="2027-05-20T09:30:00+02:00", end_time="2027-05-20T17:30:00+02:00", timezone="Europe/Paris",
        location=Place(
            name="Maison de l'économie solidaire",
            address=Address(street="12 rue de la Coopération", postal_code="69007", locality="Lyon",
                            region="Auvergne-Rhône-Alpes", country="France"),
            latitude=45.7485, longitude=4.8422,
            iri="https://mobilizon.example/address/0b7e4c1d-6a2f-4d3e-8b9a-1c2d3e4f5a6b",
        ),
        online_url="https://visio.example/rencontre-monnaies",
        capacity=40, participant_count=27, join_mode="restricted", status="TENTATIVE", comments_enabled=True,
        # The banner picture is an attachment (named "Banner"); the PropertyValue metadata and the online
        # address Link are not.
        attachments=(Attachment("https://mobilizon.example/media/8f3b1c0e2a5d4f6b9c7e1a2d3b4c5d6e.jpg",
                                "image/jpeg", {"fr": "Banner"}),),
    )


def test_a_mobilizon_event_without_limit_or_place() -> None:
    event = fixture("event")
    event.update(maximumAttendeeCapacity=0, remainingAttendeeCapacity=None, isOnline=True, joinMode="invite")
    del event["location"]
    parsed = parse_journey_details(compact(event), "fr")
    assert parsed is not None
    assert (parsed.capacity, parsed.location, parsed.join_mode) == (None, None, "free")
    assert parsed.online_url == "https://visio.example/rencontre-monnaies"


def test_a_mobilizon_join_keeps_its_participation_message() -> None:
    join = compact(fixture("join"))
    activity = parse_activity(join)
    assert (activity.type, activity.actor, activity.object and activity.object.iri) == (
        "Join", "https://mobilizon.example/@lucia", JOURNEY_IRI)
    assert join["participationMessage"].startswith("Je porte la monnaie locale de Valence")
    assert activity.to == ("https://mobilizon.example/@lucia", "https://maillage.example/users/admin")


def test_a_mobilizon_leave() -> None:
    activity = parse_activity(compact(fixture("leave")))
    assert (activity.type, activity.actor, activity.object and activity.object.iri) == (
        "Leave", "https://mobilizon.example/@lucia", JOURNEY_IRI)
    assert activity.iri.startswith("https://mobilizon.example/leave/event/")


# --- us -> Mobilizon -------------------------------------------------------------------------------


def mobilizon_reads(event: dict[str, Any]) -> dict[str, Any]:
    """What Mobilizon 5.1's Converter.Event.as_to_model_data and Converter.Address.as_to_model_data take
    from a remote Event, by the same keys: Mobilizon reads the JSON as received, without compaction."""
    location = event.get("location")
    address: dict[str, Any] | None = None
    if isinstance(location, dict):
        postal = location.get("address") if isinstance(location.get("address"), dict) else {}
        lat, lon = location.get("latitude"), location.get("longitude")
        address = {"description": location.get("name"), "url": location.get("id"),
                   "street": postal.get("streetAddress"), "postal_code": postal.get("postalCode"),
                   "locality": postal.get("addressLocality"), "region": postal.get("addressRegion"),
                   "country": postal.get("addressCountry"),
                   "geom": (lon, lat) if isinstance(lat, float) and isinstance(lon, float) else None}
    online = next((a["href"] for a in event.get("attachment", []) if a.get("type") == "Link" and "href" in a
                   and a.get("mediaType") == "text/html" and a.get("name") == "Website"), None)
    geom = address and address["geom"]
    return {
        "title": event["name"], "description": event["content"], "begins_on": event["startTime"],
        "ends_on": event.get("endTime"), "join_options": event.get("joinMode", "free"),
        "external_participation_url": event.get("externalParticipationUrl"),
        "status": event.get("status", event.get("ical:status", "CONFIRMED")).lower(),
        "online_address": online, "draft": event.get("draft") is True, "url": event["id"],
        "language": event.get("inLanguage"), "category": event.get("category"),
        "visibility": "public" if AS_PUBLIC in event["to"] else "unlisted",
        "options": {
            "maximum_attendee_capacity": event.get("maximumAttendeeCapacity"),
            "anonymous_participation": event.get("anonymousParticipationEnabled"),
            "comment_moderation": event.get("repliesModerationOption",
                                            "allow_all" if event.get("commentsEnabled", True) else "closed"),
            "timezone": event.get("timezone") if geom else None,  # calculate_timezone/2 needs the address geom
            "is_online": event.get("isOnline") is True,
        },
        "address": address,
    }


JOURNEY = JourneyDetails(
    start_time="2027-05-20T09:30:00+02:00", end_time="2027-05-20T17:30:00+02:00", timezone="Europe/Paris",
    location=Place(name="Halle de Crest", address=Address("Place du Marché", "26400", "Crest",
                                                          "Auvergne-Rhône-Alpes", "France"),
                   latitude=44.7282, longitude=5.0224),
    online_url="https://visio.example/voyage-drome", capacity=30, participant_count=12, join_mode="external",
    external_url="https://inscriptions.example/voyage-drome", status="TENTATIVE", comments_enabled=False,
    programme=(ProgrammeItem({"fr": "Visite"}, "2027-05-20T10:30:00+02:00"),),
)
TITLES = {"fr": "Voyage apprenant en Drôme", "en": "Learning journey in the Drôme",
          "es": "Viaje de aprendizaje en el Drôme"}


def our_event(details: JourneyDetails, lang: str) -> dict[str, Any]:
    """A journey Event as a node publishes it: protocol.objects.build_object with the journey's terms."""
    return build_object(Publication(
        iri=f"{BASE}/journeys/voyage-drome", type="Event", attributed_to=f"{BASE}/users/admin",
        url=f"{BASE}/journeys/voyage-drome", published="2027-04-01T08:00:00Z", default_lang=lang,
        translations=tuple(Translation(code, TITLES[code], "…", f"<p>{TITLES[code]}</p>") for code in LANGS),
        to=(AS_PUBLIC,), cc=(f"{BASE}/users/admin/followers",), extra=build_journey_details(details, lang),
    ))


@pytest.mark.parametrize("lang", LANGS)
def test_mobilizon_reads_every_field_of_our_event(lang: str) -> None:
    read = mobilizon_reads(our_event(JOURNEY, lang))
    assert read == {
        "title": TITLES[lang], "description": f"<p>{TITLES[lang]}</p>", "begins_on": JOURNEY.start_time,
        "ends_on": JOURNEY.end_time, "join_options": "external",
        "external_participation_url": "https://inscriptions.example/voyage-drome", "status": "tentative",
        "online_address": "https://visio.example/voyage-drome", "draft": False,
        "url": f"{BASE}/journeys/voyage-drome", "language": lang, "category": "MEETING", "visibility": "public",
        "options": {"maximum_attendee_capacity": 30, "anonymous_participation": False,
                    "comment_moderation": "closed", "timezone": "Europe/Paris", "is_online": False},
        "address": {"description": "Halle de Crest", "url": None, "street": "Place du Marché",
                    "postal_code": "26400", "locality": "Crest", "region": "Auvergne-Rhône-Alpes",
                    "country": "France", "geom": (5.0224, 44.7282)},
    }
    # Ecto casts startTime with its offset: the instant is the one we meant.
    assert datetime.fromisoformat(read["begins_on"]) == datetime.fromisoformat("2027-05-20T07:30:00+00:00")


def test_mobilizon_reads_an_online_journey_with_free_participation() -> None:
    journey = JourneyDetails(start_time="2027-06-03T18:00:00-03:00", timezone="America/Sao_Paulo",
                             online_url="https://visio.example/ess")
    read = mobilizon_reads(our_event(journey, "es"))
    assert (read["join_options"], read["status"], read["online_address"], read["address"]) == (
        "free", "confirmed", "https://visio.example/ess", None)
    assert read["options"]["is_online"] is True and read["options"]["maximum_attendee_capacity"] is None
    assert read["options"]["comment_moderation"] == "allow_all"


def test_our_event_read_back_by_us_after_mobilizon_style_context() -> None:
    # A Mobilizon server that re-serves our event uses its own context (location -> schema.org).
    event = our_event(JOURNEY, "fr")
    event["@context"] = fixture("event")["@context"]
    assert parse_journey_details(compact(event), "fr") == JOURNEY
