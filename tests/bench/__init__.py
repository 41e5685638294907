"""Benchmarks (not tests): `python -m tests.bench`, or `make bench`. See harness.py."""
