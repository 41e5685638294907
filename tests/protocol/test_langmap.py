"""Language maps (AS2 `nameMap`/`contentMap`, our `@container: @language` terms): parsing what peers send,
through both paths of JSON-LD compaction, in French, English and Spanish."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.langmap import canonical_lang_tag, is_lang_tag, parse_lang_list_map, parse_lang_map, pick
from tests.support.ld import DOCS, JSON, LANGS, PATHS, TOTALITY, through_jsonld

TEXTS = {"fr": "<p>Une monnaie locale</p>", "en": "<p>A local currency</p>", "es": "<p>Una moneda local</p>"}
LISTS = {"fr": ["Un fonds de garantie", "Trente commerces"], "en": ["A guarantee fund", "Thirty shops"],
         "es": ["Un fondo de garantía", "Treinta comercios"]}


@pytest.mark.parametrize("tag", ["fr", "en", "es", "en-GB", "es-419", "pt-BR", "zh-Hant-TW", "gsw", "sl-rozaj"])
def test_plausible_tags(tag: str) -> None:
    assert is_lang_tag(tag)


@pytest.mark.parametrize("tag", ["", "f", "français", "und", "UND", "fr_FR", "fr-", "-fr", "fr\n", "en-GB\n",
                                 "fr-toolongsubtag", "@none", "1fr", "fr fr"])
def test_implausible_tags(tag: str) -> None:
    assert not is_lang_tag(tag)


@pytest.mark.parametrize(("tag", "canonical"), [
    ("fr", "fr"), ("FR", "fr"), ("pt-br", "pt-BR"), ("PT-BR", "pt-BR"), ("es-419", "es-419"),
    ("zh-hant-tw", "zh-Hant-TW"), ("sl-rozaj-biske", "sl-rozaj-biske"), ("de-ch-1996", "de-CH-1996"),
])
def test_canonical_case(tag: str, canonical: str) -> None:
    assert canonical_lang_tag(tag) == canonical


def test_a_plain_string_is_the_fallback_language() -> None:
    assert parse_lang_map("<p>Texte</p>", fallback_lang="fr") == {"fr": "<p>Texte</p>"}
    assert parse_lang_map("<p>Texte</p>") == {}


def test_bad_entries_are_dropped_not_fatal() -> None:
    raw = {"fr": "oui", "en": 3, "und": "?", "fr_FR": "non", 7: "x", "es": None, "en-GB": "yes"}
    assert parse_lang_map(raw) == {"fr": "oui", "en-GB": "yes"}


def test_long_texts_are_cut() -> None:
    assert parse_lang_map({"fr": "x" * 50}, limit=10) == {"fr": "x" * 10}
    assert parse_lang_list_map({"fr": ["y" * 50]}, limit=10) == {"fr": ["y" * 10]}


def test_list_maps() -> None:
    assert parse_lang_list_map(LISTS) == LISTS
    assert parse_lang_list_map(["a", "b"], fallback_lang="es") == {"es": ["a", "b"]}
    assert parse_lang_list_map("seul", fallback_lang="fr") == {"fr": ["seul"]}
    assert parse_lang_list_map({"fr": "seul"}) == {"fr": ["seul"]}
    assert parse_lang_list_map({"fr": ["", "  ", 4, "ok"], "en": []}) == {"fr": ["ok"]}
    assert parse_lang_list_map({"fr": ["x"] * 500})["fr"] == ["x"] * 200


@pytest.mark.parametrize("lang", LANGS)
def test_pick_prefers_the_reader_then_the_default_then_any(lang: str) -> None:
    assert pick(TEXTS, lang, "fr") == TEXTS[lang]
    assert pick({"fr": "a"}, lang, "fr") == "a"
    assert pick({"es": "b"}, "en", "fr") == "b"
    assert pick({}, lang, "fr") == ""


@PATHS
@pytest.mark.parametrize("lang", LANGS)
def test_language_maps_survive_compaction(lang: str, slow: bool) -> None:
    doc = through_jsonld({"needs": {lang: TEXTS[lang]}, "achievements": {lang: LISTS[lang]},
                          "nameMap": TEXTS}, slow=slow)
    assert parse_lang_map(doc["needs"]) == {lang: TEXTS[lang]}
    assert parse_lang_list_map(doc["achievements"]) == {lang: LISTS[lang]}
    assert parse_lang_map(doc["nameMap"]) == TEXTS


@PATHS
def test_region_subtags_read_the_same_on_both_paths(slow: bool) -> None:
    # pyld lowercases every language tag (JSON-LD 1.0 expansion); parsing restores the canonical case.
    doc = through_jsonld({"needs": {"pt-BR": "a", "es-419": "b"}, "nameMap": {"en-GB": "c"}}, slow=slow)
    assert parse_lang_map(doc["needs"]) == {"pt-BR": "a", "es-419": "b"}
    assert parse_lang_map(doc["nameMap"]) == {"en-GB": "c"}


@PATHS
def test_plain_strings_of_a_language_term_survive_compaction(slow: bool) -> None:
    # A peer that is not multilingual sends a string; pyld compacts it to {"@none": ...}.
    doc = through_jsonld({"needs": "<p>Besoin</p>", "achievements": ["Un", "Deux"]}, slow=slow)
    if slow:
        assert doc["needs"] == {"@none": "<p>Besoin</p>"}
    assert parse_lang_map(doc["needs"], fallback_lang="fr") == {"fr": "<p>Besoin</p>"}
    assert parse_lang_list_map(doc["achievements"], fallback_lang="fr") == {"fr": ["Un", "Deux"]}


def test_none_entry_never_overrides_a_tagged_one() -> None:
    assert parse_lang_map({"fr": "tagged", "@none": "plain"}, fallback_lang="fr") == {"fr": "tagged"}
    assert parse_lang_map({"@none": "plain"}) == {}
    assert parse_lang_list_map({"@none": ["a"], "es": ["b"]}, fallback_lang="fr") == {"es": ["b"], "fr": ["a"]}


@TOTALITY
@given(value=JSON | DOCS, fallback=st.sampled_from([None, "fr", "es"]))
def test_parsers_are_total(value: Any, fallback: str | None) -> None:
    texts = parse_lang_map(value, fallback_lang=fallback)
    lists = parse_lang_list_map(value, fallback_lang=fallback)
    assert all(is_lang_tag(k) and isinstance(v, str) for k, v in texts.items())
    assert all(is_lang_tag(k) and v and all(isinstance(s, str) for s in v) for k, v in lists.items())
