"""Property tests against a real app under aiohttp's test client: random but plausible activities, validly
signed by a peer, POSTed to the inboxes, then processed by the workers; and random GETs of every route.
Whatever arrives: never a 5xx, and no handler fails with anything but the errors it expects (a bug
would be logged by the inbox worker's catch-all and retried). Bounded, so the suite stays fast."""

import itertools
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.appkeys import DB, URLS
from tests.support.ld import JSON
from tests.support.node import AS_CONTEXT, process, publish_practice
from tests.support.peer import Peer

FUZZ = settings(max_examples=100, database=None, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
BASE = "http://node.test"
LOCAL = [f"{BASE}/users/reseau", f"{BASE}/users/admin", f"{BASE}/actor", f"{BASE}/practices/monnaie-locale",
         f"{BASE}/practices/nothing", f"{BASE}/journeys/voyage/rsvp", f"{BASE}/activities/x", BASE]
TYPES = ["Follow", "Undo", "Accept", "Reject", "Create", "Update", "Delete", "Announce", "Like", "Join", "Leave",
         "Flag", "Block", "Add", "Remove", "Move", "Question", "Note", "Article", "Event", "Tombstone", "Person"]
_ids = itertools.count(1)


def _iris(peer_base: str, other_base: str) -> st.SearchStrategy[str]:
    remote = [f"{peer_base}/users/alice", f"{peer_base}/users/bob", f"{peer_base}/notes/1", f"{peer_base}/nothing",
              f"{peer_base}/users/alice/followers", f"{other_base}/users/carol", f"{other_base}/notes/1",
              "http://127.0.0.1:1/users/x", "https://www.w3.org/ns/activitystreams#Public"]
    return st.sampled_from(LOCAL + remote)


def _activities(peer: Peer, other: Peer) -> st.SearchStrategy[dict[str, Any]]:
    iris = _iris(peer.base, other.base)
    alice = peer.actor_iri("alice")
    embedded = st.recursive(
        st.fixed_dictionaries(
            {"id": iris | st.builds(lambda: f"{peer.base}/objects/{next(_ids)}"), "type": st.sampled_from(TYPES)},
            optional={"actor": iris | st.just(alice), "attributedTo": iris | st.just(alice), "object": iris,
                      "inReplyTo": iris, "content": st.text(max_size=30) | JSON, "name": st.text(max_size=20) | JSON,
                      "to": st.lists(iris, max_size=3), "startTime": st.sampled_from(["2030-01-01T10:00:00Z", "x"]),
                      "location": JSON, "attachment": JSON, "tag": JSON, "published": JSON}),
        lambda inner: st.fixed_dictionaries(
            {"id": iris, "type": st.sampled_from(TYPES), "actor": st.just(alice) | iris, "object": inner}),
        max_leaves=3,
    )
    random = st.fixed_dictionaries(
        {"@context": st.just(AS_CONTEXT) | st.just([AS_CONTEXT, {"foo": "https://x.example/ns#foo"}]),
         "id": st.builds(lambda: f"{alice}/activities/fuzz-{next(_ids)}"),
         "type": st.sampled_from(TYPES), "actor": st.just(alice)},
        optional={"object": iris | embedded | st.lists(iris, max_size=2) | JSON, "target": iris | JSON,
                  "to": st.lists(iris, max_size=3) | JSON, "cc": iris | JSON, "published": JSON, "foo": JSON},
    )
    # What peers usually send, with random details: most examples get past the parser to the handlers.
    note = st.fixed_dictionaries(
        {"id": st.builds(lambda: f"{peer.base}/notes/fuzz-{next(_ids)}"), "type": st.sampled_from(["Note", "Page"]),
         "attributedTo": st.just(alice), "inReplyTo": st.sampled_from(LOCAL) | iris},
        optional={"content": st.text(max_size=40) | JSON, "name": JSON, "tag": JSON, "attachment": JSON})
    usual = st.one_of(
        st.builds(lambda o: {"type": "Follow", "object": o}, st.sampled_from(LOCAL)),
        st.builds(lambda o: {"type": "Undo", "object": {"id": f"{alice}/f/{next(_ids)}", "type": "Follow",
                                                        "actor": alice, "object": o}}, st.sampled_from(LOCAL)),
        st.builds(lambda o: {"type": "Create", "object": o}, note),
        st.builds(lambda o: {"type": "Like", "object": o}, iris),
        st.builds(lambda o: {"type": "Announce", "object": o}, iris),
        st.builds(lambda o: {"type": "Update", "object": o}, note),
        st.builds(lambda o: {"type": "Delete", "object": o}, iris),
    ).map(lambda d: {"@context": AS_CONTEXT, "id": f"{alice}/activities/fuzz-{next(_ids)}", "actor": alice, **d})
    # Not alice deleting her own account: the node then forgets her, and her later requests are refused
    # (401 while her key may not be fetched again), which would leave the rest of the run unexercised.
    return (usual | random).filter(lambda d: not (d["type"] == "Delete" and d.get("object") == alice))


@pytest.fixture
async def app_with_content(client: TestClient, peer: Peer) -> TestClient:
    await publish_practice(client.app)
    peer.add_actor("bob")
    peer.documents["/notes/1"] = {"@context": AS_CONTEXT, "id": f"{peer.base}/notes/1", "type": "Note",
                                  "attributedTo": peer.actor_iri("alice"), "content": "<p>hello</p>"}
    return client


@pytest.fixture
async def statuses(app_with_content: TestClient) -> AsyncIterator[list[int]]:
    """The statuses answered over all examples; checked at the end, so that the test cannot pass by
    having every example refused before the worker sees it."""
    seen: list[int] = []
    yield seen
    assert seen.count(202) > len(seen) // 3, seen
    states = await app_with_content.app[DB].fetch_all("SELECT DISTINCT state FROM inbox")
    assert {r["state"] for r in states} >= {"done", "ignored"}


@FUZZ
@given(data=st.data(), path=st.sampled_from(["/inbox", "/users/reseau/inbox", "/users/admin/inbox", "/actor/inbox"]))
async def test_signed_random_activities_never_cause_a_server_error(
        app_with_content: TestClient, peer: Peer, other_peer: Peer, statuses: list[int],
        caplog: pytest.LogCaptureFixture, data: st.DataObject, path: str) -> None:
    client = app_with_content
    doc = data.draw(_activities(peer, other_peer), label="activity")
    caplog.clear()
    body = json.dumps(doc).encode()
    headers = peer.sign("alice", "POST", client.app[URLS].base + path, body)
    resp = await client.post(path, data=body, headers=headers)
    statuses.append(resp.status)
    assert resp.status in (202, 400), await resp.text()
    await process(client.app)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def _templates(client: TestClient) -> list[tuple[str, list[str]]]:
    """(path template, parameter names) of every GET route, read from the router (routes added later are
    fuzzed too)."""
    out = []
    for resource in client.app.router.resources():
        info = resource.get_info()
        if not any(route.method == "GET" for route in resource):
            continue
        if "formatter" in info:
            out.append((info["formatter"], re.findall(r"\{(\w+)\}", info["formatter"])))
        elif "path" in info:
            out.append((info["path"], []))
        elif "prefix" in info:
            out.append((info["prefix"] + "/{file}", ["file"]))
    return out


SEGMENTS = st.sampled_from(["reseau", "admin", "instance.actor", "monnaie-locale", "practices", "journeys",
                            "outcomes", "..", "%2e%2e", "x" * 300, "", "%00", "A", "é", "1"]) | st.text(max_size=12)
QUERY_KEYS = st.sampled_from(["page", "max_id", "after", "lang", "resource", "rel", "q", "format"]) \
    | st.text(max_size=5)
QUERY_VALUES = st.sampled_from(["true", "1", "-1", "99999999999999999999", "fr", "acct:reseau@node.test",
                                "acct:", "http://node.test/users/reseau", "", "\u0000"]) | st.text(max_size=12)
ACCEPTS = st.sampled_from(["text/html", "application/activity+json", 'application/ld+json; profile="x"', "*/*",
                           "application/json", "text/calendar", "application/atom+xml", "text/html;q=x", ""])


@FUZZ
@given(data=st.data())
async def test_random_gets_of_every_route_never_cause_a_server_error(app_with_content: TestClient,
                                                                     data: st.DataObject) -> None:
    client = app_with_content
    template, names = data.draw(st.sampled_from(_templates(client)), label="route")
    values = {name: quote(data.draw(SEGMENTS, label=name), safe="") or "_" for name in names}
    path = template.format(**values) if names else template
    query = data.draw(st.dictionaries(QUERY_KEYS, QUERY_VALUES, max_size=3), label="query")
    resp = await client.get(path, params=query, headers={"Accept": data.draw(ACCEPTS, label="accept")})
    # /readyz answers 503 by design while the workers are not running (they are not, under the test client).
    assert resp.status < 500 or (template == "/readyz" and resp.status == 503), (path, query, await resp.text())
