"""Bundled JSON-LD context documents, loaded offline by `protocol.jsonld`."""
