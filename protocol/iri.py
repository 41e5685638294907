"""Checks on IRIs received from remote servers (ActivityPub section 3.1: ids are https URIs)."""

import re
from urllib.parse import urlsplit

from .errors import ParseError

# The common shape, read without urlsplit (several microseconds, on every id of every activity): a
# lowercase http(s) scheme, a host of ASCII letters, digits, dots and hyphens, a port of at most four
# digits, then a path, query or fragment free of controls and spaces. urlsplit splits such an IRI
# exactly there and raises nothing; anything else takes the full path below.
_PLAIN_AUTHORITY = r"https?://([A-Za-z0-9.-]+)(?::([0-9]{1,4}))?"
_PLAIN_HTTP_IRI = re.compile(_PLAIN_AUTHORITY + r"(?:[/?#][^\x00-\x20\x7f]*)?")
_PLAIN_HTTP_PREFIX = re.compile(_PLAIN_AUTHORITY + r"(?=[/?#]|\Z)")


def require_http_iri(value: object, field: str) -> str:
    """Return `value` if it is an absolute http(s) IRI with a host, else raise ParseError naming `field`."""
    if not isinstance(value, str) or not value:
        raise ParseError(f"{field} must be an IRI string")
    if len(value) > 2048:
        raise ParseError(f"{field} is longer than 2048 characters")
    if _PLAIN_HTTP_IRI.fullmatch(value):
        return value
    return _require_by_urlsplit(value, field)


def _require_by_urlsplit(value: str, field: str) -> str:
    """require_http_iri's answer without its fast path: what urlsplit makes of `value`."""
    try:
        parts = urlsplit(value)
        _ = parts.port  # ValueError for a port that is not a number in 0-65535
    except ValueError as exc:
        raise ParseError(f"{field} is not a valid IRI: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParseError(f"{field} must be an http(s) IRI: {value[:200]!r}")
    return value


def iri_host(iri: str) -> str:
    """The authority (host[:port], lowercased) of an IRI: the unit of trust between servers.

    Total on any string: one that does not parse (bad IPv6 literal, port out of range) has no host, "".
    """
    plain = _PLAIN_HTTP_PREFIX.match(iri)
    if plain:
        name, port_digits = plain.group(1).lower(), plain.group(2)
        number = int(port_digits) if port_digits else 0
        return f"{name}:{number}" if number else name
    return _host_by_urlsplit(iri)


def _host_by_urlsplit(iri: str) -> str:
    """`iri_host` for any shape (tests check that its fast path agrees with this)."""
    try:
        parts = urlsplit(iri)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def same_origin(a: str, b: str) -> bool:
    """True when two IRIs share scheme-less authority; Mastodon compares hosts the same way.
    IRIs without a host (`urn:`, unparsable) are never of the same origin as anything."""
    host = iri_host(a)
    return bool(host) and host == iri_host(b)
