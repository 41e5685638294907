"""Fixtures for node tests. `node_config` is overridden to copy a node initialised once per session
(key generation and password hashing made every test pay half a second); the copy is a fresh node
in its own folder all the same. Also: a second remote server, the peer's second actor, and a node
that approves follows by hand."""

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from node.app import create_app
from node.config import Config, load_config
from tests.conftest import make_node
from tests.support.peer import Peer, start_peer


@pytest.fixture(scope="session")
def node_template(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """Data folders of two initialised nodes, by `manual_approval`; tests work on copies."""
    base = tmp_path_factory.mktemp("node-templates")

    async def build() -> dict[bool, Path]:
        return {manual: (await make_node(base / f"manual-{manual}", manual_approval=manual)).data_dir
                for manual in (False, True)}

    return asyncio.run(build())


def copy_node(template: Path, data: Path) -> Config:
    shutil.copytree(template, data)
    return load_config(data, environ={})


@pytest.fixture
def node_config(node_template: dict[bool, Path], tmp_path: Path) -> Config:
    return copy_node(node_template[False], tmp_path / "node")


@pytest.fixture
async def bob(peer: Peer) -> str:
    """A second actor on the same remote server as alice (same shared inbox)."""
    return peer.add_actor("bob")


@pytest.fixture
async def other_peer() -> AsyncIterator[Peer]:
    """Another remote server, on another port: another host as far as trust is concerned."""
    remote = await start_peer("carol")
    yield remote
    assert remote.server is not None
    await remote.server.close()


@pytest.fixture
async def manual_client(node_template: dict[bool, Path], tmp_path: Path) -> AsyncIterator[TestClient]:
    """A node whose network Group approves follows by hand (`manual_approval = true`)."""
    config = copy_node(node_template[True], tmp_path / "manual")
    async with TestClient(TestServer(create_app(config, workers=False))) as test_client:
        yield test_client


@pytest.fixture
async def admin_client(client: TestClient) -> TestClient:
    """The node's test client, logged in as its admin (tests/support/desk.py)."""
    from tests.support.desk import login
    await login(client)
    return client


@pytest.fixture
async def organizer_client(client: TestClient) -> TestClient:
    """The node's test client, logged in as an organizer (`olga`), not an admin."""
    from tests.support.desk import ORGANIZER, ORGANIZER_PASSWORD, add_organizer, login
    await add_organizer(client)
    await login(client, ORGANIZER, ORGANIZER_PASSWORD)
    return client
