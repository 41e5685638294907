"""JSON-LD processing bounded by the work it does (issue 16, first row).

A signed activity whose context gives a type 800 scoped terms, applied on 2,000 nodes (57 kB), once took
pyld 26 s on the event loop: answered 202 at last, and the whole node, /healthz included, stalled
meanwhile. The inbox must answer within a second, /healthz must keep answering throughout, and no
activity of bounded size may cost more than a fixed CPU budget, whatever contexts it carries.
"""

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Awaitable
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from node import compaction
from node.appkeys import DB
from protocol.activities import parse_activity
from protocol.errors import ParseError
from protocol.jsonld import MAX_SLOW_PATH_VALUES, compact
from tests.support.dbstate import CACHES, changed, row_counts
from tests.support.node import AS_CONTEXT, activity, error_of, post_signed
from tests.support.node import PUBLIC as AS_PUBLIC
from tests.support.peer import Peer

PRACTICE = "http://node.test/practices/x"
NS = "https://x.example/ns#"
# /healthz is polled every POLL seconds; no two answers may be further apart than MAX_GAP (answers come
# 20-50 ms apart on a quiet machine, up to 0.3 s on two cores loaded 4x; the loop held for 11-40 s before).
POLL = 0.02
MAX_GAP = 0.5


def scoped_attack(terms: int = 800, nodes: int = 2000) -> dict[str, Any]:
    """The issue's payload, without its activity: a type `T` whose scoped context defines `terms` terms,
    on `nodes` nodes."""
    scoped = {f"term{i}": f"{NS}term{i}" for i in range(terms)}
    return {"@context": [AS_CONTEXT, {"T": {"@id": f"{NS}T", "@context": scoped}}],
            "tag": [{"type": "T"} for _ in range(nodes)]}


async def while_polling_healthz(client: TestClient, request: Awaitable[ClientResponse]) -> tuple[
        ClientResponse, float, float]:
    """`request`'s response, the seconds it took, and the longest gap between two /healthz answers
    polled meanwhile (the poller's first answer comes before the request starts)."""
    answers: list[float] = []
    first = asyncio.Event()
    done = False

    async def poll() -> None:
        while not done:
            resp = await client.get("/healthz")
            assert resp.status == 200
            answers.append(time.monotonic())
            first.set()
            await asyncio.sleep(POLL)

    poller = asyncio.create_task(poll())
    await first.wait()
    started = time.monotonic()
    resp = await request
    took = time.monotonic() - started
    await asyncio.sleep(2 * POLL)  # one more answer after the request's
    done = True
    await poller
    gaps = [b - a for a, b in zip(answers, answers[1:], strict=False)]
    return resp, took, max(gaps)


@pytest.mark.parametrize(("terms", "nodes", "refusal"), [
    (800, 2000, f"document has more than {MAX_SLOW_PATH_VALUES} values"),  # the issue's 57 kB payload
    (800, 600, "its contexts take more work to process than"),  # fewer values: the contexts' work refuses it
], ids=["issue-payload", "within-the-values-bound"])
async def test_scoped_context_on_many_nodes_is_refused_within_a_second_healthz_answering(
        client: TestClient, peer: Peer, terms: int, nodes: int, refusal: str) -> None:
    doc = {**activity(peer, "alice", "Like", PRACTICE), **scoped_attack(terms, nodes)}
    assert nodes < 2000 or 55_000 < len(json.dumps(doc, separators=(",", ":"))) < 60_000  # the issue's 57 kB
    counts = await row_counts(client.app[DB])
    resp, took, gap = await while_polling_healthz(client, post_signed(client, peer, "alice", "/inbox", doc))
    assert (resp.status, took < 1.0, gap < MAX_GAP) == (400, True, True), (resp.status, took, gap)
    status, reason = await error_of(resp)
    assert reason.startswith(f"not a valid activity: invalid JSON-LD: {refusal}"), reason
    assert set(changed(counts, await row_counts(client.app[DB]))) <= CACHES  # the signer's key, fetched



async def test_documents_that_need_pyld_are_compacted_off_the_event_loop(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyld runs on a thread of its own; a document whose context the fast path knows is compacted on the
    loop, without that thread (here a second Like with the first one's context, which pyld needed)."""
    threads: dict[object, str] = {}

    def recorded(doc: Any) -> dict[str, Any]:
        threads[doc.get("id")] = threading.current_thread().name
        return compact(doc)

    monkeypatch.setattr(compaction, "compact", recorded)
    context = [AS_CONTEXT, {"foo": {"@id": f"{NS}foo-{uuid.uuid4()}", "@type": "@id"}}]  # never seen before
    first = activity(peer, "alice", "Like", PRACTICE, **{"@context": context}, foo="https://x.example/1")
    second = activity(peer, "alice", "Like", PRACTICE, **{"@context": context})  # no `foo`: the fast path
    for like in (first, second):
        assert (await post_signed(client, peer, "alice", "/inbox", like)).status == 202
    assert threads[first["id"]].startswith("maillage-jsonld") and second["id"] not in threads, threads


# No activity of bounded size costs more than a fixed CPU budget to read (compaction and parsing), whatever
# contexts it carries. The worst the bounds let through costs ~0.35 s (2,500 IRIs compacted, ~50 ms of
# contexts); the issue's payload cost 26 s.
MAX_BYTES = 64_000
CPU_BUDGET = 1.0
LIKE = {"id": "https://peer.example/users/alice/activities/1", "type": "Like",
        "actor": "https://peer.example/users/alice", "object": PRACTICE}
BUNDLED = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"]


def _terms(count: int, prefix: str) -> dict[str, Any]:
    return {f"{prefix}{i}": f"{NS}{prefix}{i}" for i in range(count)}


@st.composite
def costly_activities(draw: st.DrawFn) -> dict[str, Any]:
    """An activity whose context defines a type `T` and a property `p` with scoped contexts (inline, a
    bundled context, nested, an `@import`), applied on many nodes, with plain terms, repeated contexts and
    IRIs beside them, cut to MAX_BYTES."""
    terms = draw(st.sampled_from([0, 1, 10, 100, 400, 800]))
    scoped = draw(st.sampled_from([
        _terms(terms, "s"), BUNDLED[0], BUNDLED[1], {**_terms(terms, "s"), "U": {"@id": f"{NS}U",
                                                                                 "@context": _terms(terms, "n")}},
        {"@import": BUNDLED[draw(st.integers(0, 1))], **_terms(terms, "s")},
        {"@propagate": True, **_terms(terms, "s")},
    ]))
    inline = {**_terms(draw(st.sampled_from([0, 10, 400])), "q"),
              "T": {"@id": f"{NS}T", "@context": scoped}, "p": {"@id": f"{NS}p", "@context": scoped},
              "foo": {"@id": f"{NS}foo", "@type": "@id"}}
    context = [*([BUNDLED[0]] * draw(st.sampled_from([1, 2, 50]))), BUNDLED[1], inline]
    node = draw(st.sampled_from([
        {"type": "T"}, {"type": ["T", "DataIntegrityProof"]}, {"p": {"type": "T", "name": "x"}},
        {"type": "T", "p": {"type": "U", "p": {"type": "T"}}}, {"@context": scoped, "type": "T"},
        {"@context": inline, "p": 1}, "https://x.example/iri",
    ]))
    nodes = draw(st.sampled_from([1, 10, 100, 500, 1000, 2000, 5000]))
    doc: dict[str, Any] = {**LIKE, "@context": context, draw(st.sampled_from(["tag", "foo", "p"])): [node] * nodes}
    while nodes > 1 and len(json.dumps(doc, separators=(",", ":"))) > MAX_BYTES:
        nodes //= 2
        doc[next(reversed(doc))] = [node] * nodes
    assume(len(json.dumps(doc, separators=(",", ":"))) <= MAX_BYTES)
    return doc


def _read(doc: dict[str, Any]) -> None:
    try:
        parse_activity(compact(doc))
    except ParseError:
        pass


@settings(max_examples=40, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(doc={**LIKE, **scoped_attack(800, 2000)})
@example(doc={**LIKE, **scoped_attack(800, 600)})
@given(doc=costly_activities())
def test_no_activity_of_bounded_size_costs_more_than_a_fixed_cpu_budget(doc: dict[str, Any]) -> None:
    assert len(json.dumps(doc, separators=(",", ":"))) <= MAX_BYTES
    started = time.process_time()
    _read(doc)
    assert time.process_time() - started < CPU_BUDGET


def test_a_document_cannot_change_how_later_documents_are_read() -> None:
    """pyld merges an `@import`ing context into the cached document of the context it imports. Once that
    context's processed copies were evicted (by a document naming it eleven times), every later document
    naming it was read with the sender's definitions: here `to` read as `cc`. `@import` is refused."""
    as_cc = {"@id": f"{AS_CONTEXT}#cc", "@type": "@id"}
    poisoning = {**LIKE, "@context": [AS_CONTEXT, {"T": {"@id": f"{NS}T", "@context": {"@import": AS_CONTEXT,
                                                                                      "to": as_cc}}}]}
    evicting = [AS_CONTEXT, *[member for i in range(11) for member in ({f"u{i}": NS}, AS_CONTEXT)]]

    def note(context: Any) -> dict[str, Any]:  # a compact IRI as a key takes it to pyld
        return {"@context": context, "id": "https://peer.example/notes/1", "type": "Note", "as:sensitive": False,
                "attributedTo": "https://peer.example/users/alice", "to": AS_PUBLIC, "content": "x"}

    with contextlib.suppress(ParseError):
        compact(poisoning)
    compact(note(evicting))
    assert compact(note(AS_CONTEXT)).get("to") == "as:Public"
    with pytest.raises(ParseError, match="invalid JSON-LD: @import is not supported"):
        compact(poisoning)
