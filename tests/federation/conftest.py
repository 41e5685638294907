"""Fixtures for federation tests: a cluster of real node processes, always cleaned up."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.federation.harness import Cluster


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """Add nodes with `cluster.add("a", "b")`; every process is stopped when the test ends, pass or fail."""
    nodes = Cluster(tmp_path)
    try:
        yield nodes
    finally:
        nodes.close()
