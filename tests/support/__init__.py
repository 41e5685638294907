"""Test helpers shared by tests/node, tests/federation and later suites."""
