"""Learning journeys (AS2 `Event`): build -> JSON-LD -> parse in French, English and Spanish, capacity
and status rules, and the parser's tolerance. Mobilizon interop is in test_mobilizon.py."""

import zoneinfo
from typing import Any

import pytest
from hypothesis import given

from protocol.attachments import Attachment
from protocol.journeys import (
    JOIN_MODES,
    STATUSES,
    JourneyDetails,
    ProgrammeItem,
    build_journey_details,
    is_datetime,
    parse_journey_details,
)
from protocol.places import Address, Place
from tests.support.ld import BASE, DOCS, LANGS, PATHS, SLOW_KEY, TOTALITY, through_jsonld, undefined_terms

FARM = Place(name="Ferme de la Clastre", address=Address(street="Chemin de la Clastre", postal_code="26400",
                                                         locality="Crest", country="France"),
             latitude=44.7316, longitude=5.0101)
HALL = Place(name="Halle de Crest", address=Address(locality="Crest"), latitude=44.7282, longitude=5.0224)


def _item(fr: str, en: str, es: str, start: str | None, end: str | None, host: str | None,
          place: Place | None = None) -> ProgrammeItem:
    return ProgrammeItem({"fr": fr, "en": en, "es": es}, start, end, host, place)


JOURNEY = JourneyDetails(
    start_time="2027-05-20T09:30:00+02:00", end_time="2027-05-21T17:00:00+02:00", timezone="Europe/Paris",
    location=HALL, online_url="https://visio.example/voyage-drome",
    programme=(
        _item("Accueil et tour de table", "Welcome and introductions", "Bienvenida y presentaciones",
              "2027-05-20T09:30:00+02:00", "2027-05-20T10:00:00+02:00", "Réseau ESS Drôme"),
        _item("Visite de la ferme et du groupement d'achat", "Visit of the farm and the purchasing group",
              "Visita de la granja y del grupo de compra", "2027-05-20T10:30:00+02:00", "2027-05-20T12:30:00+02:00",
              "Les Paysans du Val", FARM),
        _item("Débat : monnaie locale et souveraineté alimentaire", "Debate: local currency and food sovereignty",
              "Debate: moneda local y soberanía alimentaria", "2027-05-20T14:00:00+02:00", None, "La Luciole"),
        _item("Bilan d'étape", "Stock-taking", "Balance intermedio", None, None, None),
    ),
    capacity=30, participant_count=12, join_mode="restricted", status="TENTATIVE",
    rsvp_iri=f"{BASE}/journeys/drome-2027/rsvp", programme_iri=f"{BASE}/programmes/cycle-2027-2028",
    comments_enabled=False,
    attachments=(Attachment(f"{BASE}/media/programme.pdf", "application/pdf"),
                 Attachment(f"{BASE}/media/halle.jpg", "image/jpeg", {"fr": "La halle de Crest un jour de marché",
                                                                      "en": "Crest market hall on market day",
                                                                      "es": "El mercado cubierto de Crest"})),
)
ONLINE = JourneyDetails(start_time="2027-06-03T18:00:00-03:00", end_time="2027-06-03T20:00:00-03:00",
                        timezone="America/Sao_Paulo", online_url="https://visio.example/economia-solidaria",
                        join_mode="external", external_url="https://inscricoes.example/economia-solidaria")


@PATHS
@pytest.mark.parametrize("lang", LANGS)
def test_round_trip(lang: str, slow: bool) -> None:
    doc = through_jsonld(build_journey_details(JOURNEY, lang), slow=slow, kind="Event")
    assert parse_journey_details(doc, lang) == JOURNEY


@PATHS
@pytest.mark.parametrize("lang", LANGS)
def test_round_trip_online_and_external(lang: str, slow: bool) -> None:
    doc = through_jsonld(build_journey_details(ONLINE, lang), slow=slow, kind="Event")
    assert parse_journey_details(doc, lang) == ONLINE


@PATHS
def test_round_trip_with_a_single_programme_item(slow: bool) -> None:
    # pyld compacts one-item lists (subEvent, attachment) to the item itself.
    journey = JourneyDetails(start_time="2027-05-20T09:30:00Z", timezone="UTC", location=Place(name="Crest"),
                             programme=(ProgrammeItem({"es": "Visita"}, host="Cooperativa"),), capacity=1)
    doc = through_jsonld(build_journey_details(journey, "es"), slow=slow, kind="Event")
    assert parse_journey_details(doc, "es") == journey


def test_status_is_sent_both_ways_and_terms_are_defined() -> None:
    doc = build_journey_details(JOURNEY, "fr")
    assert doc[SLOW_KEY] == doc["status"] == "TENTATIVE"
    assert undefined_terms(doc) == set()
    assert doc["subEvent"][1] == {
        "type": "Event", "name": "Visite de la ferme et du groupement d'achat",
        "nameMap": dict(JOURNEY.programme[1].title), "startTime": "2027-05-20T10:30:00+02:00",
        "endTime": "2027-05-20T12:30:00+02:00", "organizer": {"type": "Organization", "name": "Les Paysans du Val"},
        "location": doc["subEvent"][1]["location"],
    }
    assert (doc["maximumAttendeeCapacity"], doc["remainingAttendeeCapacity"], doc["participantCount"]) == (30, 18, 12)
    assert (doc["isOnline"], doc["commentsEnabled"], doc["repliesModerationOption"]) == (False, False, "closed")
    assert doc["attachment"][-1] == {"type": "Link", "name": "Website", "mediaType": "text/html",
                                     "href": JOURNEY.online_url}
    assert "externalParticipationUrl" not in doc


def test_programme_item_named_in_the_default_language_or_any() -> None:
    journey = JourneyDetails(start_time="2027-05-20T09:30:00Z", timezone="UTC",
                             programme=(ProgrammeItem({"es": "Visita", "en": "Visit"}),))
    assert build_journey_details(journey, "en")["subEvent"][0]["name"] == "Visit"
    assert build_journey_details(journey, "fr")["subEvent"][0]["name"] == "Visita"


@pytest.mark.parametrize(("capacity", "count", "remaining", "full"), [
    (None, 500, None, False), (30, 0, 30, False), (30, 29, 1, False), (30, 30, 0, True), (30, 41, 0, True),
])
def test_capacity(capacity: int | None, count: int, remaining: int | None, full: bool) -> None:
    journey = JourneyDetails(start_time="2027-05-20T09:30:00Z", timezone="UTC", capacity=capacity,
                             participant_count=count)
    assert (journey.remaining_capacity, journey.is_full) == (remaining, full)
    doc = build_journey_details(journey, "fr")
    assert doc.get("remainingAttendeeCapacity") == remaining and doc["participantCount"] == count
    assert ("maximumAttendeeCapacity" in doc) is (capacity is not None)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"ical:status": "cancelled"}, "CANCELLED"),
    ({"status": "Tentative"}, "TENTATIVE"),
    ({"ical:status": "CONFIRMED", "status": "CANCELLED"}, "CONFIRMED"),
    ({"status": "POSTPONED"}, "CONFIRMED"),
    ({"status": ["CANCELLED"]}, "CONFIRMED"),
    ({}, "CONFIRMED"),
])
def test_status(fields: dict[str, Any], expected: str) -> None:
    parsed = parse_journey_details({"startTime": "2027-05-20T09:30:00Z", **fields}, "fr")
    assert parsed is not None and parsed.status == expected and expected in STATUSES


@pytest.mark.parametrize(("fields", "expected"), [
    ({"joinMode": "invite"}, ("free", None)),  # Mobilizon's invitation-only mode: we let people ask
    ({"joinMode": "external", "externalParticipationUrl": "https://billets.example/1"},
     ("external", "https://billets.example/1")),
    ({"joinMode": "external", "externalParticipationUrl": "javascript:void(0)"}, ("external", None)),
    ({"joinMode": None}, ("free", None)),
])
def test_join_mode(fields: dict[str, Any], expected: tuple[str, str | None]) -> None:
    parsed = parse_journey_details({"startTime": "2027-05-20T09:30:00Z", **fields}, "fr")
    assert parsed is not None and (parsed.join_mode, parsed.external_url) == expected
    assert parsed.join_mode in JOIN_MODES


@pytest.mark.parametrize(("value", "expected"), [
    (30, 30), ("30", 30), (30.0, 30), (0, None), (-1, None), (True, None), ("trente", None), (float("inf"), None),
    (float("nan"), None), (10**12, None), (None, None), ([30], None),
])
def test_capacity_from_peers(value: Any, expected: int | None) -> None:
    parsed = parse_journey_details({"startTime": "2027-05-20T09:30:00Z", "maximumAttendeeCapacity": value}, "fr")
    assert parsed is not None and parsed.capacity == expected


@pytest.mark.parametrize("value", ["2027-05-20T09:30:00+02:00", "2027-05-20T09:30Z", "2027-05-20T09:30:00.123Z",
                                   "2027-05-20T09:30:00-03:00"])
def test_datetimes(value: str) -> None:
    assert is_datetime(value)


@pytest.mark.parametrize("value", [
    "2027-05-20T09:30:00", "2027-05-20", "2027-05-20 09:30:00+02:00", "2027-13-20T09:30:00Z",
    "2027-02-30T09:30:00Z", "2027-05-20T25:00:00Z", "2027-05-20T09:30:00Z\n", "٢٠٢٧-05-20T09:30:00Z", 1779262200,
    None,
])
def test_not_datetimes(value: Any) -> None:
    assert not is_datetime(value)
    assert parse_journey_details({"startTime": value}, "fr") is None


def test_every_iana_time_zone_is_kept() -> None:
    for zone in sorted(zoneinfo.available_timezones()):
        parsed = parse_journey_details({"startTime": "2027-05-20T09:30:00Z", "timezone": zone}, "fr")
        assert parsed is not None and parsed.timezone == zone, zone


@pytest.mark.parametrize("zone", ["", "Europe/Paris\n", "../../etc/passwd", "Europe/Paris/Crest/Halle", 2, None,
                                  "Europe Paris"])
def test_unusable_time_zones_become_utc(zone: Any) -> None:
    parsed = parse_journey_details({"startTime": "2027-05-20T09:30:00Z", "timezone": zone}, "fr")
    assert parsed is not None and parsed.timezone == "UTC"


def test_programme_from_peers() -> None:
    doc = {"startTime": "2027-05-20T09:30:00Z", "subEvent": [
        {"name": "Visite", "startTime": "demain", "organizer": "Coop"},
        {"nameMap": {"en": "Talk"}, "organizer": {"type": "Person", "name": "Ana"}, "location": "Halle"},
        {"startTime": "2027-05-20T10:00:00Z"}, "https://a.example/sub/1", None,
    ]}
    parsed = parse_journey_details(doc, "fr")
    assert parsed is not None and parsed.programme == (
        ProgrammeItem({"fr": "Visite"}, host="Coop"),
        ProgrammeItem({"en": "Talk"}, host="Ana", place=Place(name="Halle")),
    )


@TOTALITY
@given(doc=DOCS)
def test_parse_journey_details_is_total(doc: dict[str, Any]) -> None:
    parsed = parse_journey_details(doc, "fr")
    if parsed is not None:
        assert is_datetime(parsed.start_time) and parsed.status in STATUSES and parsed.join_mode in JOIN_MODES
        assert parsed.end_time is None or is_datetime(parsed.end_time)
