"""RFC 9421 HTTP Message Signatures, with RFC 9530 `Content-Digest`, as the fediverse uses them.

Signing takes the shape Fedify >= 1.6 sends (`signRequestRfc9421` in packages/fedify/src/sig/http.ts):
label `sig1`, components `@method @target-uri @authority host date` plus `content-digest` when
there is a body, parameters `alg="rsa-v1_5-sha256";keyid="...";created=...`. Verification follows
Mastodon >= 4.5 (`SignedRequest::HttpMessageSignature`, app/lib/signed_request.rb): `keyid` and
`created` required, `@method` and the target signed, `content-digest` signed for a body; algorithms
`rsa-v1_5-sha256` and `ed25519` (inferred from the key when `alg` is absent). Structured fields are
parsed and serialized per RFC 8941. Pure: the clock (`now`) and the keys are passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from protocol.errors import SignatureError
from protocol.keys import load_private_key, load_public_key
from protocol.sig.common import (
    MAX_AGE,
    MAX_FUTURE_SKEW,
    authority,
    check_host_header,
    lower_headers,
    request_headers,
    timestamp,
    verify_with,
)
from protocol.sig.structured_fields import BareItem, Params, parse_dictionary, serialize_inner_list

SIGNED_COMPONENTS = ("@method", "@target-uri", "@authority", "host", "date")
ALGORITHMS = ("rsa-v1_5-sha256", "ed25519")
DIGEST_ALGORITHMS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
_TARGET_COMPONENTS = ("@target-uri", "@request-target", "@path")


@dataclass(frozen=True)
class MessageSignature:
    """One signature of a request: its label, covered components, parameters and bytes."""

    label: str
    components: tuple[str, ...]
    params: Params
    signature: bytes

    def param(self, name: str) -> BareItem | None:
        return next((value for key, value in self.params if key == name), None)

    @property
    def key_id(self) -> str:
        value = self.param("keyid")
        return value if isinstance(value, str) else ""

    @property
    def algorithm(self) -> str | None:
        value = self.param("alg")
        return value if isinstance(value, str) else None

    @property
    def created(self) -> int | None:
        return _int_param(self, "created")

    @property
    def expires(self) -> int | None:
        return _int_param(self, "expires")

    @property
    def signature_params(self) -> str:
        """The `@signature-params` value: the covered components and parameters, serialized."""
        return serialize_inner_list(self.components, self.params)


def _int_param(sig: MessageSignature, name: str) -> int | None:
    value = sig.param(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def content_digest_header(body: bytes, algorithm: str = "sha-256") -> str:
    """The RFC 9530 `Content-Digest` value for a body: `sha-256=:<base64>:` (or sha-512)."""
    digest = DIGEST_ALGORITHMS[algorithm](body).digest()
    return f"{algorithm}=:{base64.b64encode(digest).decode('ascii')}:"


def verify_content_digest(value: str, body: bytes) -> None:
    """Check an RFC 9530 `Content-Digest` dictionary against the body. Unknown algorithms are
    skipped; at least one of sha-256/sha-512 must be present, and every one present must match."""
    found = False
    for name, (item, _params) in parse_dictionary(value).items():
        hasher = DIGEST_ALGORITHMS.get(name)
        if hasher is None:
            continue
        if not isinstance(item, bytes):
            raise SignatureError(f"malformed Content-Digest: {name} is not a byte sequence")
        if not hmac.compare_digest(item, hasher(body).digest()):
            raise SignatureError("content digest mismatch")
        found = True
    if not found:
        raise SignatureError("no sha-256 or sha-512 in Content-Digest")


def parse_signature_headers(signature_input: str, signature: str) -> MessageSignature:
    """The first signature of `Signature-Input` that `Signature` carries (RFC 9421 §4).

    Every component must be a plain identifier (no `;sf`, `;key`, `;req`... parameters) and
    `keyid` a string. Only ever raises SignatureError.
    """
    inputs = parse_dictionary(signature_input)
    values = parse_dictionary(signature)
    for label, (members, params) in inputs.items():
        if label not in values:
            continue
        raw, _ = values[label]
        if not isinstance(raw, bytes) or not raw:
            raise SignatureError(f"signature {label} is not a byte sequence")
        if not isinstance(members, list):
            raise SignatureError(f"Signature-Input {label} is not an inner list")
        components: list[str] = []
        for item, item_params in members:
            if not isinstance(item, str):
                raise SignatureError("component identifiers must be strings")
            if item_params:
                raise SignatureError(f"unsupported component parameter on {item}")
            if item != item.lower() or item in components:
                raise SignatureError(f"invalid component {item}")
            components.append(item)
        sig = MessageSignature(label, tuple(components), params, raw)
        if not sig.key_id:
            raise SignatureError("missing keyid")
        for name in ("alg", "nonce", "tag"):
            if sig.param(name) is not None and not isinstance(sig.param(name), str):
                raise SignatureError(f"invalid {name}")
        for name in ("created", "expires"):
            if sig.param(name) is not None and _int_param(sig, name) is None:
                raise SignatureError(f"invalid {name}")
        return sig
    raise SignatureError("no signature in Signature matches Signature-Input")


def candidate_target_uris(host: str, path: str) -> tuple[str, ...]:
    """The absolute URIs a request for `path` on `host` may have been signed with: https first,
    then http (a node behind a TLS-terminating proxy sees plain http)."""
    return tuple(f"{scheme}://{host}{path or '/'}" for scheme in ("https", "http"))


def verify_request(
    *,
    method: str,
    target_uris: Sequence[str],
    headers: Mapping[str, str],
    body: bytes | None,
    signature: MessageSignature,
    public_key_pem: str,
    now: datetime,
    max_future_skew: int = MAX_FUTURE_SKEW,
    max_age: int = MAX_AGE,
    origin: str | None = None,
) -> None:
    """Verify an RFC 9421 signature on an incoming request; raise SignatureError if invalid.

    `target_uris` are the absolute URIs the request may have been signed with, tried in order
    (see `candidate_target_uris`). Rules: `created` present, at most `max_future_skew` s ahead
    and `max_age` s old, `expires` not past; `@method` signed, and the target (`@target-uri`,
    `@request-target` or `@path`); `content-digest` signed and matching when there is a body;
    every signed header present. With `origin` (this server's base URL), the request must have been
    signed for it (`check_signed_authority`), and `target_uris` should be on it.
    """
    if origin is not None:
        check_signed_authority(signature, headers, origin)
    now_ts = timestamp(now)
    created = signature.created
    if created is None:
        raise SignatureError("created parameter missing")
    if created - now_ts > max_future_skew:
        raise SignatureError("created is in the future")
    if now_ts - created > max_age:
        raise SignatureError("created is too old")
    if signature.expires is not None and signature.expires < now_ts:
        raise SignatureError("signature expired")
    covered = signature.components
    if "@method" not in covered:
        raise SignatureError("@method not signed")
    if not any(c in covered for c in _TARGET_COMPONENTS):
        raise SignatureError("@target-uri not signed")
    if body and "content-digest" not in covered:
        raise SignatureError("content-digest not signed")
    lower = lower_headers(headers, " \t")
    if "content-digest" in covered:
        if "content-digest" not in lower:
            raise SignatureError("signed header content-digest missing")
        verify_content_digest(lower["content-digest"], body or b"")

    key = load_public_key(public_key_pem)
    algorithm = signature.algorithm or ("ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else ALGORITHMS[0])
    if algorithm not in ALGORITHMS:
        raise SignatureError(f"unsupported algorithm {algorithm}")
    if isinstance(key, rsa.RSAPublicKey) != (algorithm == "rsa-v1_5-sha256"):
        raise SignatureError("key type does not match algorithm")
    for uri in dict.fromkeys(target_uris):
        base = signature_base(method, uri, lower, covered, signature.signature_params)
        if verify_with(key, signature.signature, base):
            return
    raise SignatureError("signature does not verify")


def check_signed_authority(signature: MessageSignature, headers: Mapping[str, str], origin: str) -> None:
    """The signature covers the server it was meant for, `@authority`, `@target-uri` or `host`, and a
    signed Host header names the server at `origin` (this one). `@authority` and `@target-uri` are
    derived from the target URIs the caller builds on its own base URL, so a signature over another
    server's does not verify. Headers alone: callable before the body is read."""
    covered = signature.components
    if not any(c in covered for c in ("@authority", "@target-uri", "host")):
        raise SignatureError("neither @authority, @target-uri nor host signed")
    if "host" in covered:
        check_host_header(headers, origin)


def sign_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: datetime,
    label: str = "sig1",
    components: Sequence[str] = SIGNED_COMPONENTS,
) -> dict[str, str]:
    """Sign an outgoing request with RFC 9421 (`rsa-v1_5-sha256`), in Fedify's shape by default.

    Returns `headers` plus `Host`, `Date`, `Content-Digest` (sha-256, when `body` is not None),
    `Signature-Input` and `Signature`; caller-supplied headers of those names are replaced.
    `content-digest` is added to `components` for a body.
    """
    out = request_headers(headers, url, now, frozenset({"host", "date", "content-digest", "signature",
                                                       "signature-input"}))
    covered = list(components)
    if body is not None:
        out["Content-Digest"] = content_digest_header(body)
        if "content-digest" not in covered:
            covered.append("content-digest")
    params: Params = (("alg", ALGORITHMS[0]), ("keyid", key_id), ("created", timestamp(now)))
    signature_params = serialize_inner_list(covered, params)
    base = signature_base(method, url, lower_headers(out, " \t"), covered, signature_params)
    raw = load_private_key(private_key_pem).sign(base, padding.PKCS1v15(), hashes.SHA256())
    out["Signature-Input"] = f"{label}={signature_params}"
    out["Signature"] = f"{label}=:{base64.b64encode(raw).decode('ascii')}:"
    return out


def signature_base(
    method: str, target_uri: str, headers: Mapping[str, str], components: Sequence[str], signature_params: str
) -> bytes:
    """The RFC 9421 §2.5 signature base: one `"<component>": <value>` line per component, then
    `"@signature-params"`. Raises SignatureError for a missing header or unsupported component."""
    parts = urlsplit(target_uri)
    lines = []
    for component in components:
        if component == "@method":
            value = method
        elif component == "@target-uri":
            value = target_uri
        elif component == "@authority":
            value = authority(target_uri)
        elif component == "@scheme":
            value = parts.scheme.lower()
        elif component == "@request-target":
            value = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        elif component == "@path":
            value = parts.path or "/"
        elif component == "@query":
            value = f"?{parts.query}"
        elif component.startswith("@"):
            raise SignatureError(f"unsupported component {component}")
        elif component in headers:
            value = headers[component]
        else:
            raise SignatureError(f"signed header {component} missing")
        if "\n" in value or "\r" in value:
            raise SignatureError(f"component {component} has a line break")
        lines.append(f'"{component}": {value}')
    lines.append(f'"@signature-params": {signature_params}')
    return "\n".join(lines).encode("utf-8", "surrogateescape")
