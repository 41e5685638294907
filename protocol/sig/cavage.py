"""HTTP Signatures (draft-cavage-http-signatures-12) as the fediverse uses them.

Signing follows Mastodon's `Request`/`HttpSignatureDraft` (app/lib/request.rb,
app/lib/http_signature_draft.rb): `rsa-sha256`, `(request-target) host date` plus
`digest` on requests with a body. Verification follows Mastodon's
`SignedRequest::HttpSignature` (app/lib/signed_request.rb) and `SignatureParser`
(app/lib/signature_parser.rb), with a few stricter rules documented on
`verify_request`. Pure: the clock (`now`) and the keys are passed in.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from protocol.errors import SignatureError
from protocol.keys import load_private_key, load_public_key
from protocol.sig.cavage_header import SignatureParams, parse_signature_header
from protocol.sig.common import (
    MAX_AGE,
    MAX_FUTURE_SKEW,
    b64decode_or_none,
    check_host_header,
    lower_headers,
    request_headers,
    timestamp,
    verify_with,
)

__all__ = ["REQUEST_TARGET", "SUPPORTED_ALGORITHMS", "SignatureParams", "check_signed_host", "digest_header",
           "parse_signature_header", "sign_request", "verify_digest", "verify_request"]

REQUEST_TARGET = "(request-target)"
SUPPORTED_ALGORITHMS = ("rsa-sha256", "hs2019")


def digest_header(body: bytes) -> str:
    """The `Digest` header value for a body (RFC 3230 instance digest, RFC 5843 SHA-256)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def verify_digest(header_value: str, body: bytes) -> None:
    """Check a `Digest` header (RFC 3230) against the raw body bytes.

    Several comma-separated digests are allowed and algorithm names are matched
    case-insensitively (RFC 3230 §4.1.1; Mastodon lowercases them the same way), so both
    `SHA-256=` and `sha-256=` work. A SHA-256 entry must be present and match.
    Raises SignatureError("no SHA-256 digest") or SignatureError("digest mismatch").
    """
    expected = hashlib.sha256(body).digest()
    found = False
    for part in header_value.split(","):
        name, sep, value = part.partition("=")
        if not sep or name.strip().lower() != "sha-256":
            continue
        found = True
        decoded = b64decode_or_none(value.strip())
        if decoded is not None and hmac.compare_digest(decoded, expected):
            return
    if not found:
        raise SignatureError("no SHA-256 digest")
    raise SignatureError("digest mismatch")


def sign_request(*, method: str, url: str, headers: Mapping[str, str], body: bytes | None, key_id: str,
                 private_key_pem: str, now: datetime) -> dict[str, str]:
    """Sign an outgoing request (draft-cavage-http-signatures-12, `rsa-sha256`).

    Returns the headers to send: `headers` plus `Host` (with the port when it is not the
    scheme's default), `Date`, `Digest` (when `body` is not None) and `Signature`; any
    caller-supplied header of those four names is replaced. Signed headers are
    `(request-target) host date` then `digest content-type` for a request with a body,
    or `accept` for one without; `content-type`/`accept` only when present.
    `(request-target)` includes the query string, as Mastodon >= 4.3 signs it
    (mastodon#31994); Mastodon before 4.3, and Misskey, sign the path alone.
    """
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    out = request_headers(headers, url, now, frozenset({"host", "date", "digest", "signature"}))
    if body is not None:
        out["Digest"] = digest_header(body)
    lower = lower_headers(out)

    names = [REQUEST_TARGET, "host", "date"]
    if body is not None:
        names.append("digest")
        if "content-type" in lower:
            names.append("content-type")
    elif "accept" in lower:
        names.append("accept")
    lines = [f"{REQUEST_TARGET}: {method.lower()} {target}"]
    lines.extend(f"{name}: {lower[name]}" for name in names[1:])
    signature = load_private_key(private_key_pem).sign(
        _encode("\n".join(lines)), padding.PKCS1v15(), hashes.SHA256()
    )
    out["Signature"] = (
        f'keyId="{_quote(key_id)}",algorithm="rsa-sha256",'
        f'headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return out


def verify_request(*, method: str, path: str, headers: Mapping[str, str], body: bytes | None, params: SignatureParams,
                   public_key_pem: str, now: datetime, max_future_skew: int = MAX_FUTURE_SKEW, max_age: int = MAX_AGE,
                   origin: str | None = None) -> None:
    """Verify a parsed draft-cavage signature on an incoming request; raise if invalid.

    `path` is the raw request path with its query string; `headers` may be any case (a
    multidict's repeated headers are joined with ", " per draft §2.3). Rules, after
    Mastodon's SignedRequest: algorithm `rsa-sha256` (RSA key) or `hs2019` (RSA
    PKCS#1 v1.5 SHA-256 or Ed25519, by key type); `date` or `(created)` signed;
    `(request-target)` signed (stricter than Mastodon, which accepts `digest` instead);
    `digest` signed and matching when there is a body; every signed header present;
    the signed Date/`created` at most `max_future_skew` s ahead and `max_age` s old;
    `expires` not past. Mastodon tries `(request-target)` with the query string, then
    without it (Mastodon before 4.3 and Misskey sign the path alone); so do we.
    Whatever the request holds, only SignatureError is raised (a naive `now` is a
    ValueError: a caller bug, not bad input). With `origin` (this server's base URL), the request
    must have been signed for it: see `check_signed_host`.
    """
    now_ts = timestamp(now)
    if origin is not None:
        check_signed_host(params, headers, origin)
    algorithm = params.algorithm.lower()
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise SignatureError("unsupported algorithm")
    signed = params.headers
    if "date" not in signed and "(created)" not in signed:
        raise SignatureError("Date header not signed")
    if REQUEST_TARGET not in signed:
        raise SignatureError("(request-target) not signed")
    if body and "digest" not in signed:
        raise SignatureError("Digest header not signed")

    lower = lower_headers(headers)
    for name in signed:
        if name in ("(created)", "(expires)"):
            # Like Mastodon: these draft-12 pseudo-headers need hs2019 and their parameter.
            if algorithm != "hs2019":
                raise SignatureError(f"{name} is only valid with hs2019")
            if (params.created if name == "(created)" else params.expires) is None:
                raise SignatureError(f"{name} signed but its parameter is missing")
        elif name != REQUEST_TARGET and name not in lower:
            raise SignatureError(f"signed header {name} missing")

    if "date" in signed:
        _check_window(_parse_http_date(lower["date"]), now_ts, max_future_skew, max_age)
    if "(created)" in signed and params.created is not None:
        _check_window(params.created, now_ts, max_future_skew, max_age)
    if params.expires is not None and params.expires < now_ts:
        raise SignatureError("signature expired")
    if "digest" in signed:
        verify_digest(lower["digest"], body or b"")

    key = load_public_key(public_key_pem)
    if algorithm == "rsa-sha256" and not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("key type does not match algorithm")
    targets = [path]
    if "?" in path:
        targets.append(path.split("?", 1)[0])
    for target in targets:
        data = _encode(_signing_string(signed, method, target, lower, params))
        if verify_with(key, params.signature, data):
            return
    raise SignatureError("signature does not verify")


def check_signed_host(params: SignatureParams, headers: Mapping[str, str], origin: str) -> None:
    """The request was signed for the server at `origin` (its base URL): `host` is signed and the Host
    header names that server (case aside, its scheme's default port or none). A request signed for
    another server and replayed here is refused; so is one whose signature leaves the host out
    (every fediverse server signs it). Headers alone: callable before the body is read."""
    if "host" not in params.headers:
        raise SignatureError("Host header not signed")
    check_host_header(headers, origin)


def _signing_string(
    signed: tuple[str, ...], method: str, target: str, lower: Mapping[str, str], params: SignatureParams
) -> str:
    lines = []
    for name in signed:
        if name == REQUEST_TARGET:
            lines.append(f"{REQUEST_TARGET}: {method.lower()} {target}")
        elif name == "(created)":
            lines.append(f"(created): {params.created}")
        elif name == "(expires)":
            lines.append(f"(expires): {params.expires}")
        else:
            lines.append(f"{name}: {lower[name]}")
    return "\n".join(lines)


def _encode(text: str) -> bytes:
    # aiohttp decodes header bytes with surrogateescape; give those bytes back.
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _parse_http_date(value: str) -> int:
    # Requests signed in the same second share their Date: parsed once (a date is at most ~40 characters).
    return _parse_short_http_date(value) if len(value) <= 64 else _parse_any_http_date(value)


def _parse_any_http_date(value: str) -> int:
    # RFC 9110 §5.6.7 IMF-fixdate, plus the obsolete RFC 850 and asctime forms that
    # Ruby's Time.httpdate (Mastodon) also accepts; a zone-less result is taken as GMT.
    try:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise SignatureError("unparsable Date") from exc


_parse_short_http_date = functools.lru_cache(maxsize=256)(_parse_any_http_date)


def _check_window(sent: int, now_ts: int, max_future_skew: int, max_age: int) -> None:
    if sent - now_ts > max_future_skew:
        raise SignatureError("Date is in the future")
    if now_ts - sent > max_age:
        raise SignatureError("Date is too old")
