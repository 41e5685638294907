"""Maillage's ActivityPub protocol layer: pure functions and dataclasses, no I/O.

Time, keys and document loaders are passed in by the caller (the `node` package),
so everything here is testable with fixed inputs and known answers.
"""
