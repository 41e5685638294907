"""Signed GETs double-knock as deliveries do (node/signing.py): the remembered scheme of the domain
first, draft-cavage when none; after a 400 or 401, once more at once with the other scheme, and the
scheme that got the document is remembered for the domain's next requests, POSTs included."""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from node.appkeys import DB, DELIVERY, FETCHER, URLS
from node.fetch import FetchError
from node.signing import DRAFT_CAVAGE, RFC9421
from tests.node.test_rfc9421 import PickyServer, follow_and_deliver
from tests.support.node import get_as2
from tests.support.peer import AS2, Peer
from tests.support.picky import PickyRemote


class PickyOrigin(PickyRemote):
    """A server holding one Note, served only to GETs signed (validly, by the node's instance actor)
    with one of the schemes it accepts."""

    def url(self, path: str = "/notes/1") -> str:
        return f"http://{self.host}{path}"

    async def note(self, request: web.Request) -> web.Response:
        if self.answer(self.verified_scheme(request, None), 200) != 200:
            return web.json_response({"error": "signature refused"}, status=self.refusal)
        if request.path == "/moved":
            raise web.HTTPFound(self.url())
        note = {"@context": "https://www.w3.org/ns/activitystreams", "id": self.url(), "type": "Note",
                "attributedTo": self.url("/users/alice"), "content": "<p>Bonjour</p>"}
        return web.Response(text=json.dumps(note), content_type=AS2)


@pytest.fixture
async def origin(client: TestClient) -> AsyncIterator[Callable[..., Any]]:
    """A factory: `await origin({"rfc9421"})` starts a PickyOrigin on loopback."""
    servers: list[TestServer] = []
    instance = await (await get_as2(client, f"{client.app[URLS].base}/actor")).json(content_type=None)

    async def make(accepts: set[str], refusal: int = 401) -> PickyOrigin:
        remote = PickyOrigin(accepts, instance["publicKey"]["publicKeyPem"], refusal)
        app = web.Application()
        app.router.add_get("/notes/1", remote.note)
        app.router.add_get("/moved", remote.note)
        await remote.start(app)
        assert remote.server is not None
        servers.append(remote.server)
        return remote

    yield make
    for server in servers:
        await server.close()


async def remembered(client: TestClient, host: str) -> str | None:
    return await client.app[DB].fetch_value("SELECT signature_scheme FROM domains WHERE host = ?", (host,))


@pytest.mark.parametrize("refusal", [401, 400])
async def test_a_get_refused_with_draft_is_sent_again_with_rfc9421_and_remembered(
    client: TestClient, origin: Callable[..., Any], refusal: int
) -> None:
    remote = await origin({RFC9421}, refusal)
    final, doc = await client.app[FETCHER].get_json(remote.url())
    assert (final, doc["id"]) == (remote.url(), remote.url())
    assert remote.attempts == [(DRAFT_CAVAGE, refusal), (RFC9421, 200)]
    assert await remembered(client, remote.host) == RFC9421
    await client.app[FETCHER].get_json(remote.url())  # the next GET knocks once, with the remembered scheme
    assert remote.attempts[2:] == [(RFC9421, 200)]


async def test_a_remembered_scheme_that_stops_working_falls_back_and_is_forgotten(
    client: TestClient, origin: Callable[..., Any]
) -> None:
    remote = await origin({DRAFT_CAVAGE})
    async with client.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, signature_scheme) VALUES (?, 'rfc9421')", (remote.host,))
    await client.app[FETCHER].get_json(remote.url())
    assert remote.attempts == [(RFC9421, 401), (DRAFT_CAVAGE, 200)]
    assert await remembered(client, remote.host) == DRAFT_CAVAGE


async def test_a_server_refusing_both_schemes_gets_two_knocks_and_a_fetch_error(
    client: TestClient, origin: Callable[..., Any]
) -> None:
    remote = await origin(set())
    with pytest.raises(FetchError) as caught:
        await client.app[FETCHER].get_json(remote.url())
    assert caught.value.status == 401
    assert remote.attempts == [(DRAFT_CAVAGE, 401), (RFC9421, 401)]
    assert await remembered(client, remote.host) is None


async def test_a_server_accepting_draft_is_knocked_once_and_nothing_is_remembered(
    client: TestClient, origin: Callable[..., Any]
) -> None:
    remote = await origin({DRAFT_CAVAGE})
    await client.app[FETCHER].get_json(remote.url())
    assert remote.attempts == [(DRAFT_CAVAGE, 200)]
    assert await remembered(client, remote.host) is None


@pytest.mark.parametrize("status", [403, 404, 410, 503])
async def test_other_refusals_are_not_a_reason_to_knock_again(
    client: TestClient, origin: Callable[..., Any], status: int
) -> None:
    remote = await origin(set(), refusal=status)
    with pytest.raises(FetchError) as caught:
        await client.app[FETCHER].get_json(remote.url())
    assert caught.value.status == status
    assert remote.attempts == [(DRAFT_CAVAGE, status)]


async def test_a_redirect_answered_to_the_second_knock_is_followed_and_signed_with_the_scheme_that_worked(
    client: TestClient, origin: Callable[..., Any]
) -> None:
    remote = await origin({RFC9421})
    final, doc = await client.app[FETCHER].get_json(remote.url("/moved"))
    assert final == remote.url() and doc["type"] == "Note"
    assert remote.attempts == [(DRAFT_CAVAGE, 401), (RFC9421, 200), (RFC9421, 200)]


async def test_an_unsigned_get_is_never_knocked_twice(client: TestClient) -> None:
    calls = []

    async def refuse(request: web.Request) -> web.Response:
        calls.append("Signature" in request.headers or "Signature-Input" in request.headers)
        return web.Response(status=401)

    app = web.Application()
    app.router.add_get("/x", refuse)
    async with TestServer(app, host="127.0.0.1") as server:
        with pytest.raises(FetchError):
            await client.app[FETCHER].get_json(f"http://127.0.0.1:{server.port}/x", sign=False)
    assert calls == [False]


async def test_a_scheme_a_get_learnt_is_the_first_knock_of_the_next_post(client: TestClient, peer: Peer) -> None:
    """The fetcher and the delivery worker share what they know of a domain (node.signing.KnownSchemes):
    a worker that read the domains it knew before the GET learnt RFC 9421 still knocks once."""
    instance = await (await get_as2(client, f"{client.app[URLS].base}/actor")).json(content_type=None)
    group = await (await get_as2(client, client.app[URLS].actor("reseau"))).json(content_type=None)
    getter = PickyOrigin({RFC9421}, instance["publicKey"]["publicKeyPem"])  # GETs are the instance actor's
    poster = PickyServer({RFC9421}, group["publicKey"]["publicKeyPem"])  # deliveries are the Group's
    app = web.Application()
    app.router.add_get("/notes/1", getter.note)
    app.router.add_post("/inbox", poster.inbox)
    await getter.start(app)
    poster.server = getter.server
    try:
        inbox = f"http://{getter.host}/inbox"
        peer.actor_fields["alice"] = {"inbox": inbox, "endpoints": {"sharedInbox": inbox}}
        assert await client.app[DELIVERY].run_once() == 0  # the worker has read what it knows: nothing yet
        await client.app[FETCHER].get_json(getter.url())
        assert getter.attempts == [(DRAFT_CAVAGE, 401), (RFC9421, 200)]
        await follow_and_deliver(client, peer)
        assert poster.attempts == [(RFC9421, 202)]
    finally:
        assert getter.server is not None
        await getter.server.close()
