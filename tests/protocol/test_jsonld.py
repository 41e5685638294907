"""Tests for protocol.jsonld: bundled contexts, the offline loader and compaction."""

from __future__ import annotations

import copy
import json
import socket
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pyld.jsonld  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.errors import ParseError
from protocol.jsonld import (
    AS_CONTEXT_IRI,
    AS_PUBLIC,
    DATA_INTEGRITY_CONTEXT_IRI,
    MAILLAGE_CONTEXT_IRI,
    MULTIKEY_CONTEXT_IRI,
    OUTGOING_CONTEXT,
    SECURITY_CONTEXT_IRI,
    WEBFINGER_CONTEXT_IRI,
    bundled_context,
    compact,
    offline_document_loader,
)

AS = "https://www.w3.org/ns/activitystreams#"
SEC = "https://w3id.org/security#"
TOOT = "http://joinmastodon.org/ns#"
SCHEMA = "http://schema.org#"
MZ = "https://joinmobilizon.org/ns#"

# --- real contexts, as peers send them ------------------------------------------------------

# Context of a Create(Note) delivered by Mastodon 4.1.3 (captured on the wire).
MASTODON_NOTE_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "votersCount": "toot:votersCount",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    },
]

# Mastodon 4.5 (app/helpers/context_helper.rb): NoteSerializer's extensions, in order.
MASTODON_45_NOTE_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "votersCount": "toot:votersCount",
        "quote": "https://w3id.org/fep/044f#quote",
        "quoteUri": "http://fedibird.com/ns#quoteUri",
        "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
        "quoteAuthorization": {"@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id"},
        "gts": "https://gotosocial.org/ns#",
        "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
        "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
        "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
        "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "Hashtag": "as:Hashtag",
    },
]

# Mastodon 4.3 actor (ActorSerializer's context extensions).
MASTODON_ACTOR_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "discoverable": "toot:discoverable",
        "suspended": "toot:suspended",
        "memorial": "toot:memorial",
        "indexable": "toot:indexable",
        "attributionDomains": {"@id": "toot:attributionDomains", "@type": "@id"},
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    },
]

# Mobilizon (lib/federation/activity_pub/utils.ex, make_json_ld_header/0).
MOBILIZON_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "@language": "und",
        "sc": "http://schema.org#",
        "ical": "http://www.w3.org/2002/12/cal/ical#",
        "pt": "https://joinpeertube.org/ns#",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "Hashtag": "as:Hashtag",
        "category": "sc:category",
        "uuid": "sc:identifier",
        "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
        "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
        "location": {"@id": "sc:location", "@type": "sc:Place"},
        "PostalAddress": "sc:PostalAddress",
        "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
        "addressCountry": "sc:addressCountry",
        "addressRegion": "sc:addressRegion",
        "postalCode": "sc:postalCode",
        "addressLocality": "sc:addressLocality",
        "streetAddress": "sc:streetAddress",
        "mz": "https://joinmobilizon.org/ns#",
        "repliesModerationOptionType": {"@id": "mz:repliesModerationOptionType", "@type": "rdfs:Class"},
        "repliesModerationOption": {
            "@id": "mz:repliesModerationOption",
            "@type": "mz:repliesModerationOptionType",
        },
        "commentsEnabled": {"@type": "sc:Boolean", "@id": "pt:commentsEnabled"},
        "joinModeType": {"@id": "mz:joinModeType", "@type": "rdfs:Class"},
        "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
        "anonymousParticipationEnabled": {"@id": "mz:anonymousParticipationEnabled", "@type": "sc:Boolean"},
        "participationMessage": {"@id": "mz:participationMessage", "@type": "sc:Text"},
        "participantCount": {"@id": "mz:participantCount", "@type": "sc:Integer"},
        "memberCount": {"@id": "mz:memberCount", "@type": "sc:Integer"},
        "isOnline": {"@type": "sc:Boolean", "@id": "mz:isOnline"},
        "externalParticipationUrl": {"@id": "mz:externalParticipationUrl", "@type": "sc:URL"},
        "PropertyValue": "sc:PropertyValue",
        "value": "sc:value",
        "propertyID": "sc:propertyID",
        "inLanguage": "sc:inLanguage",
        "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
        "discussions": {"@id": "mz:discussions", "@type": "@id"},
        "events": {"@id": "mz:events", "@type": "@id"},
        "members": {"@id": "mz:members", "@type": "@id"},
        "openness": {"@id": "mz:openness", "@type": "@id"},
        "posts": {"@id": "mz:posts", "@type": "@id"},
        "resources": {"@id": "mz:resources", "@type": "@id"},
        "todos": {"@id": "mz:todos", "@type": "@id"},
        "status": {"@id": "ical:status", "@type": "ical:status"},
    },
]


def mastodon_create() -> dict[str, Any]:
    """A Mastodon 4.1.3 Create(Note) with a video attachment (hosts replaced)."""
    note = "https://mastodon.example/users/hz/statuses/112161746076036928"
    return {
        "@context": copy.deepcopy(MASTODON_NOTE_CONTEXT),
        "id": f"{note}/activity",
        "type": "Create",
        "actor": "https://mastodon.example/users/hz",
        "published": "2024-03-26T11:27:04Z",
        "to": ["https://mastodon.example/users/hz/followers"],
        "cc": [],
        "object": {
            "id": note,
            "type": "Note",
            "summary": None,
            "inReplyTo": None,
            "published": "2024-03-26T11:27:04Z",
            "url": "https://mastodon.example/@hz/112161746076036928",
            "attributedTo": "https://mastodon.example/users/hz",
            "to": ["https://mastodon.example/users/hz/followers"],
            "cc": [],
            "sensitive": False,
            "atomUri": note,
            "inReplyToAtomUri": None,
            "conversation": "tag:mastodon.example,2024-03-26:objectId=1638137:objectType=Conversation",
            "content": "<p>video test</p>",
            "contentMap": {"zh": "<p>video test</p>"},
            "attachment": [
                {
                    "type": "Document",
                    "mediaType": "video/mp4",
                    "url": "https://files.mastodon.example/media/original/f1a9a08f1eabbbcb.mp4",
                    "name": None,
                    "blurhash": "UGEo[DRj9F-;x]-pR*D%4UShxZV[4nt7%MjY",
                    "width": 272,
                    "height": 270,
                }
            ],
            "tag": [],
            "replies": {
                "id": f"{note}/replies",
                "type": "Collection",
                "first": {
                    "type": "CollectionPage",
                    "next": f"{note}/replies?only_other_accounts=true&page=true",
                    "partOf": f"{note}/replies",
                    "items": [],
                },
            },
        },
    }


def mastodon_actor() -> dict[str, Any]:
    base = "https://mastodon.example/users/alice"
    return {
        "@context": copy.deepcopy(MASTODON_ACTOR_CONTEXT),
        "id": base,
        "type": "Person",
        "following": f"{base}/following",
        "followers": f"{base}/followers",
        "inbox": f"{base}/inbox",
        "outbox": f"{base}/outbox",
        "featured": f"{base}/collections/featured",
        "featuredTags": f"{base}/collections/tags",
        "preferredUsername": "alice",
        "name": "Alice",
        "summary": "<p>Coopératrice</p>",
        "url": "https://mastodon.example/@alice",
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "indexable": False,
        "published": "2023-01-01T00:00:00Z",
        "memorial": False,
        "publicKey": {
            "id": f"{base}#main-key",
            "owner": base,
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIB...\n-----END PUBLIC KEY-----\n",
        },
        "tag": [],
        "attachment": [{"type": "PropertyValue", "name": "Site", "value": '<a href="https://a.example">a</a>'}],
        "endpoints": {"sharedInbox": "https://mastodon.example/inbox"},
        "icon": {"type": "Image", "mediaType": "image/png", "url": "https://files.mastodon.example/a.png"},
    }


def mobilizon_event() -> dict[str, Any]:
    return {
        "@context": copy.deepcopy(MOBILIZON_CONTEXT),
        "type": "Event",
        "id": "https://mobilizon.example/events/8c1b",
        "attributedTo": "https://mobilizon.example/@collectif",
        "actor": "https://mobilizon.example/@alice",
        "name": "Assemblée générale",
        "content": "<p>Ordre du jour</p>",
        "mediaType": "text/html",
        "startTime": "2030-03-01T18:00:00+01:00",
        "endTime": "2030-03-01T20:00:00+01:00",
        "joinMode": "restricted",
        "maximumAttendeeCapacity": 40,
        "remainingAttendeeCapacity": 37,
        "participantCount": 3,
        "repliesModerationOption": "allow_all",
        "commentsEnabled": True,
        "anonymousParticipationEnabled": False,
        "isOnline": False,
        "timezone": "Europe/Paris",
        "status": "CONFIRMED",
        "to": [AS_PUBLIC],
        "cc": ["https://mobilizon.example/@collectif/followers"],
        "location": {
            "type": "Place",
            "name": "Maison des associations",
            "address": {
                "type": "PostalAddress",
                "streetAddress": "1 rue de la Solidarité",
                "postalCode": "69001",
                "addressLocality": "Lyon",
                "addressRegion": "Auvergne-Rhône-Alpes",
                "addressCountry": "France",
            },
        },
    }


# --- no network, ever -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail the test if anything (pyld included) tries to open a connection or fetch a document."""
    # Importing protocol.jsonld must not have replaced pyld's global loader.
    assert pyld.jsonld.get_document_loader() is not offline_document_loader
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args)[:200])
        raise OSError("network access is forbidden in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(pyld.jsonld, "_default_document_loader", refuse)
    monkeypatch.setattr(pyld.jsonld, "requests_document_loader", refuse)
    monkeypatch.setattr(pyld.jsonld, "aiohttp_document_loader", refuse)
    yield attempts
    assert attempts == [], f"network access attempted: {attempts}"


# --- bundled contexts and the loader --------------------------------------------------------


@pytest.mark.parametrize(
    ("iri", "file"),
    [
        ("https://www.w3.org/ns/activitystreams", "activitystreams.jsonld"),
        ("http://www.w3.org/ns/activitystreams", "activitystreams.jsonld"),
        ("https://www.w3.org/ns/activitystreams.jsonld", "activitystreams.jsonld"),
        ("http://www.w3.org/ns/activitystreams.jsonld", "activitystreams.jsonld"),
        ("https://www.w3.org/ns/activitystreams/", "activitystreams.jsonld"),
        ("HTTPS://WWW.W3.ORG/ns/activitystreams", "activitystreams.jsonld"),
        ("https://w3id.org/security/v1", "security-v1.jsonld"),
        ("http://w3id.org/security/v1", "security-v1.jsonld"),
        ("https://w3id.org/security/v1/", "security-v1.jsonld"),
        ("https://w3id.org/security/v1.jsonld", "security-v1.jsonld"),
        ("https://w3id.org/security/data-integrity/v1", "security-data-integrity-v1.jsonld"),
        ("http://w3id.org/security/data-integrity/v1/", "security-data-integrity-v1.jsonld"),
        ("https://w3id.org/security/multikey/v1", "multikey-v1.jsonld"),
        ("https://w3id.org/security/multikey/v1.jsonld", "multikey-v1.jsonld"),
        ("https://purl.archive.org/socialweb/webfinger", "webfinger.jsonld"),
        ("http://purl.archive.org/socialweb/webfinger", "webfinger.jsonld"),
        ("https://maillage.social/ns", "maillage.jsonld"),
        ("https://maillage.social/ns.jsonld", "maillage.jsonld"),
        ("http://maillage.social/ns/", "maillage.jsonld"),
        ("https://pleroma.example/schemas/litepub-0.1.jsonld", "litepub-0.1.jsonld"),
        ("https://akkoma.example/schemas/litepub-0.1.jsonld", "litepub-0.1.jsonld"),
    ],
)
def test_loader_finds_bundled_context_by_each_alias(iri: str, file: str) -> None:
    expected = json.loads(resources.files("protocol.contexts").joinpath(file).read_text(encoding="utf-8"))
    assert bundled_context(iri) == expected
    remote = offline_document_loader(iri)
    assert remote == {
        "contextUrl": None,
        "documentUrl": iri,
        "document": expected,
        "contentType": "application/ld+json",
        "tag": "static",
    }
    # The loader hands out copies: pyld may rewrite them without touching the cache.
    assert remote["document"] is not bundled_context(iri)
    assert offline_document_loader(iri, {"headers": {}})["document"] == expected


def test_constants_name_bundled_contexts() -> None:
    for iri in (
        AS_CONTEXT_IRI,
        SECURITY_CONTEXT_IRI,
        DATA_INTEGRITY_CONTEXT_IRI,
        MULTIKEY_CONTEXT_IRI,
        WEBFINGER_CONTEXT_IRI,
        MAILLAGE_CONTEXT_IRI,
    ):
        assert bundled_context(iri) is not None
    assert AS_PUBLIC == AS + "Public"


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/context.jsonld",
        "https://w3id.org/security/v2",
        "https://schema.org/",
        "https://litepub.social/litepub/context.jsonld",
        "https://pleroma.example/other/schemas/litepub-0.1.jsonld",
        "ftp://www.w3.org/ns/activitystreams",
        "file:///etc/passwd",
        "https://www.w3.org/ns/activitystreams?format=jsonld",
        "https://user@www.w3.org/ns/activitystreams",
        "https://www.w3.org:8443/ns/activitystreams",
        "https://www.w3.org.evil.example/ns/activitystreams",
        "www.w3.org/ns/activitystreams",
        "https://[::1/ns",
        "",
        "not a url",
        "https://example.org/" + "a" * 5000,
    ],
)
def test_loader_refuses_unknown_urls(url: str) -> None:
    assert bundled_context(url) is None
    with pytest.raises(ParseError) as err:
        offline_document_loader(url)
    assert err.value.reason == f"unknown JSON-LD context: {url[:200]}"


def test_activitystreams_and_security_match_pyld_vendored_copies() -> None:
    """Cross-check our verbatim copies against the ones pyld >= 3 ships, where available."""
    bundled = Path(pyld.jsonld.__file__).parent / "documentloader" / "frozen" / "bundled"
    if not bundled.is_dir():
        pytest.skip("this pyld version vendors no contexts")
    for name in ("activitystreams.jsonld", "security-v1.jsonld"):
        theirs = json.loads((bundled / name).read_text(encoding="utf-8"))
        ours = json.loads(resources.files("protocol.contexts").joinpath(name).read_text(encoding="utf-8"))
        assert ours == theirs, name


def test_bundled_contexts_are_the_published_ones() -> None:
    ctx = bundled_context(AS_CONTEXT_IRI)
    assert ctx is not None
    terms = ctx["@context"]
    assert terms["as"] == AS
    assert terms["@vocab"] == "_:"
    assert terms["Public"] == {"@id": "as:Public", "@type": "@id"}
    assert terms["alsoKnownAs"] == {"@id": "as:alsoKnownAs", "@type": "@id"}
    security = bundled_context(SECURITY_CONTEXT_IRI)
    assert security is not None
    assert security["@context"]["publicKeyPem"] == "sec:publicKeyPem"
    assert security["@context"]["sec"] == SEC
    multikey = bundled_context(MULTIKEY_CONTEXT_IRI)
    assert multikey is not None
    assert multikey["@context"]["Multikey"]["@id"] == SEC + "Multikey"
    integrity = bundled_context(DATA_INTEGRITY_CONTEXT_IRI)
    assert integrity is not None
    assert integrity["@context"]["proof"]["@id"] == SEC + "proof"


def test_outgoing_context_embeds_maillage_terms() -> None:
    maillage = bundled_context(MAILLAGE_CONTEXT_IRI)
    assert maillage is not None
    assert OUTGOING_CONTEXT[:2] == [AS_CONTEXT_IRI, SECURITY_CONTEXT_IRI]
    assert OUTGOING_CONTEXT[2] == maillage["@context"]
    assert OUTGOING_CONTEXT[2]["maillage"] == "https://maillage.social/ns#"


def test_outgoing_terms_expand_to_the_expected_iris() -> None:
    doc = {
        "@context": OUTGOING_CONTEXT,
        "manuallyApprovesFollowers": True,
        "sensitive": False,
        "discoverable": True,
        "indexable": False,
        "featured": "https://a.example/featured",
        "value": "v",
        "votersCount": 3,
        "blurhash": "x",
        "focalPoint": [0.5, -0.2],
        "joinMode": "free",
        "participantCount": 2,
        "maximumAttendeeCapacity": 10,
        "remainingAttendeeCapacity": 8,
        "timezone": "Europe/Paris",
        "isOnline": True,
        "commentsEnabled": True,
        "repliesModerationOption": "allow_all",
        "address": {
            "type": "PostalAddress",
            "streetAddress": "s",
            "postalCode": "p",
            "addressLocality": "l",
            "addressRegion": "r",
            "addressCountry": "c",
        },
        "tag": [{"type": "Hashtag"}, {"type": "Emoji"}],
        "attachment": {"type": "PropertyValue"},
    }
    [expanded] = pyld.jsonld.expand(doc, options={"documentLoader": offline_document_loader})
    expected = {
        AS + "manuallyApprovesFollowers",
        AS + "sensitive",
        TOOT + "discoverable",
        TOOT + "indexable",
        TOOT + "featured",
        SCHEMA + "value",
        TOOT + "votersCount",
        TOOT + "blurhash",
        TOOT + "focalPoint",
        MZ + "joinMode",
        MZ + "participantCount",
        SCHEMA + "maximumAttendeeCapacity",
        SCHEMA + "remainingAttendeeCapacity",
        MZ + "timezone",
        MZ + "isOnline",
        "https://joinpeertube.org/ns#commentsEnabled",
        MZ + "repliesModerationOption",
        SCHEMA + "address",
        AS + "tag",
        AS + "attachment",
    }
    assert set(expanded) == expected
    assert expanded[TOOT + "featured"] == [{"@id": "https://a.example/featured"}]
    assert expanded[MZ + "joinMode"] == [{"@value": "free", "@type": MZ + "joinModeType"}]
    address = expanded[SCHEMA + "address"][0]
    assert address["@type"] == [SCHEMA + "PostalAddress"]
    assert {SCHEMA + k for k in ("streetAddress", "postalCode", "addressLocality")} <= set(address)
    assert [t["@type"] for t in expanded[AS + "tag"]] == [[AS + "Hashtag"], [TOOT + "Emoji"]]
    assert expanded[AS + "attachment"][0]["@type"] == [SCHEMA + "PropertyValue"]


def test_loader_is_passable_to_pyld_explicitly() -> None:
    doc = {"@context": [AS_CONTEXT_IRI, DATA_INTEGRITY_CONTEXT_IRI, MULTIKEY_CONTEXT_IRI], "type": "Multikey"}
    [expanded] = pyld.jsonld.expand(doc, options={"documentLoader": offline_document_loader})
    assert expanded["@type"] == [SEC + "Multikey"]


# --- compaction -------------------------------------------------------------------------------


def test_compacts_an_expanded_follow() -> None:
    doc = {
        "@context": AS_CONTEXT_IRI,
        "@id": "https://a.example/follows/1",
        "@type": AS + "Follow",
        AS + "actor": {"@id": "https://a.example/users/alice"},
        AS + "object": {"@id": "https://b.example/users/bob"},
    }
    out = compact(doc)
    assert out["type"] == "Follow"
    assert out["id"] == "https://a.example/follows/1"
    assert out["actor"] == "https://a.example/users/alice"
    assert out["object"] == "https://b.example/users/bob"
    assert out["@context"] == OUTGOING_CONTEXT


def test_compacts_as_prefixed_terms() -> None:
    doc = {
        "@context": [AS_CONTEXT_IRI],
        "id": "https://a.example/follows/2",
        "type": "as:Follow",
        "as:actor": {"id": "https://a.example/users/alice"},
        "as:object": {"id": "https://b.example/users/bob"},
    }
    out = compact(doc)
    assert out["type"] == "Follow"
    assert out["actor"] == "https://a.example/users/alice"
    assert out["object"] == "https://b.example/users/bob"


def test_compacts_a_fully_expanded_document_without_context() -> None:
    doc = {
        "@id": "https://a.example/likes/1",
        "@type": [AS + "Like"],
        AS + "actor": [{"@id": "https://a.example/users/alice"}],
        AS + "object": [{"@id": "https://b.example/notes/1"}],
    }
    out = compact(doc)
    assert out["type"] == "Like"
    assert out["actor"] == "https://a.example/users/alice"


def test_compacts_a_real_mastodon_create_offline() -> None:
    doc = mastodon_create()
    original = copy.deepcopy(doc)
    out = compact(doc)
    assert doc == original  # the input is left untouched
    assert out is not doc
    assert out["@context"] == OUTGOING_CONTEXT
    assert out["type"] == "Create"
    assert out["actor"] == "https://mastodon.example/users/hz"
    note = out["object"]
    assert note["type"] == "Note"
    assert note["sensitive"] is False
    assert note["content"] == "<p>video test</p>"
    assert note["contentMap"] == {"zh": "<p>video test</p>"}
    assert note["attachment"]["blurhash"] == "UGEo[DRj9F-;x]-pR*D%4UShxZV[4nt7%MjY"
    assert note["attachment"]["width"] == 272
    # Extension terms we do not define keep their meaning under their full IRI.
    assert note["http://ostatus.org#atomUri"] == original["object"]["atomUri"]
    assert "atomUri" not in note


def test_compacts_a_mastodon_45_note_with_quote_policy_offline() -> None:
    doc = mastodon_create()
    doc["@context"] = copy.deepcopy(MASTODON_45_NOTE_CONTEXT)
    doc["object"]["interactionPolicy"] = {"canQuote": {"automaticApproval": [AS_PUBLIC]}}
    doc["object"]["tag"] = [{"type": "Hashtag", "href": "https://mastodon.example/tags/ess", "name": "#ess"}]
    out = compact(doc)
    assert out["object"]["tag"]["type"] == "Hashtag"
    policy = out["object"]["https://gotosocial.org/ns#interactionPolicy"]
    approval = policy["https://gotosocial.org/ns#canQuote"]["https://gotosocial.org/ns#automaticApproval"]
    assert approval == {"id": "as:Public"}  # no term of ours is @id-typed here


def test_mastodon_actor_takes_the_fast_path() -> None:
    doc = mastodon_actor()
    assert compact(doc) is doc


def test_mastodon_actor_with_webfinger_context_takes_the_fast_path() -> None:
    doc = mastodon_actor()
    doc["@context"].insert(2, WEBFINGER_CONTEXT_IRI)
    doc["webfinger"] = "alice@mastodon.example"
    assert compact(doc) is doc


def test_mastodon_actor_with_webfinger_and_unknown_terms_compacts_offline() -> None:
    doc = mastodon_actor()
    doc["@context"][-1]["showMedia"] = "toot:showMedia"
    doc["showMedia"] = True
    doc["@context"].insert(2, WEBFINGER_CONTEXT_IRI)
    doc["webfinger"] = "alice@mastodon.example"
    out = compact(doc)
    assert out["type"] == "Person"
    assert out["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert out["webfinger"] == "alice@mastodon.example"


def test_compacts_a_mobilizon_event_and_keeps_event_terms() -> None:
    out = compact(mobilizon_event())
    assert out["type"] == "Event"
    assert out["joinMode"] == "restricted"
    assert out["participantCount"] == 3
    assert out["maximumAttendeeCapacity"] == 40
    assert out["remainingAttendeeCapacity"] == 37
    assert out["repliesModerationOption"] == "allow_all"
    assert out["commentsEnabled"] is True
    assert out["isOnline"] is False
    assert out["timezone"] == "Europe/Paris"
    # "@language": "und" is not turned into language maps.
    assert out["name"] == "Assemblée générale"
    assert out["content"] == "<p>Ordre du jour</p>"
    assert "nameMap" not in out
    # Mobilizon maps `location` to schema:location, not as:location.
    place = out["schema:location"]
    assert place["address"]["postalCode"] == "69001"
    assert place["address"]["addressLocality"] == "Lyon"
    assert out["to"] in (AS_PUBLIC, "as:Public", "Public")


def test_compacts_a_pleroma_note_with_instance_litepub_context() -> None:
    doc = {
        "@context": [AS_CONTEXT_IRI, "https://pleroma.example/schemas/litepub-0.1.jsonld", {"@language": "und"}],
        "id": "https://pleroma.example/activities/1",
        "type": "Create",
        "actor": "https://pleroma.example/users/bob",
        "directMessage": False,
        "object": {
            "id": "https://pleroma.example/objects/1",
            "type": "Note",
            "content": "salut",
            "sensitive": False,
            "tag": [{"type": "Emoji", "name": ":blob:", "icon": {"type": "Image", "url": "https://p.example/e.png"}}],
        },
    }
    out = compact(doc)
    assert out["object"]["content"] == "salut"
    assert out["object"]["tag"]["type"] == "Emoji"
    assert out["http://litepub.social/ns#directMessage"] is False


def test_undeclared_mastodon_terms_are_understood() -> None:
    """Peers often send only the AS context yet use Mastodon's terms: our terms are assumed."""
    doc = {
        "@context": [AS_CONTEXT_IRI, {"ostatus": "http://ostatus.org#"}],
        "type": "Note",
        "id": "https://a.example/n/1",
        "sensitive": True,
        "tag": [{"type": "Hashtag", "name": "#ess"}],
    }
    out = compact(doc)
    assert out["sensitive"] is True
    assert out["tag"]["type"] == "Hashtag"


def test_sender_definitions_override_assumed_terms() -> None:
    doc = {"@context": [AS_CONTEXT_IRI, {"sensitive": "https://other.example/ns#sensitive"}], "sensitive": True}
    out = compact(doc)
    assert "sensitive" not in out
    assert out["https://other.example/ns#sensitive"] is True


# --- fast path ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        {"@context": AS_CONTEXT_IRI, "id": "https://a.example/1", "type": "Follow", "actor": "https://a.example/u"},
        {"@context": "http://www.w3.org/ns/activitystreams", "type": "Note", "content": "x"},
        {"@context": [AS_CONTEXT_IRI], "type": ["Note"], "to": [AS_PUBLIC]},
        {"@context": [AS_CONTEXT_IRI, SECURITY_CONTEXT_IRI], "type": "Person", "publicKey": {"id": "k"}},
        {"@context": [AS_CONTEXT_IRI, MAILLAGE_CONTEXT_IRI], "type": "Event", "joinMode": "free"},
        {"@context": OUTGOING_CONTEXT, "type": "Note", "sensitive": False, "tag": [{"type": "Hashtag"}]},
        {"@context": [AS_CONTEXT_IRI, {"@language": "und", "toot": TOOT}], "type": "Note"},
        {"type": "Note", "content": "no @context: AS2 Core section 2.1 assumes the AS context"},
    ],
)
def test_fast_path_returns_the_same_object(doc: dict[str, Any]) -> None:
    assert compact(doc) is doc


@pytest.mark.parametrize(
    "doc",
    [
        {"@context": AS_CONTEXT_IRI, "@type": AS + "Follow"},
        {"@context": AS_CONTEXT_IRI, "@id": "https://a.example/1", "type": "Note"},
        {"@context": AS_CONTEXT_IRI, "type": "as:Note"},
        {"@context": AS_CONTEXT_IRI, "type": AS + "Note"},
        {"@context": AS_CONTEXT_IRI, "as:content": "x"},
        {"@context": AS_CONTEXT_IRI, "object": {"@context": {"x": "https://x.example/#"}, "type": "Note"}},
        {"@context": AS_CONTEXT_IRI, "object": {"content": {"@value": "x", "@language": "fr"}}},
        {"@context": [SECURITY_CONTEXT_IRI, AS_CONTEXT_IRI], "type": "Person"},
        {"@context": [AS_CONTEXT_IRI, DATA_INTEGRITY_CONTEXT_IRI], "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, {"atomUri": "http://ostatus.org#atomUri"}], "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, {"sensitive": "toot:sensitive"}], "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, {"featured": "toot:featured"}], "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, {"toot": "https://elsewhere.example/ns#"}], "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, {"@language": "fr"}], "type": "Note", "name": "x"},
        {"@context": [AS_CONTEXT_IRI, {"@vocab": "https://v.example/"}], "type": "Note"},
        mastodon_create(),
        mobilizon_event(),
    ],
)
def test_other_shapes_take_the_slow_path(doc: dict[str, Any]) -> None:
    out = compact(doc)
    assert out is not doc
    assert out["@context"] == OUTGOING_CONTEXT


@pytest.mark.parametrize(
    "doc",
    [
        mastodon_actor(),
        {
            "@context": OUTGOING_CONTEXT,
            "id": "https://m.example/events/1",
            "type": "Event",
            "name": "AG",
            "joinMode": "free",
            "participantCount": 2,
            "isOnline": False,
            "timezone": "Europe/Paris",
            "location": {"type": "Place", "address": {"type": "PostalAddress", "postalCode": "69001"}},
            "to": ["https://m.example/followers"],
            "undefinedTerm": 7,
        },
        {
            "@context": [AS_CONTEXT_IRI, SECURITY_CONTEXT_IRI, WEBFINGER_CONTEXT_IRI, MAILLAGE_CONTEXT_IRI],
            "id": "https://m.example/u/a",
            "type": "Person",
            "webfinger": "a@m.example",
            "discoverable": True,
            "publicKey": {"id": "https://m.example/u/a#key", "owner": "https://m.example/u/a", "publicKeyPem": "k"},
            "attachment": [{"type": "PropertyValue", "name": "n", "value": "v"}],
            "icon": {"type": "Image", "url": "https://m.example/a.png", "focalPoint": [0.1, 0.2]},
        },
    ],
)
def test_fast_path_agrees_with_pyld(doc: dict[str, Any]) -> None:
    """What the fast path returns unchanged, pyld compacts to the same terms and values."""
    assert compact(doc) is doc
    slow = pyld.jsonld.compact(
        doc, copy.deepcopy(OUTGOING_CONTEXT), options={"documentLoader": offline_document_loader}
    )

    def same(fast: Any, compacted: Any) -> None:
        if isinstance(fast, list) and not isinstance(compacted, list) and len(fast) == 1:
            fast = fast[0]  # pyld compacts one-element arrays
        if isinstance(fast, dict):
            assert isinstance(compacted, dict)
            assert set(fast) - {"@context"} == set(compacted) - {"@context"}
            for key in set(fast) - {"@context"}:
                same(fast[key], compacted[key])
        elif isinstance(fast, list):
            assert isinstance(compacted, list) and len(fast) == len(compacted)
            for a, b in zip(fast, compacted, strict=True):
                same(a, b)
        else:
            assert fast == compacted

    same(doc, slow)


def test_contexts_accepted_on_the_fast_path_only_repeat_our_terms() -> None:
    from protocol import jsonld

    for name in jsonld._OUR_FILES - {"activitystreams.jsonld"}:
        terms = json.loads(resources.files("protocol.contexts").joinpath(name).read_text(encoding="utf-8"))
        assert jsonld._inline_is_ours(terms["@context"]), name


# --- garbage --------------------------------------------------------------------------------


def _cyclic() -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": AS_CONTEXT_IRI, "type": "Note"}
    doc["object"] = doc
    return doc


def _deep(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "Note"}
    for _ in range(depth):
        doc = {"type": "Note", "object": doc}
    doc["@context"] = AS_CONTEXT_IRI
    return doc


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        [{"@context": AS_CONTEXT_IRI, "type": "Note"}],
        "https://www.w3.org/ns/activitystreams",
        42,
        b"{}",
        {"@context": "https://evil.example/context.jsonld", "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, "https://evil.example/context.jsonld"], "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, {"@import": "https://evil.example/ctx"}], "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, {"x": {"@id": "x:y", "@context": "https://evil.example/c"}}], "x": {}},
        {"@context": 5, "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, 5], "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, {"@version": 2.0}], "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, {"toot": {"@id": 5}}], "type": "Note"},
        {"@context": AS_CONTEXT_IRI, "type": 5},
        {"@context": AS_CONTEXT_IRI, "@id": 5},
        {"@context": AS_CONTEXT_IRI, "type": {"nested": True}},
        {"@context": AS_CONTEXT_IRI, "content": {"@value": {"x": 1}}},
        {"@context": AS_CONTEXT_IRI, "@graph": 5},
        {1: "non-string key"},
        _cyclic(),
        _deep(sys.getrecursionlimit() * 2),
    ],
    ids=lambda d: type(d).__name__,
)
def test_garbage_raises_parse_error_only(doc: Any) -> None:
    with pytest.raises(ParseError):
        compact(doc)


def test_unknown_remote_context_is_named_in_the_error() -> None:
    with pytest.raises(ParseError) as err:
        compact({"@context": [AS_CONTEXT_IRI, "https://evil.example/ns"], "type": "Note"})
    assert err.value.reason == "unknown JSON-LD context: https://evil.example/ns"


_KEYS = st.sampled_from(
    [
        "@context", "@id", "@type", "@value", "@list", "@set", "@graph", "@language", "@reverse",
        "@index", "@included", "@nest", "@vocab", "type", "id", "to", "actor", "object", "content",
        "contentMap", "name", "as:actor", "https://x.example/p", "sensitive", "joinMode", "foo",
    ]
)  # fmt: skip
_CONTEXTS = st.sampled_from(
    [
        AS_CONTEXT_IRI,
        SECURITY_CONTEXT_IRI,
        "https://evil.example/ctx",
        "https://pleroma.example/schemas/litepub-0.1.jsonld",
        {"@vocab": "https://v.example/"},
        {"x": {"@id": "@type"}},
        {"@language": "und"},
        {"@protected": True, "id": "@id"},
        None,
        7,
    ]
)
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8), _CONTEXTS)
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(_KEYS, _JSON, max_size=6), context=st.lists(_CONTEXTS, max_size=3))
def test_arbitrary_json_compacts_or_raises_parse_error(body: dict[str, Any], context: list[Any]) -> None:
    doc = dict(body)
    doc["@context"] = context
    try:
        out = compact(doc)
    except ParseError:
        return
    assert isinstance(out, dict)


@pytest.mark.parametrize(
    "name", ["actor-person", "follow", "accept-follow", "create-note", "create-note-reply", "undo-follow"]
)
def test_fedify_payloads_compact_offline(name: str) -> None:
    """Regression: Fedify names did/v1 and identity/v1 contexts; without them bundled, our node
    refused every Fedify activity (401 on key fetch, 400 on the activity)."""
    path = Path(__file__).resolve().parent.parent / "fixtures" / "fedify" / f"{name}.json"
    doc = json.loads(path.read_text())
    out = compact(doc)
    assert out["type"] == doc["type"]
