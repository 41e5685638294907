"""RSVP polls: our `Question` as Mastodon's poll parser reads it, and Mastodon's votes read by us.

Mastodon's shapes: ActivityPub::Parser::PollParser (app/lib/activitypub/parser/poll_parser.rb) for a
remote Question; ActivityPub::VoteSerializer (app/serializers/activitypub/vote_serializer.rb) for the
`Create` of a `Note` a vote sends; ActivityPub::Activity::Create#poll_vote? for how a vote is told from a
reply (a Note whose `name` is an option and whose `inReplyTo` is the poll).
"""

from typing import Any

import pytest
from hypothesis import given

from protocol.activities import parse_activity
from protocol.jsonld import AS_CONTEXT_IRI, AS_PUBLIC, compact
from protocol.polls import RSVP_CHOICES, RSVP_LABELS, Vote, build_rsvp_question, parse_vote, rsvp_labels
from tests.support.ld import BASE, DOCS, LANGS, TOTALITY

QUESTION_IRI = f"{BASE}/journeys/voyage-drome/rsvp"
NETWORK = f"{BASE}/users/reseau"
VOTER = "https://mastodon.example/users/lucia"
QUESTIONS = {"fr": "Participerez-vous au voyage apprenant « Drôme & Diois » ?",
             "en": "Will you join the learning journey “Drôme & Diois”?",
             "es": "¿Participará en el viaje de aprendizaje «Drôme & Diois»?"}


def question(lang: str, *, closed: bool = False) -> dict[str, Any]:
    return build_rsvp_question(
        iri=QUESTION_IRI, attributed_to=NETWORK, journey_iri=f"{BASE}/journeys/voyage-drome",
        journey_url=f"{BASE}/journeys/voyage-drome", question=QUESTIONS[lang], lang=lang,
        end_time="2027-05-20T07:30:00Z", counts={"going": 12, "maybe": 3}, voters=15,
        published="2027-04-01T08:00:00Z", to=[AS_PUBLIC], cc=[f"{NETWORK}/followers"], closed=closed,
    )


def mastodon_poll(doc: dict[str, Any]) -> dict[str, Any]:
    """Mastodon's PollParser: `valid?`, options, multiple, expires_at, voters_count, cached_tallies."""
    items = doc.get("anyOf") or doc.get("oneOf")
    assert doc["type"] == "Question" and isinstance(items, list), "Mastodon would not see a poll"
    closed = doc.get("closed")
    return {
        "options": [item.get("name") or item.get("content") for item in items],
        "multiple": isinstance(doc.get("anyOf"), list),
        "expires_at": closed if isinstance(closed, str) else doc.get("endTime"),
        "voters_count": doc.get("votersCount"),
        "cached_tallies": [(item.get("replies") or {}).get("totalItems", 0) for item in items],
    }


def mastodon_vote(option: str, vote_id: int = 387) -> dict[str, Any]:
    """The Create{Note} Mastodon's VoteSerializer sends to the poll's author (no content, `to` a string)."""
    note = {"id": f"{VOTER}#votes/{vote_id}", "type": "Note", "name": option, "attributedTo": VOTER,
            "inReplyTo": QUESTION_IRI, "to": NETWORK}
    return {"@context": AS_CONTEXT_IRI, "id": f"{VOTER}#votes/{vote_id}/activity", "type": "Create", "actor": VOTER,
            "to": NETWORK, "object": note}


@pytest.mark.parametrize("lang", LANGS)
def test_mastodon_reads_our_question(lang: str) -> None:
    doc = question(lang)
    assert mastodon_poll(doc) == {
        "options": [RSVP_LABELS[lang][c] for c in RSVP_CHOICES], "multiple": False,
        "expires_at": "2027-05-20T07:30:00Z", "voters_count": 15, "cached_tallies": [12, 3, 0],
    }
    assert doc["oneOf"][0] == {"type": "Note", "name": RSVP_LABELS[lang]["going"],
                               "nameMap": {k: RSVP_LABELS[k]["going"] for k in dict.fromkeys([lang, *RSVP_LABELS])},
                               "replies": {"type": "Collection", "totalItems": 12}}
    assert (doc["id"], doc["attributedTo"], doc["context"]) == (QUESTION_IRI, NETWORK, f"{BASE}/journeys/voyage-drome")
    assert mastodon_poll(question(lang, closed=True))["expires_at"] == "2027-05-20T07:30:00Z"


def test_mastodon_limits_are_respected() -> None:
    # Mastodon's own polls have at most 4 options of at most 50 characters; remote ones should too.
    for labels in RSVP_LABELS.values():
        assert len(labels) <= 4 and all(len(label) <= 50 for label in labels.values())
    assert len({label.casefold() for labels in RSVP_LABELS.values() for label in labels.values()}) == 12


def test_the_question_text_is_escaped() -> None:
    content = question("fr")["content"]
    assert "« Drôme &amp; Diois »" in content and "& " not in content
    hostile = build_rsvp_question(
        iri=QUESTION_IRI, attributed_to=NETWORK, journey_iri="https://a.example/j", journey_url='https://a.example/"x',
        question="<script>alert(1)</script>", lang="fr", end_time="2027-05-20T07:30:00Z", counts={}, voters=0,
        published="2027-04-01T08:00:00Z", to=[AS_PUBLIC], cc=[])
    assert "<script>" not in hostile["content"] and 'href="https://a.example/&quot;x"' in hostile["content"]


@pytest.mark.parametrize(("lang", "expected"), [("fr", "fr"), ("fr-CA", "fr"), ("es-419", "es"), ("en-GB", "en"),
                                                ("pt-BR", "pt"), ("de", "en")])
def test_labels_by_language(lang: str, expected: str) -> None:
    assert rsvp_labels(lang) == RSVP_LABELS[expected]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("choice", RSVP_CHOICES)
def test_a_mastodon_vote_becomes_a_participation(lang: str, choice: str) -> None:
    option = next(item["name"] for item, c in zip(question(lang)["oneOf"], RSVP_CHOICES, strict=True) if c == choice)
    activity = parse_activity(compact(mastodon_vote(option)))
    assert (activity.type, activity.actor, activity.to) == ("Create", VOTER, (NETWORK,))
    assert activity.object is not None and activity.object.embedded is not None
    assert parse_vote(activity.object.embedded) == Vote(question_iri=QUESTION_IRI, choice=choice)


@pytest.mark.parametrize(("name", "choice"), [("Going", "going"), ("  je viens ", "going"), ("PEUT-ÊTRE", "maybe"),
                                              ("quizás", "maybe"), ("No voy", "not_going"), ("não vou", "not_going")])
def test_votes_in_any_of_our_languages(name: str, choice: str) -> None:
    assert parse_vote(mastodon_vote(name)["object"]) == Vote(QUESTION_IRI, choice)


def test_in_reply_to_may_be_an_object() -> None:
    note = mastodon_vote("Voy")["object"] | {"inReplyTo": {"id": QUESTION_IRI, "type": "Question"}}
    assert parse_vote(note) == Vote(QUESTION_IRI, "going")


@pytest.mark.parametrize("change", [
    {"content": "<p>Je viens, et j'amène deux collègues !</p>"},  # a reply to the poll, not a vote
    {"inReplyTo": None},
    {"inReplyTo": ["https://a.example/1", "https://a.example/2"]},
    {"name": "Je viendrai peut-être"},  # not one of the options
    {"name": None},
    {"name": ["Going"]},
    {"type": "Question"},
    {"type": ["Note"]},
])
def test_not_votes(change: dict[str, Any]) -> None:
    note = {k: v for k, v in (mastodon_vote("Going")["object"] | change).items() if v is not None}
    assert parse_vote(note) is None


@pytest.mark.parametrize("value", [None, "Going", ["Going"], 3])
def test_not_objects(value: Any) -> None:
    assert parse_vote(value) is None


@TOTALITY
@given(doc=DOCS)
def test_parse_vote_is_total(doc: dict[str, Any]) -> None:
    vote = parse_vote(doc)
    assert vote is None or (vote.choice in RSVP_CHOICES and isinstance(vote.question_iri, str))
    assert parse_vote({**doc, "type": "Note"}) is None or not doc.get("content")
