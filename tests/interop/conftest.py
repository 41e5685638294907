"""Fixtures of the interop tests: the independent signature implementations of oracles/ (see
oracle_support.py), installed on first use; a test needing one that cannot be installed here is skipped
with the exact reason."""

import pytest

from tests.interop import oracle_support as oracles


@pytest.fixture(scope="module")
def node_oracles() -> list[str]:
    try:
        return oracles.ensure_node_oracles()
    except oracles.OracleUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def bovine() -> list[str]:
    try:
        return oracles.ensure_bovine()
    except oracles.OracleUnavailable as exc:
        pytest.skip(str(exc))
