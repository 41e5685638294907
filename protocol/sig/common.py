"""What both signature schemes share: the Host/authority of a URL and the check that a request names this
server, dates and timestamps, header lookup, base64 and the RSA/Ed25519 verification. Pure."""

from __future__ import annotations

import base64
import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from protocol.errors import SignatureError

DEFAULT_PORTS = {"http": 80, "https": 443}
# A signature is accepted from at most an hour ahead (clock skew) to 12 hours old, as Mastodon does.
MAX_FUTURE_SKEW, MAX_AGE = 3600, 43200


def format_http_date(now: datetime) -> str:
    """Format an aware datetime as an RFC 9110 §5.6.7 IMF-fixdate, always in GMT."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return email.utils.format_datetime(now.astimezone(UTC), usegmt=True)


def timestamp(now: datetime) -> int:
    """`now` in whole seconds since the epoch; a naive `now` is a caller bug (ValueError)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp())


def authority(url: str) -> str:
    """The Host header (and RFC 9421 `@authority`) of a request to `url`: the host, bracketed when IPv6,
    with the port when it is not the scheme's default."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise ValueError(f"url has no host: {url!r}")
    value = f"[{host}]" if ":" in host else host
    port = parts.port
    if port is not None and port != DEFAULT_PORTS.get(parts.scheme.lower()):
        value = f"{value}:{port}"
    return value


def request_headers(headers: Mapping[str, str], url: str, now: datetime, replaced: frozenset[str]) -> dict[str, str]:
    """`headers` less those a signer sets (`replaced`, lowercased names), plus the `Host` and `Date` of a
    request to `url` sent at `now`."""
    out = {name: value for name, value in headers.items() if name.lower() not in replaced}
    out["Host"] = authority(url)
    out["Date"] = format_http_date(now)
    return out


def check_host_header(headers: Mapping[str, str], origin: str) -> None:
    """The Host header names the server at `origin` (see `host_of`), else SignatureError."""
    sent = lower_headers(headers).get("host", "")
    if _without_default_port(sent.lower(), urlsplit(origin).scheme.lower()) != host_of(origin):
        raise SignatureError(f"signed for host {sent[:100]}, not {host_of(origin)}")


def host_of(origin: str) -> str:
    """The Host header value naming the server at `origin`: `host[:port]`, lowercased, without the
    scheme's default port."""
    parts = urlsplit(origin)
    return _without_default_port(parts.netloc.lower(), parts.scheme.lower())


def _without_default_port(host: str, scheme: str) -> str:
    default = DEFAULT_PORTS.get(scheme)
    return host.removesuffix(f":{default}") if default is not None else host


def key_owner_iri(key_id: str) -> str:
    """The actor IRI a keyId most likely belongs to: the keyId without its fragment.

    Mastodon's keyIds are `<actor>#main-key`. GoToSocial uses a path instead
    (`<actor>/main-key`), which this returns unchanged: callers must still fetch the
    key document and follow its `owner`.
    """
    return key_id.split("#", 1)[0]


def lower_headers(headers: Mapping[str, str], strip: str | None = None) -> dict[str, str]:
    """Headers by lowercased name, values stripped of `strip` (None: any whitespace); a repeated header's
    values joined with ", " (draft-cavage §2.3, RFC 9421 §2.1)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key, stripped = name.lower(), value.strip(strip)
        out[key] = f"{out[key]}, {stripped}" if key in out else stripped
    return out


def b64decode_or_none(value: str) -> bytes | None:
    """Base64 tolerating missing padding; None for anything outside the base64 alphabet."""
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except ValueError:  # binascii.Error, and non-ASCII text
        return None


def verify_with(key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """Whether `signature` over `data` verifies with `key` (RSA PKCS#1 v1.5 SHA-256, or Ed25519)."""
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
