"""HTTP signatures of ActivityPub requests, both schemes behind one entry point.

`sign_request` signs an outgoing request with draft-cavage (`cavage`, as Mastodon) or RFC 9421
(`rfc9421`, as Fedify); `read_signature` finds which scheme an incoming request carries, checks from its
headers alone that it was signed for this server, and gives the keyId and a check of the signature
against a key and the body (read later). The helpers both share live once in `common`. Pure: the
clock (`now`) and the keys are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from protocol.errors import SignatureError
from protocol.sig import cavage, rfc9421
from protocol.sig.common import host_of


class Scheme(StrEnum):
    """A signature scheme, by the name nodes remember it under."""

    DRAFT_CAVAGE = "draft-cavage"
    RFC9421 = "rfc9421"


Check = Callable[[str, datetime, bytes], None]  # (public key PEM, now, body): raises SignatureError


@dataclass(frozen=True)
class IncomingSignature:
    """The signature an incoming request carries: its scheme, keyId, and the check that proves it."""

    scheme: Scheme
    key_id: str
    check: Check


def sign_request(scheme: str, *, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                 key_id: str, private_key_pem: str, now: datetime) -> dict[str, str]:
    """`headers` plus the signature headers of `scheme` (and Host, Date, the body's digest)."""
    sign = rfc9421.sign_request if scheme == Scheme.RFC9421 else cavage.sign_request
    return sign(method=method, url=url, headers=headers, body=body, key_id=key_id, private_key_pem=private_key_pem,
                now=now)


def read_signature(method: str, path: str, headers: Mapping[str, str], origin: str) -> IncomingSignature:
    """The signature of a request for `path` (with its query) on the server at `origin` (its base URL):
    RFC 9421 when `Signature-Input` is sent, else draft-cavage from `Signature` (or `Authorization:
    Signature ...`). Headers alone, before the body is read: a missing or malformed signature, or one
    not meant for this server, raises SignatureError with the reason to answer (401)."""
    if "Signature-Input" in headers:
        try:
            sig = rfc9421.parse_signature_headers(headers["Signature-Input"], headers.get("Signature", ""))
        except SignatureError as exc:
            raise SignatureError(f"bad Signature-Input/Signature headers: {exc.reason}") from None
        _headers_only(lambda: rfc9421.check_signed_authority(sig, headers, origin))
        uris = rfc9421.candidate_target_uris(host_of(origin), path)
        return IncomingSignature(Scheme.RFC9421, sig.key_id, lambda pem, now, body: rfc9421.verify_request(
            method=method, target_uris=uris, headers=headers, body=body, signature=sig, public_key_pem=pem, now=now,
            origin=origin))
    authorization = headers.get("Authorization", "")
    signature = headers.get("Signature") or (authorization if authorization.startswith("Signature ") else "")
    if not signature:
        raise SignatureError("request is not signed (no Signature header)")
    try:
        params = cavage.parse_signature_header(signature)
    except SignatureError as exc:
        raise SignatureError(f"bad Signature header: {exc.reason}") from None
    _headers_only(lambda: cavage.check_signed_host(params, headers, origin))
    return IncomingSignature(Scheme.DRAFT_CAVAGE, params.key_id, lambda pem, now, body: cavage.verify_request(
        method=method, path=path, headers=headers, body=body, params=params, public_key_pem=pem, now=now,
        origin=origin))


def _headers_only(check: Callable[[], None]) -> None:
    try:
        check()
    except SignatureError as exc:
        raise SignatureError(f"signature rejected: {exc.reason}") from None
