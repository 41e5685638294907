"""Our documents read by Mastodon's own rules (issue 20, "Seen from Mastodon"). Each rule is written
here from Mastodon's source, named where it lives, so that a test fails when what we send would be
misread there."""

import json
import re
import unicodedata
from dataclasses import replace
from typing import Any

import pytest

from protocol.hashtags import hashtag_name, theme_from_hashtag, theme_key
from protocol.jsonld import AS_PUBLIC, dumps_document
from protocol.objects import Tag, build_object
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
    `nameMap` has the labels of fr, en, es and pt, the journey's first; the question is asked in each of
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
    assert going["nameMap"] == {"fr": "Je viens", "en-GB": "Going", "en": "Going", "es": "Voy", "pt": "Vou"}
    assert [next(iter(option["nameMap"])) for option in doc["oneOf"]] == ["fr"] * 3


# app/models/concerns/tag/naming.rb (Mastodon 4.3), POSIX classes in Python's terms: [[:word:]] \w,
# [[:alpha:]] [^\W\d_], [[:alnum:]] [^\W_], [[:space:]] \s.
SEPARATORS = "_\u00b7\u30fb\u200c"
NAME_PAT = (rf"(?:\w[\w{SEPARATORS}]*(?:[^\W\d]|[{SEPARATORS}])[\w{SEPARATORS}]*\w)"  # FIRST_SEQUENCE: CHUNK_ONE,
            r"|(?:\w*[^\W\d_]\w*)")  # CHUNK_TWO; LAST_SEQUENCE
HASHTAG_RE = re.compile(rf"(?:^|(?<=\s))[#＃]({NAME_PAT})")  # hashtags Mastodon finds in text
HASHTAG_NAME_RE = re.compile(rf"(?:{NAME_PAT})", re.IGNORECASE)  # a valid tag name (fullmatch)


def _invalid_removed(text: str) -> str:
    """`gsub(HASHTAG_INVALID_CHARS_RE, '')` (`/[^[:alnum:]\\u0E47-\\u0E4E#{HASHTAG_SEPARATORS}]/`): what is
    neither alphanumeric nor a separator goes."""
    return "".join(c for c in text if c.isalnum() or c in SEPARATORS or "\u0e47" <= c <= "\u0e4e")


def mastodon_display_name(name: str) -> str:
    """`normalizes :display_name, with: ->(value) { value.gsub(HASHTAG_INVALID_CHARS_RE, '') }`."""
    return _invalid_removed(name)


def mastodon_tag_name(name: str) -> str:
    """app/lib/hashtag_normalizer.rb: NFKC, lowercase, ASCII folding, then invalid characters removed."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).lower())
                     if not unicodedata.combining(c))
    return _invalid_removed(folded)


THEMES = ["food-sovereignty", "monnaie-locale", "économie-sociale-et-solidaire", "zero-waste-2030", "permaculture",
          "circuit_court", "ess"]


@pytest.mark.parametrize("theme", THEMES)
def test_mastodon_keeps_our_hashtags_whole(theme: str) -> None:
    """What Mastodon's Create#process_hashtag makes of our Hashtag (Tag.find_or_create_by_names(name)):
    a valid tag, shown as we wrote it (no character dropped), the same tag as the theme's own words; and
    in the teaser's text its HASHTAG_RE finds the whole hashtag, not the part before a hyphen."""
    pub = replace(PUB, tags=(Tag(theme, f"https://node.example/tags/{hashtag_name(theme)}"),))
    [hashtag] = build_object(pub)["tag"]
    name = hashtag["name"].removeprefix("#")
    assert HASHTAG_NAME_RE.fullmatch(name), name
    assert mastodon_display_name(name) == name  # kept whole: `#food-sovereignty` would show `foodsovereignty`
    assert mastodon_tag_name(name) == mastodon_tag_name(theme) == theme_key(name).replace("é", "e")
    assert hashtag["href"].endswith(f"/tags/{name}")
    assert [m.group(1) for m in HASHTAG_RE.finditer(f"Drôme · #{name} — Deux jours")] == [name]


def test_words_are_capitalised_for_screen_readers() -> None:
    assert [hashtag_name(t) for t in THEMES] == ["FoodSovereignty", "MonnaieLocale", "ÉconomieSocialeEtSolidaire",
                                                 "ZeroWaste2030", "permaculture", "circuit_court", "ess"]
    # Read back, whatever the spelling, it is the same theme.
    assert {theme_key(s) for s in ("food-sovereignty", "#FoodSovereignty", "foodsovereignty")} == {"foodsovereignty"}


def test_the_rules_above_are_mastodons() -> None:
    """The rules misread what we sent before: Mastodon dropped the hyphen and found `#food` in text."""
    assert mastodon_display_name("food-sovereignty") == "foodsovereignty"
    assert [m.group(1) for m in HASHTAG_RE.finditer("x #food-sovereignty y")] == ["food"]
    assert not HASHTAG_NAME_RE.fullmatch("2030") and HASHTAG_NAME_RE.fullmatch("café_2030")


def test_a_received_hashtag_is_read_as_a_theme() -> None:
    """What a peer Maillage node federates reads back as its theme; any other spelling keeps its key."""
    for theme in THEMES:  # a word of digits after a hyphen is the one case not undone; the key holds
        back = theme_from_hashtag(f"#{hashtag_name(theme)}")
        assert back == theme if theme != "zero-waste-2030" else (back, theme_key(back)) == (
            "zero-waste2030", theme_key(theme))
    assert [theme_from_hashtag(s) for s in ("#iPhone", "#COVID19", "#ZeroWaste2030", "ess")] == [
        "i-phone", "covid19", "zero-waste2030", "ess"]
    assert theme_key(theme_from_hashtag("#iPhone")) == theme_key("#iPhone")
