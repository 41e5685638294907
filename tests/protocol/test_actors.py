"""Tests for protocol.actors: our actor documents, and actor documents from other servers.

Fixtures in tests/fixtures/actors/ follow what each server publishes (see the README there).
"""

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from protocol.actors import LocalActor, ProfileField, RemoteActor, build_actor, parse_actor
from protocol.errors import ParseError
from protocol.jsonld import OUTGOING_CONTEXT
from protocol.keys import load_private_key, load_public_key, public_key_pem

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ACTORS = FIXTURES / "actors"
TEST_PEM = (FIXTURES / "keys" / "test-rsa-2048.pem").read_text()
SPKI = public_key_pem(TEST_PEM)
PKCS1 = load_private_key(TEST_PEM).public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
).decode()


def load(name: str) -> dict[str, Any]:
    doc = json.loads((ACTORS / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


# --- build_actor -> parse_actor ---------------------------------------------------------------

LOCAL = LocalActor(
    iri="https://node.example/actors/reseau",
    type="Group",
    username="reseau",
    name="Réseau ESS",
    summary_html="<p>Pratiques de l'économie sociale et solidaire</p>",
    profile_url="https://node.example/@reseau",
    public_key_pem=SPKI,
    shared_inbox_iri="https://node.example/inbox",
    published="2024-01-15T00:00:00Z",
    manually_approves_followers=True,
    icon_url="https://node.example/media/reseau.png",
    fields=(ProfileField(name="Site", value='<a href="https://ess.example">ess.example</a>'),),
    discoverable=True,
)


def test_build_actor_exact_document() -> None:
    assert build_actor(LOCAL) == {
        "@context": OUTGOING_CONTEXT,
        "id": "https://node.example/actors/reseau",
        "type": "Group",
        "preferredUsername": "reseau",
        "name": "Réseau ESS",
        "summary": "<p>Pratiques de l'économie sociale et solidaire</p>",
        "url": "https://node.example/@reseau",
        "inbox": "https://node.example/actors/reseau/inbox",
        "outbox": "https://node.example/actors/reseau/outbox",
        "followers": "https://node.example/actors/reseau/followers",
        "following": "https://node.example/actors/reseau/following",
        "endpoints": {"sharedInbox": "https://node.example/inbox"},
        "publicKey": {
            "id": "https://node.example/actors/reseau#main-key",
            "owner": "https://node.example/actors/reseau",
            "publicKeyPem": SPKI,
        },
        "manuallyApprovesFollowers": True,
        "discoverable": True,
        "indexable": True,
        "published": "2024-01-15T00:00:00Z",
        "attachment": [{"type": "PropertyValue", "name": "Site", "value": '<a href="https://ess.example">ess.example</a>'}],
        "icon": {"type": "Image", "url": "https://node.example/media/reseau.png"},
    }


def test_build_actor_without_icon_or_fields() -> None:
    doc = build_actor(
        LocalActor(
            iri="http://127.0.0.1:8080/actors/alice",
            type="Person",
            username="alice",
            name="Alice",
            summary_html="",
            profile_url="http://127.0.0.1:8080/@alice",
            public_key_pem=SPKI,
            shared_inbox_iri="http://127.0.0.1:8080/inbox",
            published="2024-01-15T00:00:00Z",
            discoverable=False,
        )
    )
    assert "icon" not in doc
    assert "attachment" not in doc  # no empty array (AS2)
    assert doc["manuallyApprovesFollowers"] is False
    assert doc["discoverable"] is False and doc["indexable"] is False


@pytest.mark.parametrize("kind", ["Group", "Person", "Application", "Service", "Organization"])
def test_build_actor_round_trips(kind: str) -> None:
    local = replace(LOCAL, type=kind)
    assert parse_actor(build_actor(local)) == RemoteActor(
        iri=local.iri,
        type=kind,
        inbox=f"{local.iri}/inbox",
        shared_inbox=local.shared_inbox_iri,
        key_id=f"{local.iri}#main-key",
        public_key_pem=local.public_key_pem,
        username=local.username,
        name=local.name,
        url=local.profile_url,
        followers=f"{local.iri}/followers",
        following=f"{local.iri}/following",
        outbox=f"{local.iri}/outbox",
        icon_url=local.icon_url,
        extra_keys=(),
    )


def test_built_actor_key_is_usable() -> None:
    parsed = parse_actor(build_actor(LOCAL))
    key = load_public_key(parsed.public_key_pem)
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.public_numbers() == load_private_key(TEST_PEM).public_key().public_numbers()


# --- actor documents from other servers -------------------------------------------------------

EXPECTED: dict[str, RemoteActor] = {
    "mastodon-person": RemoteActor(
        iri="https://mastodon.example/users/alice",
        type="Person",
        inbox="https://mastodon.example/users/alice/inbox",
        shared_inbox="https://mastodon.example/inbox",
        key_id="https://mastodon.example/users/alice#main-key",
        public_key_pem=SPKI,
        username="alice",
        name="Alice Martin",
        url="https://mastodon.example/@alice",
        followers="https://mastodon.example/users/alice/followers",
        following="https://mastodon.example/users/alice/following",
        outbox="https://mastodon.example/users/alice/outbox",
        icon_url="https://files.mastodon.example/accounts/avatars/000/000/001/original/0123456789abcdef.png",
    ),
    "mastodon-application": RemoteActor(
        iri="https://mastodon.example/actor",
        type="Application",
        inbox="https://mastodon.example/actor/inbox",
        shared_inbox="https://mastodon.example/inbox",
        key_id="https://mastodon.example/actor#main-key",
        public_key_pem=SPKI,
        username="mastodon.example",
        name=None,
        url="https://mastodon.example/about/more?instance_actor=true",
        outbox="https://mastodon.example/actor/outbox",
    ),
    "misskey-person": RemoteActor(
        iri="https://misskey.example/users/9t2x0f1a3b",
        type="Person",
        inbox="https://misskey.example/users/9t2x0f1a3b/inbox",
        shared_inbox="https://misskey.example/inbox",
        key_id="https://misskey.example/users/9t2x0f1a3b#main-key",
        public_key_pem=SPKI,
        username="kenji",
        name="Kenji",
        url="https://misskey.example/@kenji",
        followers="https://misskey.example/users/9t2x0f1a3b/followers",
        following="https://misskey.example/users/9t2x0f1a3b/following",
        outbox="https://misskey.example/users/9t2x0f1a3b/outbox",
        icon_url=None,
    ),
    "misskey-legacy-person": RemoteActor(
        iri="https://misskey-legacy.example/users/7rkbj5nlbx",
        type="Person",
        inbox="https://misskey-legacy.example/users/7rkbj5nlbx/inbox",
        shared_inbox="https://misskey-legacy.example/inbox",
        key_id="https://misskey-legacy.example/users/7rkbj5nlbx/publickey",
        public_key_pem=PKCS1,
        username="hanako",
        name="Hanako",
        url="https://misskey-legacy.example/@hanako",
        followers="https://misskey-legacy.example/users/7rkbj5nlbx/followers",
        following="https://misskey-legacy.example/users/7rkbj5nlbx/following",
        outbox="https://misskey-legacy.example/users/7rkbj5nlbx/outbox",
        icon_url="https://misskey-legacy.example/files/webpublic-3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
    ),
    "gotosocial-person": RemoteActor(
        iri="https://gts.example/users/the_mighty_zork",
        type="Person",
        inbox="https://gts.example/users/the_mighty_zork/inbox",
        shared_inbox=None,
        key_id="https://gts.example/users/the_mighty_zork/main-key",
        public_key_pem=SPKI,
        username="the_mighty_zork",
        name="original zork (he/they)",
        url="https://gts.example/@the_mighty_zork",
        followers="https://gts.example/users/the_mighty_zork/followers",
        following="https://gts.example/users/the_mighty_zork/following",
        outbox="https://gts.example/users/the_mighty_zork/outbox",
        icon_url="https://gts.example/fileserver/01F8MH1H7YV1Z7D2C8K2730QBF/avatar/original/01F8MH58A357CV5K7R7TJMSH6S.jpg",
    ),
    "pleroma-person": RemoteActor(
        iri="https://pleroma.example/users/lou",
        type="Person",
        inbox="https://pleroma.example/users/lou/inbox",
        shared_inbox="https://pleroma.example/inbox",
        key_id="https://pleroma.example/users/lou#main-key",
        public_key_pem=SPKI + "\n",
        username="lou",
        name="Lou :bzh: ",
        url="https://pleroma.example/users/lou",
        followers="https://pleroma.example/users/lou/followers",
        following="https://pleroma.example/users/lou/following",
        outbox="https://pleroma.example/users/lou/outbox",
        icon_url="https://pleroma.example/media/d23cf9b0-5586-4592-aca5-9a52777a6042/avatar.png",
    ),
    "lemmy-group": RemoteActor(
        iri="https://lemmy.example/c/tenforward",
        type="Group",
        inbox="https://lemmy.example/c/tenforward/inbox",
        shared_inbox="https://lemmy.example/inbox",
        key_id="https://lemmy.example/c/tenforward#main-key",
        public_key_pem=SPKI,
        username="tenforward",
        name="Ten Forward",
        url=None,
        followers="https://lemmy.example/c/tenforward/followers",
        following=None,
        outbox="https://lemmy.example/c/tenforward/outbox",
        icon_url="https://lemmy.example/pictrs/image/waqyZwLAy4.webp",
    ),
    "mobilizon-group": RemoteActor(
        iri="https://mobilizon.example/@repaircafe",
        type="Group",
        inbox="https://mobilizon.example/@repaircafe/inbox",
        shared_inbox="https://mobilizon.example/inbox",
        key_id="https://mobilizon.example/@repaircafe#main-key",
        public_key_pem=PKCS1 + "\n",
        username="repaircafe",
        name="Repair Café",
        url="https://mobilizon.example/@repaircafe",
        followers="https://mobilizon.example/@repaircafe/followers",
        following="https://mobilizon.example/@repaircafe/following",
        outbox="https://mobilizon.example/@repaircafe/outbox",
        icon_url=(
            "https://mobilizon.example/media/a94f7f8da4b39f6b375f55bd8664abff4ae61d33496df7ee23ad6bf473c3632f.png"
            "?name=repaircafe%27s%20avatar.png"
        ),
    ),
    "mobilizon-person": RemoteActor(
        iri="https://mobilizon.example/@camille",
        type="Person",
        inbox="https://mobilizon.example/@camille/inbox",
        shared_inbox="https://mobilizon.example/inbox",
        key_id="https://mobilizon.example/@camille#main-key",
        public_key_pem=PKCS1 + "\n",
        username="camille",
        name="Camille",
        url="https://mobilizon.example/@camille",
        followers="https://mobilizon.example/@camille/followers",
        following="https://mobilizon.example/@camille/following",
        outbox="https://mobilizon.example/@camille/outbox",
        icon_url=None,
    ),
}


def test_every_fixture_has_an_expectation() -> None:
    assert {p.stem for p in ACTORS.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parse_real_shaped_actor(name: str) -> None:
    assert parse_actor(load(name)) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_shaped_actor_keys_load(name: str) -> None:
    """SPKI (Mastodon, GoToSocial...) and PKCS#1 (Mobilizon, old Misskey) PEMs both load as the same key."""
    key = load_public_key(parse_actor(load(name)).public_key_pem)
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.public_numbers() == load_private_key(TEST_PEM).public_key().public_numbers()


@pytest.mark.parametrize("name", ["misskey-legacy-person", "mobilizon-group", "mobilizon-person"])
def test_pkcs1_fixtures_really_are_pkcs1(name: str) -> None:
    assert load(name)["publicKey"]["publicKeyPem"].startswith("-----BEGIN RSA PUBLIC KEY-----\n")


def test_gotosocial_key_id_is_a_path_not_a_fragment() -> None:
    actor = parse_actor(load("gotosocial-person"))
    assert actor.key_id == f"{actor.iri}/main-key"


# --- variations AS2 allows --------------------------------------------------------------------


def test_public_key_as_a_list_keeps_every_same_host_key() -> None:
    doc = load("mastodon-person")
    main = doc["publicKey"]
    doc["publicKey"] = [
        {"id": "https://evil.example/keys/1", "owner": doc["id"], "publicKeyPem": "EVIL"},
        main,
        {"id": f"{doc['id']}#ed25519-key", "owner": doc["id"], "publicKeyPem": "SECOND"},
        {"id": f"{doc['id']}#no-pem", "owner": doc["id"]},
        "https://mastodon.example/users/alice#by-reference",
    ]
    actor = parse_actor(doc)
    assert (actor.key_id, actor.public_key_pem) == (main["id"], main["publicKeyPem"])
    assert actor.extra_keys == ((f"{doc['id']}#ed25519-key", "SECOND"),)


@pytest.mark.parametrize(
    ("name", "changes", "expected"),
    [
        ("lemmy-group", {"type": ["Group"]}, {"type": "Group"}),
        ("mastodon-person", {"url": {"type": "Link", "mediaType": "text/html", "href": "https://mastodon.example/@alice"}},
         {"url": "https://mastodon.example/@alice"}),
        ("mastodon-person", {"url": [
            {"type": "Link", "mediaType": "text/html", "href": "https://peertube.example/accounts/alice"},
            {"type": "Link", "mediaType": "application/activity+json", "href": "https://peertube.example/a/alice"},
        ]}, {"url": "https://peertube.example/accounts/alice"}),
        ("mastodon-person", {"icon": [{"type": "Image", "url": "https://x.example/a.png"},
                                      {"type": "Image", "url": "https://x.example/b"}]},
         {"icon_url": "https://x.example/a.png"}),
        ("misskey-person", {"name": None, "preferredUsername": ["kenji"]}, {"name": None, "username": None}),
    ],
    ids=["type-as-a-list", "url-as-a-link", "url-as-link-objects", "icon-as-a-list-of-images",
         "non-string-display-fields-dropped"],
)
def test_variations_as2_allows(name: str, changes: dict[str, Any], expected: dict[str, Any]) -> None:
    actor = parse_actor(_broken(name, **changes))
    assert {field: getattr(actor, field) for field in expected} == expected


def test_missing_optional_fields_are_none() -> None:
    doc = {
        "id": "https://tiny.example/u/1",
        "type": "Service",
        "inbox": "https://tiny.example/u/1/inbox",
        "publicKey": {"id": "https://tiny.example/u/1#k", "publicKeyPem": SPKI},
    }
    assert parse_actor(doc) == RemoteActor(
        iri="https://tiny.example/u/1",
        type="Service",
        inbox="https://tiny.example/u/1/inbox",
        shared_inbox=None,
        key_id="https://tiny.example/u/1#k",
        public_key_pem=SPKI,
    )


# --- rejections -------------------------------------------------------------------------------


def _broken(fixture: str, /, **changes: Any) -> dict[str, Any]:
    """The fixture `fixture` with `changes` made (`_DELETE`: the key removed)."""
    doc = copy.deepcopy(load(fixture))
    for key, value in changes.items():
        if value is _DELETE:
            del doc[key]
        else:
            doc[key] = value
    return doc


_DELETE = object()


# A document may not claim a key served by another host, even naming itself owner (key owner spoofing).
KEYS_ON_ANOTHER_HOST = [
    "https://evil.example/users/alice#main-key",
    "https://mastodon.example.evil.example/users/alice#main-key",
    "https://evil.example/mastodon.example/users/alice#main-key",
    "https://mastodon.example:8443/users/alice#main-key",
    "urn:uuid:5c1e0c2a-0000-4000-8000-000000000000",
    "https://[::1/users/alice#main-key",
    "https://mastodon.example:99999/users/alice#main-key",
]


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        *((doc, "actor document is not a JSON object")
          for doc in (None, [], "https://mastodon.example/users/alice", 42, [{"id": "x"}])),
        (_broken("mastodon-person", type="Note"), "not an actor type: 'Note'"),
        (_broken("mastodon-person", type="Tombstone"), "not an actor type: 'Tombstone'"),
        (_broken("mastodon-person", type=_DELETE), "not an actor type: None"),
        (_broken("mastodon-person", type=[]), "not an actor type: None"),
        (_broken("mastodon-person", type={"id": "Person"}), "not an actor type: {'id': 'Person'}"),
        (_broken("mastodon-person", id=_DELETE), "actor id must be an IRI string"),
        (_broken("mastodon-person", id="acct:alice@mastodon.example"),
         "actor id must be an http(s) IRI: 'acct:alice@mastodon.example'"),
        (_broken("mastodon-person", id="https://mastodon.example:99999/users/alice"),
         "actor id is not a valid IRI: Port out of range 0-65535"),
        (_broken("mastodon-person", inbox=_DELETE), "actor inbox must be an IRI string"),
        (_broken("gotosocial-person", inbox=None), "actor inbox must be an IRI string"),
        (_broken("lemmy-group", inbox="/c/tenforward/inbox"),
         "actor inbox must be an http(s) IRI: '/c/tenforward/inbox'"),
        (_broken("mastodon-person", endpoints={"sharedInbox": "inbox"}), "sharedInbox must be an http(s) IRI: 'inbox'"),
        (_broken("mastodon-person", url="javascript:alert(1)"), "url must be an http(s) IRI: 'javascript:alert(1)'"),
        (_broken("mastodon-person", publicKey=_DELETE), "actor has no usable publicKey"),
        (_broken("mastodon-person", publicKey=None), "actor has no usable publicKey"),
        (_broken("mastodon-person", publicKey=[]), "actor has no usable publicKey"),
        (_broken("mastodon-person", publicKey="https://mastodon.example/users/alice#main-key"),
         "actor has no usable publicKey"),
        (_broken("mastodon-person", publicKey={"id": "https://mastodon.example/users/alice#main-key"}),
         "actor has no usable publicKey"),
        (_broken("mastodon-person", publicKey={"publicKeyPem": SPKI}), "actor has no usable publicKey"),
        *((_broken("mastodon-person", publicKey={"id": key_id, "owner": "https://mastodon.example/users/alice",
                                                 "publicKeyPem": SPKI}), "actor has no usable publicKey")
          for key_id in KEYS_ON_ANOTHER_HOST),
    ],
)
def test_reject_with_reason(doc: Any, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_actor(doc)
    assert info.value.reason == reason
