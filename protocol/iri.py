"""Checks on IRIs received from remote servers (ActivityPub section 3.1: ids are https URIs)."""

from urllib.parse import urlsplit

from .errors import ParseError


def require_http_iri(value: object, field: str) -> str:
    """Return `value` if it is an absolute http(s) IRI with a host, else raise ParseError naming `field`."""
    if not isinstance(value, str) or not value:
        raise ParseError(f"{field} must be an IRI string")
    if len(value) > 2048:
        raise ParseError(f"{field} is longer than 2048 characters")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise ParseError(f"{field} is not a valid IRI: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParseError(f"{field} must be an http(s) IRI: {value[:200]!r}")
    return value


def iri_host(iri: str) -> str:
    """The authority (host[:port], lowercased) of an IRI: the unit of trust between servers."""
    parts = urlsplit(iri)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def same_origin(a: str, b: str) -> bool:
    """True when two IRIs share scheme-less authority; Mastodon compares hosts the same way."""
    return iri_host(a) == iri_host(b)
