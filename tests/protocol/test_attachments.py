"""Attachments: images with their alt text in several languages, and documents; what Mastodon shows
(`name` as alt text) and what peers send."""

from typing import Any

import pytest
from hypothesis import given

from protocol.attachments import MAX_ATTACHMENTS, Attachment, build_attachments, parse_attachments
from tests.support.ld import BASE, DOCS, LANGS, PATHS, TOTALITY, through_jsonld, undefined_terms

PHOTO = Attachment(f"{BASE}/media/marche.jpg", "image/jpeg", {
    "fr": "Étal de producteurs au marché de Crest, billets de monnaie locale sur le comptoir",
    "en": "Producers' stall at the Crest market, local currency notes on the counter",
    "es": "Puesto de productores en el mercado de Crest, billetes de moneda local sobre el mostrador",
})
REPORT = Attachment(f"{BASE}/media/bilan-2026.pdf", "application/pdf")
MAP = Attachment(f"{BASE}/media/carte.png", "image/png", {"fr": "Carte des comptoirs de change"})
ITEMS = (PHOTO, REPORT, MAP)


@PATHS
@pytest.mark.parametrize("lang", LANGS)
def test_round_trip(lang: str, slow: bool) -> None:
    doc = through_jsonld({"attachment": build_attachments(ITEMS, lang)}, slow=slow)
    assert parse_attachments(doc["attachment"], lang) == ITEMS


@PATHS
def test_a_single_attachment_survives_compaction(slow: bool) -> None:
    # pyld compacts a one-item list to the item itself.
    doc = through_jsonld({"attachment": build_attachments((PHOTO,), "es")}, slow=slow)
    assert parse_attachments(doc["attachment"], "es") == (PHOTO,)


@pytest.mark.parametrize("lang", LANGS)
def test_mastodon_sees_the_alt_text_in_the_default_language(lang: str) -> None:
    photo, report, single = build_attachments(ITEMS, lang)
    assert photo == {"type": "Image", "mediaType": "image/jpeg", "url": PHOTO.url, "name": PHOTO.alt[lang],
                     "nameMap": dict(PHOTO.alt)}
    assert report == {"type": "Document", "mediaType": "application/pdf", "url": REPORT.url}
    assert single["name"] == MAP.alt["fr"]  # only one language: that one, whatever the default
    assert undefined_terms([photo, report, single]) == set()


def test_kind() -> None:
    assert (PHOTO.kind, REPORT.kind, Attachment("https://a.example/v.webm", "video/webm").kind) == \
        ("Image", "Document", "Document")


def test_what_peers_send() -> None:
    raw = [
        # Mastodon: Document with the alt text in `name`, no nameMap, blurhash and focalPoint.
        {"type": "Document", "mediaType": "image/png", "url": "https://m.example/a.png", "name": "Alt",
         "blurhash": "UBL_:rOpGG-;", "focalPoint": [0.0, 0.0]},
        # PeerTube: `url` is a list of Links.
        {"type": "Video", "url": [{"type": "Link", "href": "https://p.example/v.mp4", "mediaType": "video/mp4"}]},
        {"type": "Image", "url": {"type": "Link", "href": "https://p.example/i.jpg"}},
        {"type": "PropertyValue", "name": "Site", "value": "<a href='https://x.example'>x</a>"},
        {"type": "Link", "name": "Website", "href": "https://visio.example/", "mediaType": "text/html"},
        {"type": "Image", "url": "javascript:alert(1)"},
        {"type": "Image"},
        "https://a.example/loose-string.jpg",
    ]
    assert parse_attachments(raw, "fr") == (
        Attachment("https://m.example/a.png", "image/png", {"fr": "Alt"}),
        Attachment("https://p.example/v.mp4", "application/octet-stream"),
        Attachment("https://p.example/i.jpg", "application/octet-stream"),
    )


def test_name_map_wins_over_name() -> None:
    raw = {"type": "Image", "url": PHOTO.url, "mediaType": "image/jpeg", "name": "x", "nameMap": {"en": "y"}}
    assert parse_attachments(raw, "fr") == (Attachment(PHOTO.url, "image/jpeg", {"en": "y"}),)


def test_at_most_twenty() -> None:
    raw = [{"type": "Document", "url": f"https://a.example/{i}.pdf"} for i in range(MAX_ATTACHMENTS + 5)]
    assert len(parse_attachments(raw, "fr")) == MAX_ATTACHMENTS


@pytest.mark.parametrize("value", [None, [], {}, "x", 3, [None, 1, "y"]])
def test_nothing(value: Any) -> None:
    assert parse_attachments(value, "fr") == ()


@TOTALITY
@given(value=DOCS)
def test_parse_attachments_is_total(value: dict[str, Any]) -> None:
    for item in parse_attachments(value.get("attachment"), "fr") + parse_attachments(list(value.values()), "en"):
        assert item.url.startswith(("http://", "https://")) and isinstance(item.media_type, str)
