"""Fixtures for the security suite: the node tests' fast node copies and second peer, and the federation
tests' cluster of real node processes, reused as they are."""

from tests.federation.conftest import cluster
from tests.node.conftest import bob, manual_client, node_config, node_template, other_peer

__all__ = ["bob", "cluster", "manual_client", "node_config", "node_template", "other_peer"]
