"""Tests for protocol.objects: multilingual AS2 objects (name/summary/content plus their *Map forms)."""

from dataclasses import replace

import pytest

from protocol.activities import build_create, parse_activity
from protocol.jsonld import AS_PUBLIC, OUTGOING_CONTEXT
from protocol.objects import Publication, Tag, Translation, build_object

ACTOR = "https://node.example/actors/reseau"
IRI = "https://node.example/practices/repair-cafe"
FR = Translation(lang="fr", title="Repair café", summary="Réparer ensemble", content_html="<p>Le samedi.</p>")
EN = Translation(lang="en", title="Repair café", summary="Fixing together", content_html="<p>On Saturdays.</p>")
ES = Translation(lang="es", title="Café de reparación", summary="Reparar juntos", content_html="<p>Los sábados.</p>")

PUB = Publication(
    iri=IRI,
    type="Article",
    attributed_to=ACTOR,
    url="https://node.example/p/repair-cafe",
    published="2024-03-01T10:00:00Z",
    default_lang="fr",
    translations=(EN, FR, ES),
    to=(AS_PUBLIC,),
    cc=(f"{ACTOR}/followers",),
    tags=(Tag(name="réemploi", href="https://node.example/tags/r%C3%A9emploi"),
          Tag(name="ess", href="https://node.example/tags/ess")),
)


def test_build_object_exact_document() -> None:
    assert build_object(PUB) == {
        "@context": OUTGOING_CONTEXT,
        "id": IRI,
        "type": "Article",
        "attributedTo": ACTOR,
        "name": "Repair café",
        "summary": "Réparer ensemble",
        "content": "<p>Le samedi.</p>",
        "nameMap": {"en": "Repair café", "fr": "Repair café", "es": "Café de reparación"},
        "summaryMap": {"en": "Fixing together", "fr": "Réparer ensemble", "es": "Reparar juntos"},
        "contentMap": {"en": "<p>On Saturdays.</p>", "fr": "<p>Le samedi.</p>", "es": "<p>Los sábados.</p>"},
        "url": "https://node.example/p/repair-cafe",
        "mediaType": "text/html",
        "published": "2024-03-01T10:00:00Z",
        "to": [AS_PUBLIC],
        "cc": [f"{ACTOR}/followers"],
        "tag": [
            {"type": "Hashtag", "name": "#réemploi", "href": "https://node.example/tags/r%C3%A9emploi"},
            {"type": "Hashtag", "name": "#ess", "href": "https://node.example/tags/ess"},
        ],
        "sensitive": False,
    }


def test_plain_fields_follow_the_default_language() -> None:
    doc = build_object(replace(PUB, default_lang="es"))
    assert doc["name"] == "Café de reparación"
    assert doc["summary"] == "Reparar juntos"
    assert doc["content"] == "<p>Los sábados.</p>"
    assert set(doc["contentMap"]) == {"en", "fr", "es"}


def test_default_language_missing_falls_back_to_the_first_translation() -> None:
    doc = build_object(replace(PUB, default_lang="de"))
    assert (doc["name"], doc["summary"], doc["content"]) == ("Repair café", "Fixing together", "<p>On Saturdays.</p>")


def test_single_language_object() -> None:
    doc = build_object(replace(PUB, translations=(FR,), tags=()))
    assert doc["nameMap"] == {"fr": "Repair café"}
    assert doc["summaryMap"] == {"fr": "Réparer ensemble"}
    assert doc["contentMap"] == {"fr": "<p>Le samedi.</p>"}
    assert "tag" not in doc  # no empty array (AS2)


def test_without_context_for_embedding() -> None:
    doc = build_object(PUB, with_context=False)
    assert "@context" not in doc
    assert doc["id"] == IRI


def test_optional_fields_appear_only_when_set() -> None:
    doc = build_object(PUB)
    assert not {"updated", "inReplyTo", "context", "replies"} & set(doc)
    full = build_object(
        replace(
            PUB,
            updated="2024-03-02T08:00:00Z",
            in_reply_to="https://mastodon.example/users/alice/statuses/1",
            context="https://node.example/contexts/1",
            replies_iri=f"{IRI}/replies",
        )
    )
    assert full["updated"] == "2024-03-02T08:00:00Z"
    assert full["inReplyTo"] == "https://mastodon.example/users/alice/statuses/1"
    assert full["context"] == "https://node.example/contexts/1"
    assert full["replies"] == f"{IRI}/replies"


def test_extra_fields_are_added() -> None:
    doc = build_object(replace(PUB, extra={"maillage:sector": "reuse", "location": {"type": "Place", "name": "Lyon"}}))
    assert doc["maillage:sector"] == "reuse"
    assert doc["location"] == {"type": "Place", "name": "Lyon"}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("es", ES),  # the language asked for
        ("en", EN),
        (None, FR),  # nothing asked: the default language
        ("de", FR),  # not translated: the default language
        ("", FR),
    ],
)
def test_translation_fallback_order(lang: str | None, expected: Translation) -> None:
    assert PUB.translation(lang) == expected


def test_translation_falls_back_to_first_when_default_is_missing() -> None:
    pub = replace(PUB, default_lang="de", translations=(ES, EN))
    assert pub.translation("it") == ES
    assert pub.translation() == ES
    assert pub.translation("en") == EN


def test_object_round_trips_through_create() -> None:
    obj = build_object(PUB)
    create = build_create(iri=f"{IRI}#create", actor=ACTOR, obj=obj, published=PUB.published)
    assert "@context" not in create["object"]
    activity = parse_activity(create)
    assert activity.type == "Create"
    assert activity.actor == ACTOR
    assert activity.to == (AS_PUBLIC,) and activity.cc == (f"{ACTOR}/followers",)
    assert activity.is_public
    assert activity.object is not None
    assert activity.object.iri == IRI
    assert activity.object.type == "Article"
    assert activity.object.embedded == {k: v for k, v in obj.items() if k != "@context"}
