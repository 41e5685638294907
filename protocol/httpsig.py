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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from protocol.errors import SignatureError
from protocol.keys import load_private_key, load_public_key

REQUEST_TARGET = "(request-target)"
SUPPORTED_ALGORITHMS = ("rsa-sha256", "hs2019")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_OWS = " \t"
_UNQUOTED_STOP = frozenset(' \t,"')
_KEY_RE = re.compile(r"[0-9A-Za-z!#$%&'*+.^_`|~-]+")
_INT_RE = re.compile(r"0|[1-9][0-9]{0,14}")
# The rest of a quoted string, from just past its opening quote: runs of plain characters and
# backslash-escaped ones (any character, newlines too), then the closing quote. Linear: no backtracking.
_QUOTED_REST_RE = re.compile(r'([^"\\]*(?:\\.[^"\\]*)*)"', re.DOTALL)
_ESCAPED_RE = re.compile(r"\\(.)", re.DOTALL)
# "Signature " prefix: the Authorization-header form, and what old versions of
# node-http-signature put in the Signature header (Mastodon's SignatureParser strips it).
_SCHEME_PREFIX_RE = re.compile(r"signature[ \t]+(?![ \t=])", re.IGNORECASE)


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
        decoded = _b64decode_or_none(value.strip())
        if decoded is not None and hmac.compare_digest(decoded, expected):
            return
    if not found:
        raise SignatureError("no SHA-256 digest")
    raise SignatureError("digest mismatch")


def format_http_date(now: datetime) -> str:
    """Format an aware datetime as an RFC 9110 §5.6.7 IMF-fixdate, always in GMT."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return email.utils.format_datetime(now.astimezone(UTC), usegmt=True)


def sign_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: datetime,
) -> dict[str, str]:
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
    host = parts.hostname
    if not host:
        raise ValueError(f"url has no host: {url!r}")
    host_header = f"[{host}]" if ":" in host else host
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host_header = f"{host_header}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    replaced = {"host", "date", "digest", "signature"}
    out = {name: value for name, value in headers.items() if name.lower() not in replaced}
    out["Host"] = host_header
    out["Date"] = format_http_date(now)
    if body is not None:
        out["Digest"] = digest_header(body)
    lower = _lower_headers(out)

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


@dataclass(frozen=True)
class SignatureParams:
    """The parsed parameters of a draft-cavage `Signature` header (§2.1)."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    created: int | None
    expires: int | None


def parse_signature_header(value: str) -> SignatureParams:
    """Parse a draft-cavage-http-signatures-12 §4.1 `Signature` header value.

    Grammar: comma-separated `key=value` pairs, values a token or a quoted string
    (which may contain commas and `=`; backslash escapes are honoured), optional
    whitespace around `=` and `,`, empty list elements ignored, keys case-insensitive.
    A leading `Signature ` scheme is stripped, so the value of an `Authorization:
    Signature ...` header (§3.1) works too, as do the headers of old node-http-signature
    versions that Mastodon's SignatureParser also tolerates. Defaults: `algorithm`
    "hs2019" (as Mastodon), `headers` ("date",) (draft §2.1.6 before draft-12; Mastodon
    uses `(created)` when the algorithm is hs2019). Duplicate parameters are refused.
    Only ever raises SignatureError.
    """
    raw = _parse_params(value)
    key_id = raw.get("keyid", "").strip()
    if not key_id:
        raise SignatureError("missing keyId")
    signature_b64 = raw.get("signature", "").strip()
    if not signature_b64:
        raise SignatureError("missing signature")
    signature = _b64decode_or_none(signature_b64)
    if not signature:
        raise SignatureError("invalid base64 in signature")
    headers_value = raw.get("headers")
    headers = ("date",) if headers_value is None else tuple(h.lower() for h in headers_value.split())
    return SignatureParams(
        key_id=key_id,
        algorithm=raw.get("algorithm", "hs2019").strip().lower(),
        headers=headers,
        signature=signature,
        created=_parse_timestamp(raw, "created"),
        expires=_parse_timestamp(raw, "expires"),
    )


def verify_request(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes | None,
    params: SignatureParams,
    public_key_pem: str,
    now: datetime,
    max_future_skew: int = 3600,
    max_age: int = 43200,
    origin: str | None = None,
) -> None:
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
    now_ts = _timestamp(now)
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

    lower = _lower_headers(headers)
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
        if _verify(key, params.signature, data):
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


def check_host_header(headers: Mapping[str, str], origin: str) -> None:
    """The Host header names the server at `origin` (see `host_of`), else SignatureError."""
    sent = _lower_headers(headers).get("host", "")
    if _without_default_port(sent.lower(), urlsplit(origin).scheme.lower()) != host_of(origin):
        raise SignatureError(f"signed for host {sent[:100]}, not {host_of(origin)}")


def host_of(origin: str) -> str:
    """The Host header value naming the server at `origin`: `host[:port]`, lowercased, without the
    scheme's default port."""
    parts = urlsplit(origin)
    return _without_default_port(parts.netloc.lower(), parts.scheme.lower())


def _without_default_port(host: str, scheme: str) -> str:
    default = _DEFAULT_PORTS.get(scheme)
    return host.removesuffix(f":{default}") if default is not None else host


def key_owner_iri(key_id: str) -> str:
    """The actor IRI a keyId most likely belongs to: the keyId without its fragment.

    Mastodon's keyIds are `<actor>#main-key`. GoToSocial uses a path instead
    (`<actor>/main-key`), which this returns unchanged: callers must still fetch the
    key document and follow its `owner`.
    """
    return key_id.split("#", 1)[0]


def _parse_simple_params(value: str) -> dict[str, str] | None:
    """The common form, `key="value"` pairs joined by commas, without spaces, escapes or duplicates,
    read with string searches; None for anything else (then `_parse_params` reads it character by
    character, to the same result when this one has one)."""
    out: dict[str, str] = {}
    i, n = 0, len(value)
    while True:
        equals = value.find('="', i)
        if equals <= i or not _KEY_RE.fullmatch(value, i, equals):
            return None
        close = value.find('"', equals + 2)
        if close < 0:
            return None
        parsed = value[equals + 2 : close]
        key = value[i:equals].lower()
        if "\\" in parsed or key in out:
            return None
        out[key] = parsed
        i = close + 1
        if i == n:
            return out
        if value[i] != ",":
            return None
        i += 1


def _parse_params(value: str) -> dict[str, str]:
    simple = _parse_simple_params(value)
    if simple is not None:
        return simple
    text = value.strip(_OWS)
    prefix = _SCHEME_PREFIX_RE.match(text)
    if prefix:
        text = text[prefix.end() :]
    out: dict[str, str] = {}
    i, n = 0, len(text)
    while True:
        while i < n and (text[i] in _OWS or text[i] == ","):
            i += 1
        if i >= n:
            break
        key_match = _KEY_RE.match(text, i)
        if key_match is None:
            raise SignatureError("malformed Signature header")
        key = key_match.group().lower()
        i = _skip_ows(text, key_match.end())
        if i >= n or text[i] != "=":
            raise SignatureError("malformed Signature header")
        i = _skip_ows(text, i + 1)
        if i < n and text[i] == '"':
            parsed, i = _quoted_string(text, i + 1)
        else:
            start = i
            while i < n and text[i] not in _UNQUOTED_STOP:
                i += 1
            if i == start:
                raise SignatureError("malformed Signature header")
            parsed = text[start:i]
        if key in out:
            raise SignatureError(f"duplicate parameter {key}")
        out[key] = parsed
        i = _skip_ows(text, i)
        if i < n and text[i] != ",":
            raise SignatureError("malformed Signature header")
    if not out:
        raise SignatureError("empty Signature header")
    return out


def _quoted_string(text: str, i: int) -> tuple[str, int]:
    """The quoted string whose opening quote is just before `i` (a backslash takes the next character
    literally), and the index past its closing quote."""
    match = _QUOTED_REST_RE.match(text, i)
    if match is None:
        raise SignatureError("unterminated quoted string in Signature header")
    value = match.group(1)
    if "\\" in value:
        value = _ESCAPED_RE.sub(r"\1", value)
    return value, match.end()


def _skip_ows(text: str, i: int) -> int:
    while i < len(text) and text[i] in _OWS:
        i += 1
    return i


def _parse_timestamp(raw: Mapping[str, str], name: str) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    value = value.strip()
    if not _INT_RE.fullmatch(value):
        raise SignatureError(f"invalid {name}")
    return int(value)


def _b64decode_or_none(value: str) -> bytes | None:
    # Tolerate missing padding; refuse anything outside the base64 alphabet.
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except ValueError:  # binascii.Error, and non-ASCII text
        return None


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        key, stripped = name.lower(), value.strip()
        out[key] = f"{out[key]}, {stripped}" if key in out else stripped
    return out


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


def _verify(key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _encode(text: str) -> bytes:
    # aiohttp decodes header bytes with surrogateescape; give those bytes back.
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _timestamp(now: datetime) -> int:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp())


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
