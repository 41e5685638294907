"""Places: AS2 `Place` with a schema.org `PostalAddress` and decimal coordinates, built by us, read by
Mobilizon's address converter and read back from what Mobilizon, Pleroma and Gancio send."""

from typing import Any

import pytest
from hypothesis import given

from protocol.places import Address, Place, build_place, parse_place
from tests.support.ld import BASE, DOCS, JSON, PATHS, TOTALITY, through_jsonld, undefined_terms

FULL = Place(
    name="Maison de l'économie solidaire",
    address=Address(street="12 rue de la Coopération", postal_code="26400", locality="Crest",
                    region="Auvergne-Rhône-Alpes", country="France"),
    latitude=44.7282, longitude=5.0224, iri=f"{BASE}/places/maison-ess",
)
PLACES = {
    "full": FULL,
    "name-only": Place(name="Ferme de la Clastre"),
    "address-without-geo": Place(name="Biocoop", address=Address(locality="Die", country="France")),
    "southern-hemisphere": Place(name="Feira de economia solidária", latitude=-30.0346, longitude=-51.2177,
                                 address=Address(locality="Porto Alegre", region="RS", country="Brasil")),
}


@PATHS
@pytest.mark.parametrize("name", PLACES)
def test_round_trip(name: str, slow: bool) -> None:
    place = PLACES[name]
    doc = through_jsonld({"location": build_place(place)}, slow=slow)
    assert parse_place(doc["location"]) == place


def test_document_shape() -> None:
    doc = build_place(FULL)
    assert doc == {
        "type": "Place", "id": FULL.iri, "name": FULL.name,
        "address": {"type": "PostalAddress", "streetAddress": "12 rue de la Coopération", "postalCode": "26400",
                    "addressLocality": "Crest", "addressRegion": "Auvergne-Rhône-Alpes", "addressCountry": "France"},
        "latitude": 44.7282, "longitude": 5.0224,
    }
    assert undefined_terms(doc) == set()
    assert "address" not in build_place(Place(name="x", address=Address()))


def mobilizon_address(place: dict[str, Any]) -> dict[str, Any]:
    """Mobilizon 5.1 Converter.Address.as_to_model_data plus Utils.get_address (url from `id`):
    coordinates are kept only when both are JSON floats (`is_float`)."""
    address = place.get("address")
    out = {"description": place.get("name"), "url": place.get("id")}
    if isinstance(address, str):
        out["street"] = address
    elif isinstance(address, dict):
        out.update(country=address.get("addressCountry"), postal_code=address.get("postalCode"),
                   region=address.get("addressRegion"), street=address.get("streetAddress"),
                   locality=address.get("addressLocality"))
    lat, lon = place.get("latitude"), place.get("longitude")
    if isinstance(lat, float) and isinstance(lon, float):
        out["geom"] = (lon, lat)
    return out


def test_mobilizon_reads_our_place() -> None:
    assert mobilizon_address(build_place(FULL)) == {
        "description": FULL.name, "url": FULL.iri, "country": "France", "postal_code": "26400",
        "region": "Auvergne-Rhône-Alpes", "street": "12 rue de la Coopération", "locality": "Crest",
        "geom": (5.0224, 44.7282),
    }


def test_whole_degrees_stay_floats_for_mobilizon() -> None:
    # Elixir's is_float/1 is false for 45: a draft's `latitude: 45` must still be sent as 45.0.
    parsed = parse_place({"type": "Place", "name": "x", "latitude": 45, "longitude": 5})
    assert parsed is not None
    assert mobilizon_address(build_place(parsed))["geom"] == (5.0, 45.0)


@pytest.mark.parametrize(("value", "expected"), [
    ("Salle des fêtes de Saillans", Place(name="Salle des fêtes de Saillans")),
    (["Première salle", "Seconde"], Place(name="Première salle")),
    ({"type": "Place", "address": "3 place de la Mairie, Die"},  # Pleroma and Gancio send a string
     Place(name="3 place de la Mairie, Die", address=Address(street="3 place de la Mairie, Die"))),
    ({"address": {"addressLocality": "Valence", "postalCode": "26000"}},
     Place(name="26000 Valence", address=Address(postal_code="26000", locality="Valence"))),
    ({"name": "  Lieu  ", "latitude": "44.5", "longitude": "4.9"}, Place(name="Lieu", latitude=44.5, longitude=4.9)),
    ({"name": "x", "latitude": 44.5}, Place(name="x")),  # one coordinate alone is dropped
    ({"name": "x", "latitude": 91.0, "longitude": 5.0}, Place(name="x")),
    ({"name": "x", "latitude": 45.0, "longitude": -181.0}, Place(name="x")),
    ({"name": "x", "latitude": True, "longitude": 5.0}, Place(name="x")),
    ({"name": "x", "latitude": float("nan"), "longitude": 5.0}, Place(name="x")),
    ({"name": "x", "latitude": 10**400, "longitude": 5.0}, Place(name="x")),
    ({"name": "x", "id": "urn:uuid:1"}, Place(name="x")),
    ({"name": "x", "address": {"streetAddress": "   "}}, Place(name="x")),
])
def test_what_peers_send(value: Any, expected: Place) -> None:
    assert parse_place(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "https://osm.example/node/1", [], 12, {"type": "Place"},
                                   {"name": ""}, {"address": {}}])
def test_no_place(value: Any) -> None:
    assert parse_place(value) is None


@pytest.mark.parametrize(("place", "label", "line"), [
    (FULL, "Maison de l'économie solidaire, Crest",
     "12 rue de la Coopération, 26400 Crest, Auvergne-Rhône-Alpes, France"),
    (Place(name="Crest, la halle", address=Address(locality="Crest")), "Crest, la halle", "Crest"),
    (Place(name="Ferme"), "Ferme", None),
])
def test_labels(place: Place, label: str, line: str | None) -> None:
    assert place.label() == label
    assert (place.address.one_line() if place.address else None) == line


@TOTALITY
@given(value=DOCS | JSON)
def test_parse_place_is_total(value: Any) -> None:
    place = parse_place(value)
    assert place is None or (place.name and (place.latitude is None) == (place.longitude is None))
