"""Our documents read by Mastodon's own rules (issue 20, "Seen from Mastodon"). Each rule is written
here from Mastodon's source, named where it lives, so that a test fails when what we send would be
misread there."""

import json
from dataclasses import replace
from typing import Any

import pytest

from protocol.jsonld import dumps_document
from protocol.objects import build_object
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
