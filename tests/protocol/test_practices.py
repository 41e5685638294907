"""Practice write-ups: every structured field of a case study, built, carried through JSON-LD compaction
(fast path and pyld) and read back, with the write-up in French, English or Spanish."""

from typing import Any

import pytest
from hypothesis import given

from protocol.attachments import Attachment
from protocol.places import Address, Place
from protocol.practices import (
    MAX_ITEMS,
    Contact,
    PracticeDetails,
    Resource,
    Stakeholder,
    build_practice_details,
    parse_practice_details,
)
from tests.support.ld import BASE, DOCS, LANGS, PATHS, TOTALITY, through_jsonld, undefined_terms

TERRITORY = Place(name="Val de Drôme", address=Address(locality="Crest", region="Auvergne-Rhône-Alpes",
                                                       country="France"), latitude=44.7282, longitude=5.0224)


def _texts(fr: str, en: str, es: str) -> dict[str, str]:
    return {"fr": fr, "en": en, "es": es}


CURRENCY = PracticeDetails(
    territory=TERRITORY,
    stakeholders=(
        Stakeholder("Association La Luciole", _texts("porteuse de la monnaie", "issuer of the currency",
                                                     "emisora de la moneda"), "https://luciole.example"),
        Stakeholder("Crédit coopératif", _texts("banque du fonds de garantie", "guarantee fund bank",
                                                "banco del fondo de garantía")),
        Stakeholder("Communauté de communes du Val de Drôme"),
    ),
    needs=_texts("<p>Garder la richesse sur le territoire.</p>", "<p>Keep wealth in the territory.</p>",
                 "<p>Mantener la riqueza en el territorio.</p>"),
    resources=(
        Resource(_texts("Subvention de démarrage", "Start-up grant", "Subvención inicial"), True, "public"),
        Resource(_texts("Bénévolat des comptoirs", "Volunteers at exchange points",
                        "Voluntariado en los puntos de cambio"), False, "private"),
        Resource(_texts("Fonds de garantie", "Guarantee fund", "Fondo de garantía"), True, "mixed"),
    ),
    results=_texts("<p>120 commerces, 80 000 lucioles.</p>", "<p>120 shops, 80,000 lucioles.</p>",
                   "<p>120 comercios, 80 000 lucioles.</p>"),
    lessons=_texts("<p>Commencer par les producteurs.</p>", "<p>Start with the producers.</p>",
                   "<p>Empezar por los productores.</p>"),
    transferability=_texts("<p>Transposable à tout bassin de vie.</p>", "<p>Works in any catchment area.</p>",
                           "<p>Aplicable a cualquier comarca.</p>"),
    contact=Contact(name="Camille Martin", email="contact@luciole.example", url="https://luciole.example/contact"),
    attachments=(Attachment(f"{BASE}/media/billets.jpg", "image/jpeg",
                            _texts("Billets de 1, 5 et 10 lucioles", "1, 5 and 10 luciole notes",
                                   "Billetes de 1, 5 y 10 lucioles")),
                 Attachment(f"{BASE}/media/charte.pdf", "application/pdf")),
    license="https://creativecommons.org/licenses/by-sa/4.0/",
)


def _one_language(lang: str) -> PracticeDetails:
    """A write-up in a single language with one entry per list: what pyld compacts the most."""
    return PracticeDetails(
        territory=Place(name="Crest"),
        stakeholders=(Stakeholder("La Luciole", {lang: CURRENCY.stakeholders[0].role[lang]}),),
        needs={lang: CURRENCY.needs[lang]},
        resources=(Resource({lang: CURRENCY.resources[0].label[lang]}, True, "public"),),
        lessons={lang: CURRENCY.lessons[lang]}, contact=Contact(email="contact@luciole.example"),
        attachments=(CURRENCY.attachments[0],),
    )


@PATHS
@pytest.mark.parametrize("lang", LANGS)
def test_round_trip(lang: str, slow: bool) -> None:
    doc = through_jsonld(build_practice_details(CURRENCY, lang), slow=slow)
    assert parse_practice_details(doc, lang) == CURRENCY


@PATHS
@pytest.mark.parametrize("lang", LANGS)
def test_round_trip_in_one_language(lang: str, slow: bool) -> None:
    details = _one_language(lang)
    doc = through_jsonld(build_practice_details(details, lang), slow=slow)
    assert parse_practice_details(doc, lang) == details


def test_empty_details_build_nothing() -> None:
    assert build_practice_details(PracticeDetails(), "fr") == {}
    assert parse_practice_details({}, "fr") == PracticeDetails()


def test_document_uses_shared_vocabularies() -> None:
    doc = build_practice_details(CURRENCY, "fr")
    assert undefined_terms(doc) == set()
    assert doc["location"]["type"] == "Place"
    assert doc["stakeholders"][0] == {"type": "Organization", "name": "Association La Luciole",
                                      "role": dict(CURRENCY.stakeholders[0].role), "url": "https://luciole.example"}
    assert doc["mobilisedResources"][1] == {"type": "Resource", "nameMap": dict(CURRENCY.resources[1].label),
                                            "monetary": False, "origin": "private"}
    assert doc["contactPoint"] == {"type": "ContactPoint", "name": "Camille Martin",
                                   "email": "contact@luciole.example", "url": "https://luciole.example/contact"}
    assert doc["license"] == CURRENCY.license
    assert doc["attachment"][0]["name"] == "Billets de 1, 5 et 10 lucioles"


def test_what_other_peers_may_send() -> None:
    doc: dict[str, Any] = {
        "location": "Diois",
        "stakeholders": [{"name": "A", "role": "porteur", "url": "ftp://a.example"}, {"role": {"fr": "x"}}, "B"],
        "mobilisedResources": [{"name": "Dons", "origin": "state", "monetary": "yes"}, {"origin": "public"}],
        "needs": "<p>Texte sans langue</p>",
        "contactPoint": {"name": "Guichet", "email": "pas-un-courriel", "url": "mailto:a@b.example"},
        "license": {"id": "https://creativecommons.org/publicdomain/zero/1.0/"},
    }
    assert parse_practice_details(doc, "es") == PracticeDetails(
        territory=Place(name="Diois"),
        stakeholders=(Stakeholder("A", {"es": "porteur"}),),
        resources=(Resource({"es": "Dons"}, False, "mixed"),),
        needs={"es": "<p>Texte sans langue</p>"},
        contact=Contact(name="Guichet"),
        license="https://creativecommons.org/publicdomain/zero/1.0/",
    )


def test_long_lists_are_cut() -> None:
    doc = {"stakeholders": [{"name": f"S{i}"} for i in range(MAX_ITEMS + 10)], "license": "urn:x"}
    parsed = parse_practice_details(doc, "fr")
    assert len(parsed.stakeholders) == MAX_ITEMS and parsed.license is None


@TOTALITY
@given(doc=DOCS)
def test_parse_practice_details_is_total(doc: dict[str, Any]) -> None:
    details = parse_practice_details(doc, "fr")
    assert all(r.label and r.origin in ("public", "private", "mixed") for r in details.resources)
    assert all(isinstance(s.name, str) for s in details.stakeholders)
