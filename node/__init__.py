"""Maillage node: the aiohttp application, storage, workers and CLI (everything that does I/O)."""

__version__ = "0.1.0"
