"""Interop tests: independent ActivityPub implementations against a real node on loopback."""
