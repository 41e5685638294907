"""Tests for protocol.webfinger: `resource=` parsing, our JRD, and reading remote JRDs (RFC 7033)."""

from typing import Any

import pytest

from protocol.errors import ParseError
from protocol.handles import Handle
from protocol.webfinger import (
    ACTIVITY_JSON,
    WebFingerQuery,
    build_host_meta,
    build_jrd,
    parse_jrd_actor_iri,
    parse_resource,
    webfinger_url,
)

LD_JSON_AS = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


# --- parse_resource ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "handle"),
    [
        ("acct:reseau@node.example", Handle("reseau", "node.example")),
        ("acct:Reseau@NODE.example", Handle("Reseau", "node.example")),
        ("acct:reseau@127.0.0.1:8080", Handle("reseau", "127.0.0.1:8080")),
        ("@reseau@node.example", Handle("reseau", "node.example")),
        ("reseau@node.example", Handle("reseau", "node.example")),
        ("acct:admin@[::1]:8080", Handle("admin", "[::1]:8080")),
    ],
)
def test_parse_resource_handles(resource: str, handle: Handle) -> None:
    assert parse_resource(resource) == WebFingerQuery(handle=handle)


@pytest.mark.parametrize(
    "url",
    [
        "https://node.example/actors/reseau",
        "http://127.0.0.1:8080/actors/reseau",
        "https://node.example/@reseau",
        "HTTPS://node.example/actors/reseau",
    ],
)
def test_parse_resource_urls(url: str) -> None:
    assert parse_resource(url) == WebFingerQuery(url=url)


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        ("", "missing resource parameter"),
        ("reseau", "unsupported resource (expected acct: URI or URL): 'reseau'"),
        ("acct:reseau", "not a handle (expected @name@host): 'acct:reseau'"),
        ("acct:@node.example", "not a handle (expected @name@host): 'acct:@node.example'"),
        ("acct:re seau@node.example", "invalid user name in handle: 're seau'"),
        ("acct:reseau@node.example/x", "invalid host in handle: 'node.example/x'"),
        ("https://", "resource URL must be an http(s) IRI: 'https://'"),
        ("https:///actors/reseau", "resource URL must be an http(s) IRI: 'https:///actors/reseau'"),
        ("http://[::1/actors/reseau", "resource URL is not a valid IRI: Invalid IPv6 URL"),
        ("https://node.example:99999/x", "resource URL is not a valid IRI: Port out of range 0-65535"),
    ],
)
def test_parse_resource_rejects_with_precise_reason(resource: str, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_resource(resource)
    assert info.value.reason == reason


# --- build_jrd --------------------------------------------------------------------------------


def test_build_jrd_exact_document() -> None:
    jrd = build_jrd(
        handle=Handle("reseau", "node.example"),
        actor_iri="https://node.example/actors/reseau",
        profile_url="https://node.example/@reseau",
        aliases=("https://node.example/@reseau",),
    )
    assert jrd == {
        "subject": "acct:reseau@node.example",
        "aliases": ["https://node.example/actors/reseau", "https://node.example/@reseau"],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": "https://node.example/actors/reseau"},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://node.example/@reseau"},
        ],
    }


def test_build_jrd_does_not_repeat_the_actor_in_aliases() -> None:
    jrd = build_jrd(
        handle=Handle("reseau", "node.example"),
        actor_iri="https://node.example/actors/reseau",
        profile_url="https://node.example/@reseau",
        aliases=("https://node.example/actors/reseau",),
    )
    assert jrd["aliases"] == ["https://node.example/actors/reseau"]


def test_build_jrd_reads_back_to_the_actor() -> None:
    jrd = build_jrd(
        handle=Handle("reseau", "node.test:8080"),
        actor_iri="http://node.test:8080/actors/reseau",
        profile_url="http://node.test:8080/@reseau",
    )
    assert jrd["subject"] == "acct:reseau@node.test:8080"
    assert parse_jrd_actor_iri(jrd) == "http://node.test:8080/actors/reseau"


# --- parse_jrd_actor_iri ----------------------------------------------------------------------


def test_parse_jrd_mastodon() -> None:
    """Mastodon's JRD (app/serializers/webfinger_serializer.rb): profile page first, then self."""
    jrd = {
        "subject": "acct:alice@mastodon.example",
        "aliases": ["https://mastodon.example/@alice", "https://mastodon.example/users/alice"],
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
             "href": "https://mastodon.example/@alice"},
            {"rel": "self", "type": "application/activity+json", "href": "https://mastodon.example/users/alice"},
            {"rel": "http://ostatus.org/schema/1.0/subscribe",
             "template": "https://mastodon.example/authorize_interaction?uri={uri}"},
            {"rel": "http://webfinger.net/rel/avatar", "type": "image/png",
             "href": "https://files.mastodon.example/avatars/original/1.png"},
        ],
    }
    assert parse_jrd_actor_iri(jrd) == "https://mastodon.example/users/alice"


def test_parse_jrd_pleroma_ld_json_with_profile() -> None:
    """Pleroma lists the actor twice: activity+json and ld+json with the AS profile parameter."""
    jrd = {
        "subject": "acct:lou@pleroma.example",
        "aliases": ["https://pleroma.example/users/lou"],
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
             "href": "https://pleroma.example/users/lou"},
            {"rel": "self", "type": LD_JSON_AS, "href": "https://pleroma.example/users/lou"},
            {"rel": "self", "type": "application/activity+json", "href": "https://pleroma.example/users/lou"},
        ],
    }
    assert parse_jrd_actor_iri(jrd) == "https://pleroma.example/users/lou"


def test_parse_jrd_ld_json_only() -> None:
    jrd = {"links": [{"rel": "self", "type": LD_JSON_AS, "href": "https://old.example/users/bob"}]}
    assert parse_jrd_actor_iri(jrd) == "https://old.example/users/bob"


def test_parse_jrd_media_type_is_case_insensitive() -> None:
    jrd = {"links": [{"rel": "self", "type": "Application/Activity+JSON", "href": "https://a.example/u/x"}]}
    assert parse_jrd_actor_iri(jrd) == "https://a.example/u/x"


def test_parse_jrd_skips_a_bad_self_link_before_a_good_one() -> None:
    jrd = {
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": "acct:alice@a.example"},
            {"rel": "self", "type": ACTIVITY_JSON, "href": "https://"},
            {"rel": "self", "type": ACTIVITY_JSON},
            {"rel": "self", "type": ACTIVITY_JSON, "href": "https://a.example/users/alice"},
        ]
    }
    assert parse_jrd_actor_iri(jrd) == "https://a.example/users/alice"


@pytest.mark.parametrize(
    ("jrd", "reason"),
    [
        (None, "WebFinger response has no links"),
        ([], "WebFinger response has no links"),
        ({"subject": "acct:a@a.example"}, "WebFinger response has no links"),
        ({"links": {"rel": "self"}}, "WebFinger response has no links"),
        ({"links": []}, "WebFinger response has no ActivityPub self link"),
        (
            {"links": [{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
                        "href": "https://a.example/@alice"}]},
            "WebFinger response has no ActivityPub self link",
        ),
        (
            {"links": [{"rel": "self", "type": "text/html", "href": "https://a.example/@alice"}]},
            "WebFinger response has no ActivityPub self link",
        ),
        (
            {"links": [{"rel": "self", "href": "https://a.example/users/alice"}]},
            "WebFinger response has no ActivityPub self link",
        ),
        (
            {"links": [{"rel": "self", "type": ACTIVITY_JSON, "href": "ftp://a.example/users/alice"}]},
            "WebFinger response has no ActivityPub self link",
        ),
        (
            {"links": [{"rel": "self", "type": ACTIVITY_JSON, "href": "/users/alice"}]},
            "WebFinger response has no ActivityPub self link",
        ),
        (
            {"links": [{"rel": "self", "type": ACTIVITY_JSON, "href": ["https://a.example/users/alice"]}]},
            "WebFinger response has no ActivityPub self link",
        ),
        ({"links": ["https://a.example/users/alice", None, 3]}, "WebFinger response has no ActivityPub self link"),
    ],
)
def test_parse_jrd_rejects(jrd: Any, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_jrd_actor_iri(jrd)
    assert info.value.reason == reason


# --- host-meta and lookup URL -----------------------------------------------------------------


def test_build_host_meta_exact_document() -> None:
    assert build_host_meta("https://node.example") == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        '  <Link rel="lrdd" template="https://node.example/.well-known/webfinger?resource={uri}"/>\n'
        "</XRD>\n"
    )


def test_webfinger_url() -> None:
    assert webfinger_url(Handle("alice", "mastodon.example"), "https") == (
        "https://mastodon.example/.well-known/webfinger?resource=acct:alice@mastodon.example"
    )
    assert webfinger_url(Handle("alice", "127.0.0.1:8080"), "http") == (
        "http://127.0.0.1:8080/.well-known/webfinger?resource=acct:alice@127.0.0.1:8080"
    )
