"""Meeting outcomes (an `Article` in the context of its journey): build -> JSON-LD -> parse in French,
English and Spanish, the link to the journey, and the parser's tolerance."""

from typing import Any

import pytest
from hypothesis import given

from protocol.attachments import Attachment
from protocol.outcomes import (
    LIST_SECTIONS,
    MAX_PARTICIPANTS,
    OutcomeDetails,
    Participant,
    build_outcome_details,
    parse_outcome_details,
)
from tests.support.ld import BASE, DOCS, LANGS, PATHS, TOTALITY, through_jsonld, undefined_terms

JOURNEY_IRI = f"{BASE}/journeys/voyage-drome-2027"
REPORT = OutcomeDetails(
    journey_iri=JOURNEY_IRI,
    achievements={
        "fr": ["Un groupement d'achat commun à trois AMAP", "La Luciole acceptée sur les deux marchés",
               "Une charte des comptoirs de change"],
        "en": ["A purchasing group shared by three CSAs", "The Luciole accepted at both markets",
               "A charter for the exchange points"],
        "es": ["Un grupo de compra común a tres AMAP", "La Luciole aceptada en los dos mercados",
               "Una carta de los puntos de cambio"],
    },
    new_initiatives={"fr": ["Une légumerie solidaire à Die"], "en": ["A solidarity vegetable-processing unit in Die"],
                     "es": ["Una planta solidaria de procesado de verduras en Die"]},
    issues={"fr": ["Le prix payé aux producteurs"], "en": ["The price paid to producers"],
            "es": ["El precio pagado a los productores"]},
    goals={"fr": ["Relier monnaie locale et souveraineté alimentaire"],
           "en": ["Link local currency and food sovereignty"],
           "es": ["Vincular moneda local y soberanía alimentaria"]},
    next_steps={"fr": ["Rencontre nationale d'étape en novembre"], "en": ["National stock-taking meeting in November"],
                "es": ["Encuentro nacional de balance en noviembre"]},
    feedback={"fr": "<p>Nous avons vu des producteurs qui fixent leurs prix ensemble.</p>",
              "en": "<p>We saw producers who set their prices together.</p>",
              "es": "<p>Vimos productores que fijan sus precios juntos.</p>"},
    participants=(Participant("Réseau ESS Drôme", "https://ess-drome.example"),
                  Participant("Les Paysans du Val"), Participant("Ana Souza", kind="Person")),
    attachments=(Attachment(f"{BASE}/media/compte-rendu.pdf", "application/pdf"),),
)


@PATHS
@pytest.mark.parametrize("lang", LANGS)
def test_round_trip(lang: str, slow: bool) -> None:
    doc = through_jsonld(build_outcome_details(REPORT, lang), slow=slow)
    assert parse_outcome_details(doc, lang) == REPORT


@PATHS
@pytest.mark.parametrize("lang", LANGS)
def test_round_trip_in_one_language_with_one_entry_each(lang: str, slow: bool) -> None:
    report = OutcomeDetails(journey_iri=JOURNEY_IRI, achievements={lang: REPORT.achievements[lang][:1]},
                            participants=(Participant("Réseau ESS Drôme"),))
    doc = through_jsonld(build_outcome_details(report, lang), slow=slow)
    assert parse_outcome_details(doc, lang) == report


def test_the_outcome_replies_to_its_journey() -> None:
    doc = build_outcome_details(REPORT, "fr")
    assert doc["context"] == doc["inReplyTo"] == JOURNEY_IRI
    assert doc["participantCount"] == 3
    assert doc["participants"][2] == {"type": "Person", "name": "Ana Souza"}
    assert undefined_terms(doc) == set()
    assert set(LIST_SECTIONS) <= set(doc)


@pytest.mark.parametrize(("term", "attribute"), [
    ("achievements", "achievements"), ("newInitiatives", "new_initiatives"), ("issues", "issues"), ("goals", "goals"),
    ("nextSteps", "next_steps"),
])
def test_sections_by_term(term: str, attribute: str) -> None:
    assert term in LIST_SECTIONS
    assert REPORT.section(term) == getattr(REPORT, attribute) == build_outcome_details(REPORT, "es")[term]


@pytest.mark.parametrize(("fields", "journey"), [
    ({"context": JOURNEY_IRI}, JOURNEY_IRI),
    ({"inReplyTo": JOURNEY_IRI}, JOURNEY_IRI),
    ({"context": {"id": JOURNEY_IRI, "type": "Event"}}, JOURNEY_IRI),
    ({"context": "tag:mastodon.example,2027:objectId=1:objectType=Conversation"}, None),
    ({"context": ["https://a.example/1"]}, None),
    ({}, None),
])
def test_journey_link(fields: dict[str, Any], journey: str | None) -> None:
    assert parse_outcome_details(fields, "fr").journey_iri == journey


def test_what_other_peers_may_send() -> None:
    doc = {
        "achievements": ["Sans langue"], "issues": "Une seule chaîne", "goals": {"fr": ["", 3, "ok"]},
        "participants": [{"name": "A", "type": "Group", "url": "mailto:a@b.example"}, {"url": "https://b.example"},
                         "C", {"name": "D", "type": "Person"}],
    }
    assert parse_outcome_details(doc, "es") == OutcomeDetails(
        achievements={"es": ["Sans langue"]}, issues={"es": ["Une seule chaîne"]}, goals={"fr": ["ok"]},
        participants=(Participant("A"), Participant("D", kind="Person")),
    )
    many = {"participants": [{"name": str(i)} for i in range(MAX_PARTICIPANTS + 5)]}
    assert len(parse_outcome_details(many, "fr").participants) == MAX_PARTICIPANTS
    assert parse_outcome_details({"participants": {"name": "Seul"}}, "fr").participants == (Participant("Seul"),)


@TOTALITY
@given(doc=DOCS)
def test_parse_outcome_details_is_total(doc: dict[str, Any]) -> None:
    details = parse_outcome_details(doc, "fr")
    assert details.journey_iri is None or details.journey_iri.startswith(("http://", "https://"))
    assert all(p.kind in ("Person", "Organization") for p in details.participants)
