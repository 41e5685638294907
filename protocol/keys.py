"""Actor key pairs: generation and (cached) PEM loading.

Actors sign with RSA-2048 (the only algorithm every fediverse server verifies,
draft-cavage `rsa-sha256`). Remote keys may also be Ed25519 (draft-cavage `hs2019`).
Parsing PEM is costly and the same few keys sign thousands of requests, so loads are
memoised with `functools.lru_cache`. Nothing here reads a clock, a file or the network.
"""

from __future__ import annotations

import functools

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from protocol.errors import SignatureError

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
"""The public key types `load_public_key` returns."""

_PUBLIC_EXPONENT = 65537


def generate_private_key_pem(bits: int = 2048) -> str:
    """Generate an RSA private key (RFC 8017, e=65537) as a PKCS#8 PEM (RFC 5958/7468)."""
    key = rsa.generate_private_key(public_exponent=_PUBLIC_EXPONENT, key_size=bits)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")


def public_key_pem(private_key_pem: str) -> str:
    """The SubjectPublicKeyInfo PEM (RFC 5280/7468, "BEGIN PUBLIC KEY") of a private key.

    This is the form Mastodon publishes in an actor's `publicKey.publicKeyPem`.
    """
    public = load_private_key(private_key_pem).public_key()
    return public.public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    ).decode("ascii")


def _pem_bytes(pem: str) -> bytes:
    # Tolerate surrounding whitespace; non-ASCII text is left for the PEM parser to refuse.
    return pem.strip().encode("utf-8", "surrogatepass")


@functools.lru_cache(maxsize=64)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """Load an unencrypted RSA private key PEM (PKCS#8 RFC 5958, or PKCS#1 RFC 8017).

    Cached: our own actors' keys sign every outgoing request.
    Raises SignatureError("invalid private key") or ("unsupported key type").
    """
    try:
        key = serialization.load_pem_private_key(_pem_bytes(pem), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureError("invalid private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError("unsupported key type")
    return key


@functools.lru_cache(maxsize=1024)
def load_public_key(pem: str) -> PublicKey:
    """Load a remote actor's public key PEM (RFC 7468): RSA or Ed25519 (RFC 8410).

    Accepts SubjectPublicKeyInfo ("BEGIN PUBLIC KEY", what Mastodon publishes) and the
    PKCS#1 form ("BEGIN RSA PUBLIC KEY") that some servers publish instead: Misskey
    before its 2020 switch (misskey-dev/misskey#5720) and 2018-era Pleroma
    (w3c/activitypub#315); Fedify added PKCS#1 support for the same reason (fedify#209).
    Cached: a remote actor's key verifies many requests.
    Raises SignatureError("invalid public key") or ("unsupported key type").
    """
    try:
        key = serialization.load_pem_public_key(_pem_bytes(pem))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureError("invalid public key") from exc
    if isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        return key
    raise SignatureError("unsupported key type")
