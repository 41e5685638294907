"""Tests for protocol.jsonld: bundled contexts, the offline loader and compaction."""

from __future__ import annotations

import copy
import json
import re
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

from protocol import jsonld, jsonld_fast
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
    dumps_document,
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
    out = jsonld._slow_compact(doc)
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
    # Mastodon's ostatus terms are ours, with Mastodon's definitions.
    assert note["atomUri"] == original["object"]["atomUri"]
    assert note["conversation"] == original["object"]["conversation"]
    # So compact() need not run pyld at all.
    assert compact(doc) is doc


def test_a_mastodon_45_note_with_quote_policy_takes_the_fast_path() -> None:
    """Mastodon 4.5 says who may quote a post with GoToSocial's `interactionPolicy` (its context carries the
    `interaction_policies` extension, mastodon/mastodon ContextHelper::CONTEXT_EXTENSION_MAP): we define
    those terms as Mastodon does, so its posts skip pyld; its quote terms, unused here, do not matter."""
    doc = mastodon_create()
    doc["@context"] = copy.deepcopy(MASTODON_45_NOTE_CONTEXT)
    doc["object"]["interactionPolicy"] = {"canQuote": {"automaticApproval": [AS_PUBLIC], "manualApproval": []}}
    doc["object"]["tag"] = [{"type": "Hashtag", "href": "https://mastodon.example/tags/ess", "name": "#ess"}]
    assert jsonld_fast.is_fast_path(doc)
    assert_agrees_with_pyld(doc)
    out = compact(doc)
    assert out["object"]["interactionPolicy"]["canQuote"]["automaticApproval"] == [AS_PUBLIC]


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
    out = jsonld._slow_compact(doc)
    assert out["sensitive"] is True
    assert out["tag"]["type"] == "Hashtag"
    assert_agrees_with_pyld(doc)  # and the fast path takes it as it is


def test_sender_definitions_override_assumed_terms() -> None:
    doc = {"@context": [AS_CONTEXT_IRI, {"sensitive": "https://other.example/ns#sensitive"}], "sensitive": True}
    out = compact(doc)
    assert "sensitive" not in out
    assert out["https://other.example/ns#sensitive"] is True


# --- fast path ------------------------------------------------------------------------------

# The context of every Mastodon (4.x) Create(Note) without media, emojis or hashtags: the one
# tests/bench/bench_inbox.py sends (its `mastodon` shape) and tests/fixtures/payloads/mastodon
# captured.
MASTODON_CREATE_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "votersCount": "toot:votersCount",
    },
]
PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"
ALICE = "https://mastodon.example/users/alice"
BOB = "https://other.example/users/bob"
LD_SIGNATURE = {  # Mastodon LD-signs public activities, without declaring the security context
    "type": "RsaSignature2017",
    "creator": f"{ALICE}#main-key",
    "created": "2024-05-01T10:00:00Z",
    "signatureValue": "aGVsbG8=",
}


def test_mastodon_create_context_is_the_captured_one() -> None:
    captured = json.loads((PAYLOADS / "mastodon" / "object-note.json").read_text())
    assert captured["@context"] == MASTODON_CREATE_CONTEXT


def mastodon_rich_create() -> dict[str, Any]:
    """A Mastodon Create(Note): reply with content warning, media, mention, hashtag and emoji."""
    note = f"{ALICE}/statuses/113"
    context = copy.deepcopy(MASTODON_CREATE_CONTEXT)
    context[1].update({
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "Hashtag": "as:Hashtag",
        "Emoji": "toot:Emoji",
    })
    return {
        "@context": context,
        "id": f"{note}/activity",
        "type": "Create",
        "actor": ALICE,
        "published": "2024-05-01T10:00:00Z",
        "to": [AS_PUBLIC],
        "cc": [f"{ALICE}/followers", BOB],
        "object": {
            "id": note,
            "type": "Note",
            "summary": "Réunion",
            "inReplyTo": f"{BOB}/statuses/1",
            "published": "2024-05-01T10:00:00Z",
            "url": "https://mastodon.example/@alice/113",
            "attributedTo": ALICE,
            "to": [AS_PUBLIC],
            "cc": [f"{ALICE}/followers", BOB],
            "sensitive": True,
            "atomUri": note,
            "inReplyToAtomUri": f"{BOB}/statuses/1",
            "conversation": "tag:mastodon.example,2024-05-01:objectId=42:objectType=Conversation",
            "content": '<p><span class="h-card"><a href="https://other.example/@bob">@bob</a></span> :coop: #ess</p>',
            "contentMap": {"fr": "<p>@bob :coop: #ess</p>"},
            "updated": "2024-05-01T10:05:00Z",
            "attachment": [
                {
                    "type": "Document",
                    "mediaType": "image/jpeg",
                    "url": "https://files.mastodon.example/media/affiche.jpg",
                    "name": "Une affiche",
                    "blurhash": "UGEo[DRj9F-;x]-pR*D%4UShxZV[4nt7%MjY",
                    "focalPoint": [0.1, -0.35],
                    "width": 1200,
                    "height": 800,
                },
                {
                    "type": "Document",
                    "mediaType": "image/png",
                    "url": "https://files.mastodon.example/media/plan.png",
                    "name": None,
                    "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                    "focalPoint": [0.0, 0.0],
                    "width": 640,
                    "height": 480,
                },
            ],
            "tag": [
                {"type": "Mention", "href": BOB, "name": "@bob@other.example"},
                {"type": "Hashtag", "href": "https://mastodon.example/tags/ess", "name": "#ess"},
                {
                    "id": "https://mastodon.example/emojis/7",
                    "type": "Emoji",
                    "name": ":coop:",
                    "updated": "2023-01-01T00:00:00Z",
                    "icon": {"type": "Image", "mediaType": "image/png", "url": "https://files.mastodon.example/e.png"},
                },
            ],
            "replies": {
                "id": f"{note}/replies",
                "type": "Collection",
                "first": {"type": "CollectionPage", "next": f"{note}/replies?page=true", "partOf": f"{note}/replies",
                          "items": []},
            },
            "likes": {"id": f"{note}/likes", "type": "Collection", "totalItems": 3},
            "shares": {"id": f"{note}/shares", "type": "Collection", "totalItems": 1},
        },
        "signature": dict(LD_SIGNATURE),
    }  # fmt: skip


def mastodon_poll() -> dict[str, Any]:
    """A Mastodon Create(Question): a poll, with `votersCount`."""
    doc = mastodon_rich_create()
    poll = doc["object"]
    poll.update({
        "type": "Question",
        "endTime": "2024-05-02T10:00:00Z",
        "votersCount": 5,
        "oneOf": [
            {"type": "Note", "name": "Oui", "replies": {"type": "Collection", "totalItems": 4}},
            {"type": "Note", "name": "Non", "replies": {"type": "Collection", "totalItems": 1}},
        ],
    })  # fmt: skip
    return doc


def mastodon_update_person() -> dict[str, Any]:
    """A Mastodon Update(Person), with the actor context and every actor term it declares."""
    person = mastodon_actor()
    context = person.pop("@context")
    context[-1].update({"Hashtag": "as:Hashtag", "Emoji": "toot:Emoji"})
    person.update({
        "alsoKnownAs": ["https://old.example/users/alice"],
        "movedTo": "https://new.example/users/alice",
        "attributionDomains": ["blog.example"],
        "suspended": False,
        "tag": [
            {"type": "Emoji", "id": "https://mastodon.example/emojis/7", "name": ":coop:",
             "icon": {"type": "Image", "mediaType": "image/png", "url": "https://files.mastodon.example/e.png"}},
            {"type": "Hashtag", "href": "https://mastodon.example/tags/ess", "name": "#ess"},
        ],
        "image": {"type": "Image", "mediaType": "image/jpeg", "url": "https://files.mastodon.example/h.jpg"},
    })  # fmt: skip
    return {
        "@context": context,
        "id": f"{person['id']}#updates/1714557600",
        "type": "Update",
        "actor": person["id"],
        "to": [AS_PUBLIC],
        "object": person,
        "signature": dict(LD_SIGNATURE),
    }


def mastodon_delete() -> dict[str, Any]:
    note = f"{ALICE}/statuses/113"
    return {
        "@context": [AS_CONTEXT_IRI, {"ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri"}],
        "id": f"{note}#delete",
        "type": "Delete",
        "actor": ALICE,
        "to": [AS_PUBLIC],
        "object": {"id": note, "type": "Tombstone", "atomUri": note},
        "signature": dict(LD_SIGNATURE),
    }


def mastodon_simple(kind: str) -> dict[str, Any]:
    """Mastodon's Follow, Like, Announce and Undo(Follow): the AS context alone."""
    follow = {"id": f"{ALICE}#follows/3", "type": "Follow", "actor": ALICE, "object": "https://maillage.example/users/r"}
    return {
        "Follow": {"@context": AS_CONTEXT_IRI, **follow},
        "Like": {"@context": AS_CONTEXT_IRI, "id": f"{ALICE}#likes/7", "type": "Like", "actor": ALICE,
                 "object": "https://maillage.example/practices/1"},
        "Announce": {"@context": AS_CONTEXT_IRI, "id": f"{ALICE}/statuses/114/activity", "type": "Announce",
                     "actor": ALICE, "published": "2024-05-01T11:00:00Z", "to": [AS_PUBLIC],
                     "cc": [BOB, f"{ALICE}/followers"], "object": f"{BOB}/statuses/1"},
        "Undo": {"@context": AS_CONTEXT_IRI, "id": f"{ALICE}#follows/3/undo", "type": "Undo", "actor": ALICE,
                 "object": follow},
    }[kind]  # fmt: skip


def _our_prefixes() -> dict[str, str]:
    mappings = jsonld_fast._compaction_terms()[0]
    return {term: m["@id"] for term, m in mappings.items() if m and m.get("_prefix")}


def _iri(value: Any, prefixes: dict[str, str]) -> Any:
    """`value` with a compact IRI of ours (`as:Public`) written in full."""
    if isinstance(value, str) and ":" in value:
        prefix, suffix = value.split(":", 1)
        if prefix in prefixes and not suffix.startswith("//"):
            return prefixes[prefix] + suffix
    return value


def assert_agrees_with_pyld(doc: dict[str, Any]) -> None:
    """compact() returns `doc` itself, and pyld's compaction of it (the slow path, called
    directly) says the same: every key pyld produces is in `doc` with the same value, up to
    what pyld rewrites without changing the meaning, and our readers accept either way (an
    element or a one-element array, an IRI of ours in full or compact, `as:Public`, a
    language tag in the sender's case or lower case, a string with no language or its
    `{"@none": string}` language map); the keys only `doc` has are nulls, empty arrays or
    keys with spaces that pyld drops. An empty key or `type`, which pyld turns into the blank
    node `_:` (AS's @vocab), stays empty: readers refuse it."""
    assert compact(doc) is doc
    slow = jsonld._slow_compact(copy.deepcopy(doc))
    prefixes = _our_prefixes()
    language_maps = {
        term
        for term, shape in jsonld_fast._value_shapes().items()
        if shape in (jsonld_fast._LANGUAGE_MAP, jsonld_fast._LANGUAGE_TEXTS)
    }

    def same(fast: Any, compacted: Any, path: str, language_map: bool = False) -> None:
        if language_map and not isinstance(fast, dict) and isinstance(compacted, dict):
            fast = {"@none": fast}
        if isinstance(fast, list) and not isinstance(compacted, list) and len(fast) == 1:
            fast = fast[0]
        if isinstance(compacted, list) and not isinstance(fast, list) and len(compacted) == 1:
            compacted = compacted[0]
        if isinstance(fast, dict):
            assert isinstance(compacted, dict), path
            compacted = {"" if key == "_:" else key: value for key, value in compacted.items()}
            if language_map:
                fast = {tag.lower(): text for tag, text in fast.items()}
            for key in compacted.keys() - {"@context"}:
                assert key in fast, f"{path}.{key}: only in pyld's compaction"
                if key == "type":
                    types = compacted[key] if isinstance(compacted[key], list) else [compacted[key]]
                    compacted[key] = ["" if t == "_:" else t for t in types]
                same(fast[key], compacted[key], f"{path}.{key}", key in language_maps)
            for key in fast.keys() - compacted.keys() - {"@context"}:
                # pyld drops nulls, some empty arrays, and keys that cannot make an IRI (no reader wants them)
                assert fast[key] in (None, []) or re.search(r"\s", key), f"{path}.{key}: dropped by pyld"
        elif isinstance(fast, list):
            assert isinstance(compacted, list) and len(fast) == len(compacted), path
            for i, (a, b) in enumerate(zip(fast, compacted, strict=True)):
                same(a, b, f"{path}[{i}]")
        else:
            assert _iri(fast, prefixes) == _iri(compacted, prefixes), path

    same(doc, slow, "$")


@pytest.mark.parametrize(
    "doc",
    [
        {"@context": AS_CONTEXT_IRI, "id": "https://a.example/1", "type": "Follow", "actor": "https://a.example/u"},
        {"@context": "http://www.w3.org/ns/activitystreams", "type": "Note", "content": "x"},
        {"@context": [AS_CONTEXT_IRI], "type": ["Note"], "to": [AS_PUBLIC]},
        {"@context": [AS_CONTEXT_IRI, SECURITY_CONTEXT_IRI], "type": "Person", "publicKey": {"id": "k", "owner": "u"}},
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
        {"@context": [AS_CONTEXT_IRI, {"atomUri": "https://elsewhere.example/atomUri"}], "atomUri": "x"},
        {"@context": [AS_CONTEXT_IRI, {"sensitive": "toot:sensitive"}], "type": "Note", "sensitive": True},
        {"@context": [AS_CONTEXT_IRI, {"featured": "toot:featured"}], "featured": "https://a.example/f"},
        {"@context": [AS_CONTEXT_IRI, {"toot": "https://elsewhere.example/ns#"}], "url": "toot:x"},
        {"@context": [AS_CONTEXT_IRI, {"@language": "fr"}], "type": "Note", "name": "x"},
        {"@context": [AS_CONTEXT_IRI, {"@vocab": "https://v.example/"}], "type": "Note"},
        # After our terms, the AS context takes `origin` back from ours (maillage:origin) to as:origin.
        {"@context": [AS_CONTEXT_IRI, MAILLAGE_CONTEXT_IRI, AS_CONTEXT_IRI], "type": "Move", "origin": "https://a.ex/1"},
        mobilizon_event(),
    ],
)
def test_other_shapes_take_the_slow_path(doc: dict[str, Any]) -> None:
    out = compact(doc)
    assert out is not doc
    assert out["@context"] == OUTGOING_CONTEXT
    assert out == jsonld._slow_compact(copy.deepcopy(doc))


@pytest.mark.parametrize(
    "doc",
    [
        mastodon_actor(),
        mastodon_create(),
        mastodon_rich_create(),
        mastodon_poll(),
        mastodon_update_person(),
        mastodon_delete(),
        mastodon_simple("Follow"),
        mastodon_simple("Like"),
        mastodon_simple("Announce"),
        mastodon_simple("Undo"),
        # The AS context the sender names first is the one beneath our terms: `origin` is ours.
        {"@context": AS_CONTEXT_IRI, "type": "Resource", "origin": "mixed"},
        {"@context": MASTODON_CREATE_CONTEXT, "type": "Note", "atomUri": "https://a.example/1"},
        # Foreign terms (defined otherwise than by us, or not at all) that the document does not use.
        {"@context": [AS_CONTEXT_IRI, {"atomUri": "http://ostatus.org#atomUri"}], "type": "Note", "atomUri": "x"},
        {"@context": [AS_CONTEXT_IRI, {"sensitive": "toot:sensitive"}], "type": "Note", "content": "toot:x"},
        {"@context": [AS_CONTEXT_IRI, {"featured": "toot:featured"}], "type": "Note"},
        {"@context": [AS_CONTEXT_IRI, {"toot": "https://elsewhere.example/ns#"}], "type": "Note", "url": "tooty:x"},
        {"@context": [AS_CONTEXT_IRI, {"Sensitive": "https://x.example/ns#S"}], "type": "Note", "sensitive": True},
        {"@context": MASTODON_45_NOTE_CONTEXT, "type": "Note", "content": "quote, interactionPolicy: unused"},
        {"@context": MOBILIZON_CONTEXT, "type": "Join", "actor": "https://mobilizon.example/@alice"},
        {
            "@context": OUTGOING_CONTEXT,
            "id": "https://m.example/events/1",
            "type": "Event",
            "name": "AG",
            "joinMode": "free",
            "participantCount": 2,
            "isOnline": False,
            "timezone": "Europe/Paris",
            "origin": "https://m.example/practices/1",
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
    assert_agrees_with_pyld(doc)


@pytest.mark.parametrize("path", sorted(PAYLOADS.glob("*/*.json")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_captured_payloads_on_the_fast_path_agree_with_pyld(path: Path) -> None:
    doc = json.loads(path.read_text())
    if jsonld_fast.is_fast_path(doc):
        assert_agrees_with_pyld(doc)
    else:
        assert compact(doc) == jsonld._slow_compact(json.loads(path.read_text()))


def test_captured_mastodon_documents_take_the_fast_path() -> None:
    """Every one, the 4.4 actor with GoToSocial's interaction-policy terms included (we define them as
    Mastodon does)."""
    slow = {
        path.stem
        for path in (PAYLOADS / "mastodon").glob("*.json")
        if not jsonld_fast.is_fast_path(json.loads(path.read_text()))
    }
    assert slow == set()


def test_mastodon_create_takes_the_fast_path_without_pyld(monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark's Mastodon Create(Note): no pyld compaction, and once its context has been
    seen, no pyld at all (the analysis of a context is cached by its canonical JSON)."""

    def create(n: int) -> dict[str, Any]:
        note = f"{ALICE}/statuses/{n}"
        return json.loads(json.dumps({
            "@context": MASTODON_CREATE_CONTEXT, "id": f"{note}/activity", "type": "Create", "actor": ALICE,
            "published": "2026-03-01T12:00:00Z", "to": [AS_PUBLIC], "cc": [f"{ALICE}/followers"],
            "object": {"id": note, "type": "Note", "summary": None, "inReplyTo": None, "url": f"{ALICE}/{n}",
                       "attributedTo": ALICE, "to": [AS_PUBLIC], "cc": [f"{ALICE}/followers"], "content": "<p>x</p>",
                       "contentMap": {"fr": "<p>x</p>"}, "attachment": [], "tag": [], "sensitive": False,
                       "atomUri": note, "inReplyToAtomUri": None,
                       "conversation": f"tag:example,2026:objectId={n}:objectType=Conversation"},
        }))  # fmt: skip

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("pyld called")

    monkeypatch.setattr(pyld.jsonld, "compact", refuse)
    monkeypatch.setattr(pyld.jsonld.JsonLdProcessor, "compact", refuse)
    first = create(1)
    assert compact(first) is first
    monkeypatch.setattr(pyld.jsonld.JsonLdProcessor, "process_context", refuse)
    monkeypatch.setattr(pyld.jsonld.JsonLdProcessor, "expand", refuse)
    second = create(2)  # an equal context, in new objects
    assert jsonld.known_compaction(second) is second  # by the cached analysis alone
    assert compact(second) is second


FOREIGN: dict[str, Any] = {
    "ex": "https://x.example/ns#",
    "mood": "ex:mood",
    "Invite": "ex:Invite",
    "link": {"@id": "ex:link", "@type": "@id"},
    "sensitive": "ex:sensitive",  # redefines one of ours
}


def _with_foreign(**extra: Any) -> dict[str, Any]:
    doc = mastodon_rich_create()
    doc["@context"].append(copy.deepcopy(FOREIGN))
    doc["object"].pop("sensitive")
    for path, value in extra.items():
        target = doc
        *parents, key = path.split("__")
        for parent in parents:
            target = target[parent] if not parent.isdigit() else target[int(parent)]
        target[key] = value
    return doc


def test_foreign_terms_left_unused_keep_the_fast_path() -> None:
    assert_agrees_with_pyld(_with_foreign())


@pytest.mark.parametrize(
    "doc",
    [
        _with_foreign(mood="content"),  # a foreign term as a key
        _with_foreign(object__tag__0__mood="x"),  # ... at any depth
        _with_foreign(object__sensitive=True),  # our term, redefined by the sender
        _with_foreign(type="Invite"),  # a foreign term as a `type`
        _with_foreign(object__tag__1__type=["Hashtag", "Invite"]),
        _with_foreign(object__inReplyTo="ex:1"),  # a foreign prefix in a value (here an @id one)
        _with_foreign(object__tag__0__href="ex:bob"),
        _with_foreign(object__content="ex:bob"),  # ... even where it would not be expanded
        _with_foreign(object__cc=[BOB, "ex:group"]),
    ],
)
def test_documents_using_foreign_terms_take_the_slow_path(doc: dict[str, Any]) -> None:
    assert not jsonld_fast.is_fast_path(doc)
    out = compact(doc)
    assert out is not doc
    assert out == jsonld._slow_compact(copy.deepcopy(doc))


@pytest.mark.parametrize(
    "member",
    [
        {"@vocab": "https://v.example/"},
        {"@base": "https://b.example/"},
        {"@protected": True},
        {"@version": 1.1},
        {"@propagate": True},
        {"@direction": "ltr"},
        {"@language": "fr"},
        {"@import": MAILLAGE_CONTEXT_IRI},
        {"@type": {"@container": "@set"}},
        {"mood": {"@id": "ex:mood", "@language": "fr"}},  # not a plain definition
        {"mood": {"@id": "ex:mood", "@context": {"x": "ex:x"}}},
        {"mood": None},
        {"mood": {"@type": "@id"}},
        {"ex": "ex:"},  # cyclic: pyld refuses it
        {"a": "b:x", "b": "a:y"},
        {1: "https://x.example/"},  # json.dumps would make it "1"
    ],
    ids=repr,
)
def test_keywords_and_unusual_definitions_in_an_inline_context_take_the_slow_path(member: dict[Any, Any]) -> None:
    doc = mastodon_rich_create()
    doc["@context"].append({"ex": "https://x.example/ns#", **member} if "ex" not in member else member)
    assert not jsonld_fast.is_fast_path(doc)
    try:
        out = compact(doc)
    except ParseError:
        return
    assert out is not doc


def test_our_bundled_contexts_define_our_terms_identically() -> None:
    """Bundled contexts a fast-path document may name only repeat OUTGOING_CONTEXT's terms, except
    that naming the AS context again gives back its `origin` (ours is maillage:origin)."""
    iris = {
        "activitystreams.jsonld": AS_CONTEXT_IRI,
        "security-v1.jsonld": SECURITY_CONTEXT_IRI,
        "maillage.jsonld": MAILLAGE_CONTEXT_IRI,
        "webfinger.jsonld": WEBFINGER_CONTEXT_IRI,
    }
    assert set(iris) == jsonld_fast._OUR_FILES
    for iri in iris.values():
        analysis = jsonld_fast._analysis([AS_CONTEXT_IRI, iri])
        assert analysis is not None
        assert analysis.forbidden <= {"origin"}, iri
    outgoing = jsonld_fast._analysis(OUTGOING_CONTEXT)
    assert outgoing is not None and outgoing.forbidden == frozenset()


def test_our_terms_are_mastodons() -> None:
    """Mastodon's inline terms (app/helpers/context_helper.rb) are defined by us exactly as by Mastodon."""
    mastodon = {
        **MASTODON_CREATE_CONTEXT[1],
        **MASTODON_ACTOR_CONTEXT[2],
        **MASTODON_NOTE_CONTEXT[1],
        "Hashtag": "as:Hashtag",
        "Emoji": "toot:Emoji",
    }
    analysis = jsonld_fast._analysis([AS_CONTEXT_IRI, mastodon])
    assert analysis is not None
    assert analysis.forbidden == frozenset()


@pytest.mark.parametrize(
    "doc",
    [
        {"@context": AS_CONTEXT_IRI, "type": "Note", "featured": True},  # @id-typed: not an IRI
        {"@context": AS_CONTEXT_IRI, "type": "Note", "to": [AS_PUBLIC, None]},  # pyld drops nulls in arrays
        {"@context": AS_CONTEXT_IRI, "type": "Note", "cc": [[BOB]]},  # and flattens arrays of arrays
        {"@context": AS_CONTEXT_IRI, "type": "Like", "object": {"id": f"{BOB}/statuses/1"}},  # written as its IRI
        {"@context": AS_CONTEXT_IRI, "type": "Note", "published": {"type": "Note"}},  # typed literal: not an object
        {"@context": AS_CONTEXT_IRI, "type": "Note", "published": []},
        {"@context": AS_CONTEXT_IRI, "type": "Note", "contentMap": "x"},  # pyld moves it to `content`
        {"@context": AS_CONTEXT_IRI, "type": "Note", "contentMap": {}},
        {"@context": AS_CONTEXT_IRI, "type": "Note", "contentMap": {"fr": 5}},
        {"@context": AS_CONTEXT_IRI, "type": []},
        {"@context": AS_CONTEXT_IRI, "id": f"{BOB}/statuses/1"},  # a bare reference: pyld drops it
        {"@context": AS_CONTEXT_IRI, "id": 5, "type": "Note"},
    ],
)
def test_values_compaction_would_rewrite_take_the_slow_path(doc: dict[str, Any]) -> None:
    assert not jsonld_fast.is_fast_path(doc)
    try:
        out = compact(doc)
    except ParseError:
        return
    assert out == jsonld._slow_compact(copy.deepcopy(doc))


def test_relative_iris_stay_relative_on_both_paths() -> None:
    """pyld would resolve them against http://example.org/base/; Mastodon's `attributionDomains`
    are host names, which JSON-LD reads as relative IRIs."""
    doc = mastodon_update_person()
    doc["object"]["url"] = "alice"
    assert_agrees_with_pyld(doc)
    out = jsonld._slow_compact(doc)
    assert out["object"]["attributionDomains"] == "blog.example"
    assert out["object"]["url"] == "alice"


_TERMS = st.sampled_from(["atomUri", "sensitive", "Sensitive", "toot", "ex", "mood", "Invite", "featured", "as", "id",
                          "type", "Note", "url", "tooty"])  # fmt: skip
_DEFINITIONS = st.sampled_from([
    "ex:mood", "https://x.example/ns#", "https://x.example/ns/", "toot:sensitive", "as:sensitive", "ostatus:atomUri",
    "http://ostatus.org#", "http://ostatus.org#atomUri", "ex:", "ex", "@id", "@type", "_:b", "toot:", "as:url",
    {"@id": "ex:x", "@type": "@id"}, {"@id": "toot:featured", "@type": "@id"}, {"@id": "as:url", "@type": "@id"},
    {"@id": "ex:x", "@container": "@list"}, {"@id": "ex:x", "@type": "@vocab"}, {"@id": "ex:x", "@container": "@set"},
])  # fmt: skip
_VALUES = st.sampled_from(["ex:1", "toot:x", "tooty:x", "as:Public", AS_PUBLIC, "https://a.example/1", "Note", "Invite",
                           "plain", True, 3, 2.5, None, [], ["ex:2", "https://a.example/2"], [None], [["x"]],
                           {"type": "Note"}, {"type": "Invite", "url": "ex:3"}, {"fr": "x", "zh-TW": "y"},
                           {"en": ["a", None]}, {"type": []}])  # fmt: skip
_USED = st.sampled_from(["atomUri", "sensitive", "Sensitive", "mood", "featured", "url", "inReplyTo", "content", "tag",
                         "tooty", "contentMap", "published", "id", "focalPoint", "width", "needs"])  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    member=st.dictionaries(_TERMS, _DEFINITIONS, max_size=5),
    extra=st.dictionaries(_USED, _VALUES, max_size=3),
    kind=st.sampled_from(["Note", "Invite", "Sensitive", "tooty"]),
)
def test_fast_path_agrees_with_pyld_whatever_the_inline_context(
    member: dict[str, Any], extra: dict[str, Any], kind: str
) -> None:
    doc = {"@context": [*MASTODON_CREATE_CONTEXT, member], "id": f"{ALICE}/statuses/9", "type": kind,
           "attributedTo": ALICE, "to": [AS_PUBLIC], "content": "<p>x</p>", **extra}  # fmt: skip
    if jsonld_fast.is_fast_path(doc):
        assert_agrees_with_pyld(doc)
    else:
        try:
            assert compact(doc) is not doc
        except ParseError:
            pass


_BODY_KEYS = st.sampled_from([
    "id", "type", "to", "cc", "object", "url", "inReplyTo", "featured", "tag", "attachment", "published", "width",
    "focalPoint", "orderedItems", "content", "contentMap", "name", "nameMap", "needs", "achievements", "publicKey",
    "signature", "created", "origin", "joinMode", "atomUri", "sensitive", "mood", "", "zh-TW",
])  # fmt: skip
_BODY_VALUES = st.one_of(_VALUES, st.text(max_size=5), st.integers(), st.sampled_from([
    "2024-01-01T00:00:00Z", "blog.example", "_:b1", "as:", ":x", "//a.example/x", {}, {"und": "x"}, {"fr": ["a"]},
    {"fr": []}, {"id": "https://a.example/y"}, {"id": "https://a.example/z", "name": None}, ["Note", "Person"],
]))  # fmt: skip
_BODIES = st.recursive(
    _BODY_VALUES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_BODY_KEYS, inner, max_size=4)),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    context=st.sampled_from([None, AS_CONTEXT_IRI, MASTODON_CREATE_CONTEXT, MASTODON_ACTOR_CONTEXT, OUTGOING_CONTEXT,
                             MOBILIZON_CONTEXT, [AS_CONTEXT_IRI, MAILLAGE_CONTEXT_IRI, WEBFINGER_CONTEXT_IRI]]),
    body=st.dictionaries(_BODY_KEYS, _BODIES, max_size=6),
)  # fmt: skip
def test_fast_path_agrees_with_pyld_whatever_the_body(context: Any, body: dict[str, Any]) -> None:
    doc = dict(body)
    if context is not None:
        doc["@context"] = copy.deepcopy(context)
    if jsonld_fast.is_fast_path(doc):
        assert_agrees_with_pyld(doc)


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


@pytest.mark.parametrize("doc", [
    {"@context": OUTGOING_CONTEXT},
    {"@context": OUTGOING_CONTEXT, "id": "https://node.example/notes/1", "content": "« été »", "n": [1, None, True]},
    {"id": "https://node.example/a", "@context": OUTGOING_CONTEXT},  # not first: encoded in full
    {"@context": "https://www.w3.org/ns/activitystreams", "id": "https://node.example/b"},
    {"@context": json.loads(json.dumps(OUTGOING_CONTEXT)), "id": "https://node.example/c"},  # an equal copy
])
def test_dumps_document_is_the_compact_json_of_the_document(doc: dict[str, Any]) -> None:
    assert dumps_document(doc) == json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
