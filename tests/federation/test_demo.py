"""`maillage demo`: three nodes come up, follow each other and each holds the others' content."""

import asyncio
import sqlite3
from pathlib import Path

import pytest

from node.demo import run_demo
from node.demo_content import ITEMS, NODES
from tests.federation.harness import free_port

pytestmark = pytest.mark.federation


def remote_iris(data: Path) -> set[str]:
    if not (data / "maillage.db").exists():
        return set()
    with sqlite3.connect(f"file:{data / 'maillage.db'}?mode=ro", uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT iri FROM remote_objects WHERE deleted_at IS NULL")}


async def test_demo_nodes_share_each_others_content(tmp_path: Path) -> None:
    stop = asyncio.Event()
    port = free_port()
    task = asyncio.create_task(run_demo(tmp_path, port, stop))
    names = [name for name, _, _ in NODES]
    expected = {
        name: {f"http://127.0.0.1:{port + names.index(node)}/{meta['type']}s/{meta['slug']}"
               for node, meta, _ in ITEMS if node != name}
        for name in names
    }
    try:
        for _ in range(300):
            if task.done():
                break
            if all(expected[name] <= remote_iris(tmp_path / name) for name in names):
                break
            await asyncio.sleep(0.1)
        for name in names:
            assert expected[name] <= remote_iris(tmp_path / name), name
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
