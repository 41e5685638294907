"""Shared fixtures: a freshly initialised node (data folder + config), its app under aiohttp's test
client with workers driven by hand (`run_once()`), and a remote peer on loopback."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from node.app import create_app
from node.bootstrap import init_node
from node.config import Config, load_config
from tests.support.peer import Peer

ADMIN_PASSWORD = "correct horse battery"


async def make_node(data: Path, *, base_url: str = "http://node.test", name: str = "reseau",
                    manual_approval: bool = False) -> Config:
    config = Config(data_dir=data, base_url=base_url, network=name, title="Réseau test", dev=True,
                    manual_approval=manual_approval)
    await init_node(config, admin="admin", password=ADMIN_PASSWORD)
    return load_config(data, environ={})


@pytest.fixture
async def node_config(tmp_path: Path) -> Config:
    return await make_node(tmp_path / "node")


@pytest.fixture
async def client(node_config: Config) -> AsyncIterator[TestClient]:
    """The node's app with its workers stopped: tests call app[DELIVERY].run_once() themselves."""
    app = create_app(node_config, workers=False)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    remote = Peer()
    remote.add_actor("alice")
    server = TestServer(remote.app(), host="127.0.0.1")
    await server.start_server()
    remote.server = server
    yield remote
    await server.close()
