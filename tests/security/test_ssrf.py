"""Server-side request forgery: outside dev mode, remote fetches and deliveries never reach loopback,
private, link-local, multicast or reserved addresses, IPv4 or IPv6 (IPv4-mapped, 6to4 and NAT64 forms
included), whether the URL names the address, a name resolves to it, or a redirect leads there.

Loopback test servers cannot be reached through a guard that refuses loopback, so the redirect tests
resolve names with a fake resolver and let exactly one address through the guard's `is_allowed`: the
first server, on 127.0.0.1. The second server listens on 127.0.0.2; the guard must keep it out on the
redirect hop, and the control test shows that without the guard the same redirect reaches it."""

import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from aiohttp.test_utils import TestClient, TestServer

from node.appkeys import DB, URLS
from node.config import load_config
from node.db import Database
from node.delivery import DeliveryWorker
from node.fetch import Fetcher, FetchError, Signer
from node.netguard import BlockedAddressError, GuardedResolver, check_url, is_public_address
from tests.node.conftest import copy_node
from tests.support.node import activity, error_of, post_signed, publish_practice
from tests.support.peer import AS2, Peer, fixed_key

PRIVATE = [
    "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "0.1.2.3", "255.255.255.255", "224.0.0.1", "239.255.255.250", "192.0.0.1", "192.0.2.1",
    "198.18.0.1", "198.51.100.1", "203.0.113.1", "240.0.0.1",
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1", "ff0e::1", "2001:db8::1",
    "100::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0:7f00:1", "::127.0.0.1",
    "2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::", "64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a00:1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "not an address", "",
]
PUBLIC = ["8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4007::200e", "::ffff:8.8.8.8",
          "2002:808:808::1", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_and_reserved_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "https://10.1.2.3:8443/users/a", "http://[::1]:8080/", "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1%25eth0]/", "http://[64:ff9b::a00:1]/", "http://[2002:7f00:1::]/", "http://169.254.169.254/latest",
    "http://localhost/", "http://LocalHost:8080/", "http://api.localhost/", "http:///nohost",
])
def test_urls_naming_a_private_address_are_refused_before_any_connection(url: str) -> None:
    with pytest.raises(BlockedAddressError):
        check_url(url, allow_private=False)
    check_url(url, allow_private=True)  # dev mode: loopback nodes talk to each other


class FakeResolver(AbstractResolver):
    """Resolves names from a table, as a hostile DNS server would answer."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if host not in self.table:
            raise OSError(f"no such name: {host}")
        return [ResolveResult(hostname=host, host=a, port=port, family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST) for a in self.table[host]]

    async def close(self) -> None:
        pass


@pytest.mark.parametrize("answers", [["127.0.0.1"], ["10.0.0.7", "192.168.0.1"], ["::1"], ["::ffff:127.0.0.1"],
                                     ["fd00::1", "fe80::1"], ["169.254.169.254"], ["64:ff9b::7f00:1"], ["0.0.0.0"]])
async def test_a_name_resolving_only_to_private_addresses_is_refused(answers: list[str]) -> None:
    guard = GuardedResolver(FakeResolver({"evil.example": answers}))
    with pytest.raises(BlockedAddressError, match="evil.example resolves only to private or reserved addresses"):
        await guard.resolve("evil.example", 443)


async def test_private_answers_are_dropped_from_mixed_answers() -> None:
    """DNS rebinding in one answer: the connection may only use the public address."""
    guard = GuardedResolver(FakeResolver({"mixed.example": ["127.0.0.1", "93.184.216.34", "::1", "10.0.0.1"]}))
    assert [r["host"] for r in await guard.resolve("mixed.example", 443)] == ["93.184.216.34"]


class Server:
    """A loopback HTTP server that records the paths it is asked for; `routes` maps a path to a handler."""

    def __init__(self, host: str, routes: dict[str, Callable[[web.Request], Any]]) -> None:
        self.seen: list[str] = []

        async def handle(request: web.Request) -> web.StreamResponse:
            self.seen.append(request.path)
            if request.path in routes:
                return await routes[request.path](request)
            return web.json_response({"id": f"http://{request.host}{request.path}", "type": "Note"},
                                     content_type=AS2)

        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        self.server = TestServer(app, host=host)

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port


@pytest.fixture
async def evil() -> AsyncIterator[Server]:
    """The internal service an attacker wants the node to reach, on 127.0.0.2."""
    server = Server("127.0.0.2", {})
    await server.server.start_server()
    yield server
    await server.server.close()


def redirect_to(location: Callable[[], str]) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location())
    return handler


@pytest.fixture
async def allowed(evil: Server) -> AsyncIterator[Server]:
    """An ordinary remote server, on 127.0.0.1, whose documents redirect to the internal service."""
    routes = {
        "/to-name": redirect_to(lambda: f"http://internal.test:{evil.port}/secret"),
        "/to-literal": redirect_to(lambda: f"http://127.0.0.2:{evil.port}/secret"),
        "/to-mapped": redirect_to(lambda: f"http://[::ffff:127.0.0.2]:{evil.port}/secret"),
        "/to-numeric": redirect_to(lambda: f"http://2130706434:{evil.port}/secret"),
        "/to-localhost": redirect_to(lambda: f"http://localhost:{evil.port}/secret"),
        "/to-rebinding": redirect_to(lambda: f"http://rebinding.test:{evil.port}/secret"),
        "/twice": redirect_to(lambda: f"http://allowed.test:{allowed_port()}/to-name"),
    }
    server = Server("127.0.0.1", routes)

    def allowed_port() -> int:
        return server.port

    await server.server.start_server()
    yield server
    await server.server.close()


NAMES = {"allowed.test": ["127.0.0.1"], "internal.test": ["127.0.0.2"], "rebinding.test": ["127.0.0.2", "::1"]}


async def fetcher(db: Database, *, is_allowed: Callable[[str], bool]) -> Fetcher:
    """A non-dev Fetcher whose connections go through the guard, over the fake DNS."""
    inner = FakeResolver(NAMES)

    class Numeric(DefaultResolver):
        """The system resolver for numeric forms (`2130706434`), the fake table for test names."""

        async def resolve(self, host: str, port: int = 0,
                          family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
            if host in NAMES:
                return await inner.resolve(host, port, family)
            return await super().resolve(host, port, family)

    connector = aiohttp.TCPConnector(resolver=GuardedResolver(Numeric(), is_allowed=is_allowed))
    return Fetcher(session=aiohttp.ClientSession(connector=connector), db=db,
                   signer=Signer("http://node.test/actor#main-key", fixed_key()), allow_private=False, timeout=5,
                   max_bytes=100_000, user_agent="test")


def only_allowed(address: str) -> bool:
    return address == "127.0.0.1" or is_public_address(address)


@pytest.mark.parametrize("path", ["/to-name", "/to-literal", "/to-mapped", "/to-numeric", "/to-localhost",
                                  "/to-rebinding", "/twice"])
async def test_redirect_to_a_private_address_is_refused(client: TestClient, allowed: Server, evil: Server,
                                                        path: str) -> None:
    fetch = await fetcher(client.app[DB], is_allowed=only_allowed)
    try:
        with pytest.raises(FetchError) as refused:
            await fetch.get_json(f"http://allowed.test:{allowed.port}{path}")
    finally:
        await fetch.session.close()
    assert path in allowed.seen  # the first hop was made: the guard let the allowed server through
    assert evil.seen == [], refused.value.reason
    if path != "/to-numeric":  # yarl refuses `http://2130706434/` itself, before any resolver
        assert refused.value.reason.startswith("refused to fetch http://"), refused.value.reason


@pytest.mark.parametrize("path", ["/to-name", "/to-rebinding", "/twice"])
async def test_without_the_guard_the_same_redirect_reaches_the_internal_service(
        client: TestClient, allowed: Server, evil: Server, path: str) -> None:
    """The control: the setup above would reach 127.0.0.2 if the guard did not stop it."""
    fetch = await fetcher(client.app[DB], is_allowed=lambda address: address.startswith("127."))
    try:
        final, doc = await fetch.get_json(f"http://allowed.test:{allowed.port}{path}")
    finally:
        await fetch.session.close()
    assert evil.seen == ["/secret"]
    assert final == f"http://{'rebinding' if path == '/to-rebinding' else 'internal'}.test:{evil.port}/secret"


@pytest.mark.parametrize("host", ["127.0.0.2", "2130706434", "0x7f000002", "127.2", "localhost", "[::ffff:7f00:2]"])
async def test_first_hop_to_a_private_address_is_refused(client: TestClient, evil: Server, host: str) -> None:
    fetch = await fetcher(client.app[DB], is_allowed=is_public_address)
    try:
        with pytest.raises(FetchError):
            await fetch.get_json(f"http://{host}:{evil.port}/secret")
    finally:
        await fetch.session.close()
    assert evil.seen == []


async def test_delivery_to_an_inbox_whose_name_resolves_to_a_private_address_is_refused(
        client: TestClient, peer: Peer) -> None:
    """A remote actor may name any inbox: outside dev mode, one on a private network is never posted to."""
    app = client.app
    await publish_practice(app)
    async with app[DB].transaction() as tx:
        await tx.execute("UPDATE deliveries SET state = 'delivered'")
        activity_id = await tx.fetch_value("SELECT max(id) FROM activities")
        await tx.execute("INSERT INTO deliveries (activity_id, inbox, host, next_attempt_at, created_at, updated_at)"
                         " VALUES (?, ?, ?, 0, '', '')",
                         (activity_id, f"http://internal.test:{peer.server.port}/inbox", "internal.test"))
    resolver = GuardedResolver(FakeResolver({"internal.test": ["127.0.0.1"]}))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver)) as session:
        worker = DeliveryWorker(db=app[DB], session=session, urls=app[URLS], allow_private=False)
        assert await worker.run_once() == 1
    row = await app[DB].fetch_one("SELECT state, last_status, last_error FROM deliveries WHERE host = 'internal.test'")
    assert dict(row) == {"state": "failed", "last_status": 403,
                         "last_error": "refused: internal.test resolves only to private or reserved addresses"}
    assert peer.inbox == []


@pytest.fixture
async def production_client(node_template: dict[bool, Any], tmp_path: Any) -> AsyncIterator[TestClient]:
    """The node as deployed: not in dev mode, so its own session has the guarded resolver."""
    from node.app import create_app

    copy_node(node_template[False], tmp_path / "prod")
    config = load_config(tmp_path / "prod", environ={"MAILLAGE_DEV": "false",
                                                     "MAILLAGE_BASE_URL": "https://node.test"})
    assert not config.allow_private_network
    async with TestClient(TestServer(create_app(config, workers=False))) as test_client:
        yield test_client


async def test_a_signature_by_a_key_on_a_private_address_is_refused_without_fetching_it(
        production_client: TestClient, peer: Peer) -> None:
    doc = activity(peer, "alice", "Follow", "https://node.test/users/reseau")
    resp = await post_signed(production_client, peer, "alice", "/inbox", doc)
    status, reason = await error_of(resp)
    assert status == 401
    assert reason == (f"could not fetch signing key {peer.actor_iri('alice')}#main-key: refused to fetch "
                      f"{peer.actor_iri('alice')}: 127.0.0.1 is not a public address")
    assert peer.inbox == []
