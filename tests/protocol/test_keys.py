"""Tests for protocol.keys: RSA generation and cached PEM loading."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from protocol.errors import SignatureError
from protocol.keys import (
    generate_private_key_pem,
    load_private_key,
    load_public_key,
    public_key_pem,
)

KEYS = Path(__file__).resolve().parent.parent / "fixtures" / "keys"
TEST_PEM = (KEYS / "test-rsa-2048.pem").read_text()
OTHER_PEM = (KEYS / "other-rsa-2048.pem").read_text()


def _spki(key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def test_generate_private_key_pem_is_pkcs8_rsa_2048() -> None:
    pem = generate_private_key_pem()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    key = load_private_key(pem)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    assert key.private_numbers().public_numbers.e == 65537


def test_generate_private_key_pem_honours_bits() -> None:
    assert load_private_key(generate_private_key_pem(bits=3072)).key_size == 3072


def test_generated_keys_differ() -> None:
    assert generate_private_key_pem() != generate_private_key_pem()


def test_public_key_pem_is_spki() -> None:
    pem = public_key_pem(TEST_PEM)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert pem.rstrip().endswith("-----END PUBLIC KEY-----")
    key = load_public_key(pem)
    assert isinstance(key, rsa.RSAPublicKey)
    private = load_private_key(TEST_PEM)
    assert key.public_numbers() == private.public_key().public_numbers()


def test_fixture_keys_are_distinct_rsa_2048() -> None:
    assert load_private_key(TEST_PEM).key_size == 2048
    assert load_private_key(OTHER_PEM).key_size == 2048
    assert public_key_pem(TEST_PEM) != public_key_pem(OTHER_PEM)


def test_load_private_key_is_cached() -> None:
    assert load_private_key(TEST_PEM) is load_private_key(TEST_PEM)


def test_load_public_key_is_cached() -> None:
    pem = public_key_pem(TEST_PEM)
    before = load_public_key.cache_info().hits
    assert load_public_key(pem) is load_public_key(pem)
    assert load_public_key.cache_info().hits > before


def test_load_private_key_accepts_pkcs1() -> None:
    pkcs1 = (
        load_private_key(TEST_PEM)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        .decode()
    )
    assert pkcs1.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert load_private_key(pkcs1).private_numbers() == load_private_key(TEST_PEM).private_numbers()


@pytest.mark.parametrize(
    "pem", ["", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"]
)
def test_load_private_key_rejects_garbage(pem: str) -> None:
    with pytest.raises(SignatureError) as info:
        load_private_key(pem)
    assert info.value.reason == "invalid private key"


def test_load_private_key_rejects_non_rsa() -> None:
    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    with pytest.raises(SignatureError) as info:
        load_private_key(pem)
    assert info.value.reason == "unsupported key type"


def test_load_public_key_accepts_pkcs1_rsa_public_key() -> None:
    private = load_private_key(TEST_PEM)
    pkcs1 = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        .decode()
    )
    assert pkcs1.startswith("-----BEGIN RSA PUBLIC KEY-----")
    key = load_public_key(pkcs1)
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.public_numbers() == private.public_key().public_numbers()


def test_load_public_key_accepts_ed25519() -> None:
    key = load_public_key(_spki(ed25519.Ed25519PrivateKey.generate().public_key()))
    assert isinstance(key, ed25519.Ed25519PublicKey)


def test_load_public_key_tolerates_surrounding_whitespace() -> None:
    pem = "\n  " + public_key_pem(TEST_PEM) + "\n\n"
    assert isinstance(load_public_key(pem), rsa.RSAPublicKey)


def test_load_public_key_rejects_ec() -> None:
    pem = _spki(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(SignatureError) as info:
        load_public_key(pem)
    assert info.value.reason == "unsupported key type"


@pytest.mark.parametrize(
    "pem",
    [
        "",
        "garbage",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nclé\n-----END PUBLIC KEY-----\n",
    ],
)
def test_load_public_key_rejects_garbage(pem: str) -> None:
    with pytest.raises(SignatureError) as info:
        load_public_key(pem)
    assert info.value.reason == "invalid public key"


def test_load_public_key_rejects_a_private_key() -> None:
    with pytest.raises(SignatureError) as info:
        load_public_key(TEST_PEM)
    assert info.value.reason == "invalid public key"
