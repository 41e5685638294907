"""Merging a translation's fields into the stored ones (node.publishing.merge_fields)."""

from node.publishing import merge_fields

STORED = {
    "needs": {"fr": "<p>Besoins</p>"},
    "inLanguage": "fr",
    "subEvent": [{"type": "Event", "name": "Visite", "nameMap": {"fr": "Visite"}}],
    "maximumAttendeeCapacity": 30,
}
ENGLISH = {
    "needs": {"en": "<p>Needs</p>"},
    "inLanguage": "en",
    "subEvent": [{"type": "Event", "name": "Visit", "nameMap": {"en": "Visit"}}],
    "maximumAttendeeCapacity": 40,
}


def test_a_translation_adds_languages_and_keeps_default_language_values() -> None:
    merged = merge_fields(STORED, ENGLISH, translation=True)
    assert merged["needs"] == {"fr": "<p>Besoins</p>", "en": "<p>Needs</p>"}
    assert merged["inLanguage"] == "fr"
    assert merged["subEvent"] == [{"type": "Event", "name": "Visite", "nameMap": {"fr": "Visite", "en": "Visit"}}]
    assert merged["maximumAttendeeCapacity"] == 40


def test_an_edit_in_the_default_language_replaces_values() -> None:
    edit = {"inLanguage": "fr", "subEvent": [{"type": "Event", "name": "Visite guidée",
                                              "nameMap": {"fr": "Visite guidée"}}]}
    merged = merge_fields(STORED, edit)
    assert merged["subEvent"][0]["name"] == "Visite guidée"
    assert merged["subEvent"][0]["nameMap"] == {"fr": "Visite guidée"}


def test_lists_of_another_length_are_replaced() -> None:
    merged = merge_fields(STORED, {"subEvent": []}, translation=True)
    assert merged["subEvent"] == []
