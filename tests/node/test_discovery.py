"""How other servers find the node: WebFinger, host-meta, NodeInfo, the instance actor, and the
actor documents Mastodon reads (ProcessAccountService fields)."""

import re

import pytest
from aiohttp.test_utils import TestClient

from node import __version__
from node.accounts import get_actor
from node.appkeys import DB
from tests.support.node import get_as2, publish_practice
from tests.support.peer import AS2

BASE = "http://node.test"
GROUP = f"{BASE}/users/reseau"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
NODEINFO_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"


async def webfinger(client: TestClient, *resources: str) -> tuple[int, dict[str, object], str, str]:
    resp = await client.get("/.well-known/webfinger", params=[("resource", r) for r in resources])
    return resp.status, await resp.json(content_type=None), resp.headers["Content-Type"], \
        resp.headers.get("Access-Control-Allow-Origin", "")


def jrd(username: str, iri: str) -> dict[str, object]:
    return {
        "subject": f"acct:{username}@node.test",
        "aliases": [iri],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": iri},
            {"rel": PROFILE_PAGE, "type": "text/html", "href": iri},
        ],
    }


async def test_webfinger_acct_lookup_returns_the_exact_jrd(client: TestClient) -> None:
    status, doc, content_type, cors = await webfinger(client, "acct:reseau@node.test")
    assert status == 200
    assert doc == jrd("reseau", GROUP)
    assert content_type == "application/jrd+json; charset=utf-8"
    assert cors == "*"


@pytest.mark.parametrize("resource", [
    "acct:admin@node.test", "admin@node.test", "@admin@node.test", f"{BASE}/users/admin",
    "acct:admin@NODE.Test", "acct:ADMIN@node.test",
])
async def test_webfinger_finds_a_person_by_handle_url_and_any_case(client: TestClient, resource: str) -> None:
    status, doc, _, _ = await webfinger(client, resource)
    assert status == 200
    assert doc == jrd("admin", f"{BASE}/users/admin")


async def test_webfinger_by_actor_url_with_an_uppercase_host(client: TestClient) -> None:
    status, doc, _, _ = await webfinger(client, "HTTP://NODE.TEST/users/reseau")
    assert status == 200
    assert doc == jrd("reseau", GROUP)


@pytest.mark.parametrize("resource", ["acct:instance.actor@node.test", f"{BASE}/actor"])
async def test_webfinger_finds_the_instance_actor(client: TestClient, resource: str) -> None:
    status, doc, _, _ = await webfinger(client, resource)
    assert status == 200
    assert doc == jrd("instance.actor", f"{BASE}/actor")


@pytest.mark.parametrize(("resources", "reason"), [
    ((), "exactly one resource parameter is required"),
    (("acct:reseau@node.test", "acct:admin@node.test"), "exactly one resource parameter is required"),
    (("",), "missing resource parameter"),
    (("reseau",), "unsupported resource (expected acct: URI or URL): 'reseau'"),
    (("acct:",), "not a handle (expected @name@host): 'acct:'"),
    (("acct:re seau@node.test",), "invalid user name in handle: 're seau'"),
    (("acct:reseau@node/test",), "invalid host in handle: 'node/test'"),
    (("https:///users/reseau",), "resource URL must be an http(s) IRI: 'https:///users/reseau'"),
])
async def test_webfinger_malformed_resource_is_400(client: TestClient, resources: tuple[str, ...],
                                                   reason: str) -> None:
    status, doc, _, cors = await webfinger(client, *resources)
    assert (status, doc) == (400, {"error": reason})
    assert cors == "*"


@pytest.mark.parametrize(("resource", "reason"), [
    ("acct:nobody@node.test", "no such account here"),
    ("acct:reseau@other.test", "other.test is not this server"),
    ("acct:reseau@node.test:8080", "node.test:8080 is not this server"),
    (f"{BASE}/users/nobody", "no such account here"),
    (f"{BASE}/users/reseau/outbox", "no such account here"),
    (f"{BASE}/practices/reseau", "no such account here"),
    ("https://other.test/users/reseau", "no such account here"),
])
async def test_webfinger_unknown_account_or_other_host_is_404(client: TestClient, resource: str,
                                                              reason: str) -> None:
    status, doc, _, cors = await webfinger(client, resource)
    assert (status, doc) == (404, {"error": reason})
    assert cors == "*"


async def test_host_meta_points_at_webfinger(client: TestClient) -> None:
    resp = await client.get("/.well-known/host-meta")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/xrd+xml; charset=utf-8"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert await resp.text() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{BASE}/.well-known/webfinger?resource={{uri}}"/>\n'
        "</XRD>\n"
    )


async def test_nodeinfo_links_to_21_and_the_application_actor(client: TestClient) -> None:
    resp = await client.get("/.well-known/nodeinfo")
    assert resp.status == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert await resp.json() == {"links": [
        {"rel": NODEINFO_21, "href": f"{BASE}/nodeinfo/2.1"},
        {"rel": "https://www.w3.org/ns/activitystreams#Application", "href": f"{BASE}/actor"},
    ]}


async def nodeinfo(client: TestClient) -> dict[str, object]:
    resp = await client.get("/nodeinfo/2.1")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == f'application/json; profile="{NODEINFO_21}#"'
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    doc: dict[str, object] = await resp.json(content_type=None)
    return doc


async def test_nodeinfo_document_and_counts_after_a_publish(client: TestClient) -> None:
    doc = await nodeinfo(client)
    assert doc == {
        "version": "2.1",
        "software": {"name": "maillage", "version": __version__},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": False,
        "usage": {"users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": 0},
        "metadata": {"nodeName": "Réseau test", "network": "@reseau@node.test", "languages": ["fr", "en", "es", "pt"]},
    }
    await publish_practice(client.app, "premiere")
    await publish_practice(client.app, "seconde")
    doc = await nodeinfo(client)
    assert doc["usage"] == {"users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": 2}


@pytest.mark.parametrize("accept", [AS2, "text/html", "*/*", ""])
async def test_instance_actor_is_always_json_and_fetchable_unsigned(client: TestClient, accept: str) -> None:
    resp = await client.get("/actor", headers={"Accept": accept} if accept else {})
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    doc = await resp.json(content_type=None)
    instance = await get_actor(client.app[DB], "instance.actor")
    assert instance is not None
    assert doc["id"] == f"{BASE}/actor"
    assert doc["type"] == "Application"
    assert doc["preferredUsername"] == "instance.actor"
    assert doc["inbox"] == f"{BASE}/actor/inbox"
    assert doc["publicKey"] == {"id": f"{BASE}/actor#main-key", "owner": f"{BASE}/actor",
                                "publicKeyPem": instance.public_key_pem}
    assert doc["manuallyApprovesFollowers"] is True
    assert doc["discoverable"] is False


async def test_instance_actor_is_not_a_user_page(client: TestClient) -> None:
    resp = await get_as2(client, f"{BASE}/users/instance.actor")
    assert resp.status == 404


@pytest.mark.parametrize(("username", "kind", "manual"), [("reseau", "Group", False), ("admin", "Person", False)])
async def test_actor_document_has_every_field_mastodon_reads(client: TestClient, username: str, kind: str,
                                                             manual: bool) -> None:
    iri = f"{BASE}/users/{username}"
    resp = await get_as2(client, iri)
    assert resp.status == 200
    doc = await resp.json(content_type=None)
    row = await get_actor(client.app[DB], username)
    assert row is not None
    assert "https://www.w3.org/ns/activitystreams" in doc["@context"]
    assert "https://w3id.org/security/v1" in doc["@context"]
    assert doc["id"] == iri
    assert doc["type"] == kind
    assert doc["preferredUsername"] == username
    assert doc["url"] == iri
    assert doc["inbox"] == f"{iri}/inbox"
    assert doc["outbox"] == f"{iri}/outbox"
    assert doc["followers"] == f"{iri}/followers"
    assert doc["following"] == f"{iri}/following"
    assert doc["endpoints"] == {"sharedInbox": f"{BASE}/inbox"}
    assert doc["publicKey"] == {"id": f"{iri}#main-key", "owner": iri, "publicKeyPem": row.public_key_pem}
    assert row.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert doc["manuallyApprovesFollowers"] is manual
    assert doc["discoverable"] is True
    assert doc["published"] == row.created_at
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["published"])


async def test_group_of_a_manual_approval_node_says_so(manual_client: TestClient) -> None:
    doc = await (await get_as2(manual_client, GROUP)).json(content_type=None)
    assert (doc["type"], doc["manuallyApprovesFollowers"]) == ("Group", True)


async def test_unknown_actor_is_404(client: TestClient) -> None:
    resp = await get_as2(client, f"{BASE}/users/nobody")
    assert resp.status == 404
    assert await resp.json() == {"error": "no such actor"}


@pytest.mark.parametrize("iri", [GROUP, f"{BASE}/users/admin", f"{BASE}/actor"])
async def test_every_collection_an_actor_advertises_resolves(client: TestClient, iri: str) -> None:
    doc = await (await get_as2(client, iri)).json(content_type=None)
    for key in ("outbox", "followers", "following"):
        resp = await get_as2(client, doc[key])
        assert resp.status == 200, doc[key]
        assert (await resp.json(content_type=None))["id"] == doc[key]
