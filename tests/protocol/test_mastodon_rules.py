"""Our documents read by Mastodon's own rules (issue 20, "Seen from Mastodon"). Each rule is written
here from Mastodon's source, named where it lives, so that a test fails when what we send would be
misread there."""

import json
from dataclasses import replace
from typing import Any

import pytest

from protocol.jsonld import AS_PUBLIC, dumps_document
from protocol.objects import build_object
from protocol.polls import build_rsvp_question
from tests.protocol.test_objects import EN, ES, FR, PUB


def mastodon_language(obj: dict[str, Any]) -> str | None:
    """app/lib/activitypub/parser/status_parser.rb, `language`: the first key of `contentMap`, else of
    `nameMap`, else of `summaryMap` (a Ruby Hash keeps the order of the JSON it was parsed from)."""
    for term in ("contentMap", "nameMap", "summaryMap"):
        value = obj.get(term)
        if isinstance(value, dict) and value:
            return next(iter(value))
    return None


def mastodon_text(obj: dict[str, Any], term: str) -> str | None:
    """The same parser's `text`, `title`, `spoiler_text`: the plain property, else the map's first value."""
    if obj.get(term):
        return str(obj[term])
    value = obj.get(f"{term}Map")
    return next(iter(value.values())) if isinstance(value, dict) and value else None


@pytest.mark.parametrize("original", [FR, EN, ES])
def test_mastodon_reads_the_original_language_first(original: Any) -> None:
    """Translations come from storage in alphabetical order (en, es, fr): a French original must still
    be labelled French, its text the French one, whether Mastodon reads `content` or the map."""
    pub = replace(PUB, default_lang=original.lang, translations=(EN, ES, FR))
    doc = json.loads(dumps_document(build_object(pub)))  # as sent: the order of keys is the order of the text
    assert mastodon_language(doc) == original.lang
    assert [next(iter(doc[f"{term}Map"])) for term in ("content", "name", "summary")] == [original.lang] * 3
    assert (doc["content"], doc["name"], doc["summary"]) == (original.content_html, original.title, original.summary)
    without_plain = {k: v for k, v in doc.items() if k not in ("content", "name", "summary")}
    assert mastodon_text(without_plain, "content") == original.content_html
    assert mastodon_text(without_plain, "name") == original.title
    # The other languages follow, all kept.
    assert set(doc["contentMap"]) == {"en", "es", "fr"}


def test_poll_options_are_named_in_every_language_we_have_labels_for() -> None:
    """An RSVP option's `name` is in the journey's language (a Mastodon vote sends it back); its
    `nameMap` has the labels of fr, en and es, the journey's first; the question is asked in each of
    the journey's languages, its own first (Mastodon's `language` rule above)."""
    doc = build_rsvp_question(
        iri="https://node.example/journeys/j/rsvp", attributed_to="https://node.example/users/reseau",
        journey_iri="https://node.example/journeys/j", journey_url="https://node.example/journeys/j",
        question="Participerez-vous ?", translations={"en-GB": "Will you join?", "de": "Kommen Sie?"}, lang="fr",
        end_time="2027-05-20T07:30:00Z", counts={}, voters=0, published="2027-04-01T08:00:00Z",
        to=[AS_PUBLIC], cc=[])
    assert mastodon_language(doc) == "fr"
    assert list(doc["contentMap"]) == ["fr", "en-GB", "de"] and "Kommen Sie?" in doc["contentMap"]["de"]
    going = doc["oneOf"][0]
    assert going["name"] == "Je viens"
    # The journey's languages with labels first (en-GB, from en's), then the others; no German label
    # is made up from the English one.
    assert going["nameMap"] == {"fr": "Je viens", "en-GB": "Going", "en": "Going", "es": "Voy"}
    assert [next(iter(option["nameMap"])) for option in doc["oneOf"]] == ["fr"] * 3
