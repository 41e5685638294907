"""Tests for protocol.sig.rfc9421 (RFC 9421 HTTP Message Signatures, RFC 9530 Content-Digest) and
protocol.sig.structured_fields (RFC 8941), with the RFCs' own test vectors."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.errors import SignatureError
from protocol.keys import public_key_pem
from protocol.sig.rfc9421 import (
    candidate_target_uris,
    content_digest_header,
    parse_signature_headers,
    sign_request,
    signature_base,
    verify_content_digest,
    verify_request,
)
from protocol.sig.structured_fields import Token, parse_dictionary, serialize_inner_list

KEYS = Path(__file__).resolve().parent.parent / "fixtures" / "keys"
TEST_PEM = (KEYS / "test-rsa-2048.pem").read_text()
TEST_PUB = public_key_pem(TEST_PEM)
OTHER_PUB = public_key_pem((KEYS / "other-rsa-2048.pem").read_text())
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
KEY_ID = "https://maillage.example/users/alice#main-key"
INBOX = "https://remote.example/users/bob/inbox"
BODY = b'{"type":"Follow","actor":"https://maillage.example/users/alice"}'

# RFC 9421 Appendix B.1.4 (test-key-ed25519) and B.2 (the example request), B.2.6 (its ed25519 signature).
RFC_ED25519_PRIVATE = "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF"
RFC_ED25519_PUBLIC = ("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n"
                      "-----END PUBLIC KEY-----\n")
RFC_BODY = b'{"hello": "world"}'
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": ("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXv"
                       "Jwew==:"),
    "Content-Length": "18",
}
RFC_B26_INPUT = ('sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
                 ';created=1618884473;keyid="test-key-ed25519"')
RFC_B26_SIGNATURE = ("sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpB"
                     "KRCw==:")
RFC_NOW = datetime.fromtimestamp(1618884473, UTC)
RFC_URI = "https://example.com/foo?param=Value&Pet=dog"


def rfc_key() -> ed25519.Ed25519PrivateKey:
    pem = f"-----BEGIN PRIVATE KEY-----\n{RFC_ED25519_PRIVATE}\n-----END PRIVATE KEY-----\n".encode()
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key


def test_rfc9421_b26_ed25519_signature_verifies() -> None:
    sig = parse_signature_headers(RFC_B26_INPUT, RFC_B26_SIGNATURE)
    assert (sig.label, sig.key_id, sig.created, sig.algorithm) == ("sig-b26", "test-key-ed25519", 1618884473, None)
    verify_request(method="POST", target_uris=[RFC_URI], headers=RFC_HEADERS, body=None, signature=sig,
                   public_key_pem=RFC_ED25519_PUBLIC, now=RFC_NOW)


def test_rfc9421_b26_signature_base_is_the_rfcs() -> None:
    sig = parse_signature_headers(RFC_B26_INPUT, RFC_B26_SIGNATURE)
    base = signature_base("POST", RFC_URI, {k.lower(): v for k, v in RFC_HEADERS.items()}, sig.components,
                          sig.signature_params)
    assert base.decode() == (
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@method": POST\n"@path": /foo\n"@authority": example.com\n'
        '"content-type": application/json\n"content-length": 18\n"@signature-params": ("date" "@method" "@path"'
        ' "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"')
    assert rfc_key().sign(base) == sig.signature  # ed25519 is deterministic: the RFC's exact bytes


def test_rfc9421_b26_refused_when_a_covered_header_changes() -> None:
    sig = parse_signature_headers(RFC_B26_INPUT, RFC_B26_SIGNATURE)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_request(method="POST", target_uris=[RFC_URI], headers={**RFC_HEADERS, "Content-Length": "19"},
                       body=None, signature=sig, public_key_pem=RFC_ED25519_PUBLIC, now=RFC_NOW)


def test_a_body_must_be_covered_by_content_digest() -> None:
    sig = parse_signature_headers(RFC_B26_INPUT, RFC_B26_SIGNATURE)
    with pytest.raises(SignatureError, match="content-digest not signed"):
        verify_request(method="POST", target_uris=[RFC_URI], headers=RFC_HEADERS, body=RFC_BODY, signature=sig,
                       public_key_pem=RFC_ED25519_PUBLIC, now=RFC_NOW)


def test_rfc9530_examples() -> None:
    # RFC 9530 §2 and Appendix B: {"hello": "world"}.
    assert content_digest_header(RFC_BODY) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    assert content_digest_header(RFC_BODY, "sha-512") == RFC_HEADERS["Content-Digest"]
    verify_content_digest(RFC_HEADERS["Content-Digest"], RFC_BODY)
    verify_content_digest("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", RFC_BODY)
    verify_content_digest("unixsum=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", RFC_BODY)


@pytest.mark.parametrize(("value", "reason"), [
    ("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", "content digest mismatch"),  # of RFC_BODY, not b"x"
    ("md5=:AAAA:", "no sha-256 or sha-512 in Content-Digest"),
    ("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", "malformed"),
    ("sha-256=\"X48E\"", "not a byte sequence"),
    (content_digest_header(b"other") + ", " + content_digest_header(RFC_BODY, "sha-512"), "content digest mismatch"),
])
def test_bad_content_digests(value: str, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify_content_digest(value, b"x" if value.startswith("sha-256=:X48E") else RFC_BODY)


def signed(method: str = "POST", url: str = INBOX, body: bytes | None = BODY, now: datetime = NOW) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"} if body is not None else {"Accept": "application/json"}
    return sign_request(method=method, url=url, headers=headers, body=body, key_id=KEY_ID, private_key_pem=TEST_PEM,
                        now=now)


def verify(headers: dict[str, str], *, method: str = "POST", uris: tuple[str, ...] = (INBOX,),
           body: bytes | None = BODY, pem: str = TEST_PUB, now: datetime = NOW) -> None:
    sig = parse_signature_headers(headers["Signature-Input"], headers["Signature"])
    verify_request(method=method, target_uris=uris, headers=headers, body=body, signature=sig, public_key_pem=pem,
                   now=now)


def test_sign_request_takes_fedifys_shape() -> None:
    headers = signed()
    assert headers["Host"] == "remote.example"
    assert headers["Date"] == "Fri, 02 Jan 2026 03:04:05 GMT"
    assert headers["Content-Digest"] == content_digest_header(BODY)
    assert headers["Signature-Input"] == (
        'sig1=("@method" "@target-uri" "@authority" "host" "date" "content-digest");alg="rsa-v1_5-sha256";'
        f'keyid="{KEY_ID}";created={int(NOW.timestamp())}')
    assert headers["Signature"].startswith("sig1=:") and headers["Signature"].endswith(":")
    verify(headers)


def test_get_requests_sign_no_digest() -> None:
    headers = signed("GET", "https://remote.example/users/bob?page=2", None)
    assert "Content-Digest" not in headers
    assert '"content-digest"' not in headers["Signature-Input"]
    verify(headers, method="GET", uris=("https://remote.example/users/bob?page=2",), body=None)


def test_a_port_is_part_of_the_authority() -> None:
    headers = signed(url="http://127.0.0.1:8080/inbox")
    assert headers["Host"] == "127.0.0.1:8080"
    verify(headers, uris=candidate_target_uris("127.0.0.1:8080", "/inbox"))


def test_behind_a_tls_proxy_the_https_uri_is_tried() -> None:
    headers = signed(url="https://node.example/inbox")
    assert candidate_target_uris("node.example", "/inbox") == ("https://node.example/inbox", "http://node.example/inbox")
    verify(headers, uris=candidate_target_uris("node.example", "/inbox")[::-1])


@pytest.mark.parametrize(("change", "reason"), [
    ({"method": "PUT"}, "does not verify"),
    ({"uris": ("https://remote.example/users/carol/inbox",)}, "does not verify"),
    ({"body": BODY + b" "}, "content digest mismatch"),
    ({"pem": OTHER_PUB}, "does not verify"),
    ({"now": NOW + timedelta(hours=13)}, "created is too old"),
    ({"now": NOW - timedelta(hours=2)}, "created is in the future"),
])
def test_tampering_is_refused(change: dict[str, object], reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify(signed(), **change)  # type: ignore[arg-type]


def test_a_changed_signed_header_is_refused() -> None:
    headers = signed()
    with pytest.raises(SignatureError, match="does not verify"):
        verify({**headers, "Date": "Fri, 02 Jan 2026 03:04:06 GMT"})
    with pytest.raises(SignatureError, match="signed header date missing"):
        verify({k: v for k, v in headers.items() if k != "Date"})


def ed25519_signed(components: str, params: str = ';created=1767323045;keyid="k"',
                   headers: dict[str, str] | None = None, uri: str = INBOX) -> dict[str, str]:
    if headers is None:
        headers = {"Host": "remote.example", "Content-Digest": content_digest_header(BODY)}
    sig_params = f"({components}){params}"
    parsed = parse_signature_headers(f"s={sig_params}", "s=:AA==:")
    base = signature_base("POST", uri, {k.lower(): v for k, v in headers.items()}, parsed.components,
                          parsed.signature_params)
    raw = base64.b64encode(rfc_key().sign(base)).decode()
    return {**headers, "Signature-Input": f"s={sig_params}", "Signature": f"s=:{raw}:"}


def test_ed25519_with_alg_and_derived_components() -> None:
    headers = ed25519_signed('"@method" "@scheme" "@request-target" "@query" "content-digest"',
                             ';alg="ed25519";created=1767323045;keyid="k";expires=1767323999',
                             uri=INBOX + "?a=1")
    verify(headers, uris=(INBOX + "?a=1",), pem=RFC_ED25519_PUBLIC)


@pytest.mark.parametrize(("components", "params", "reason"), [
    ('"@method" "@path" "content-digest"', ';keyid="k"', "created parameter missing"),
    ('"@path" "content-digest"', ';created=1767323045;keyid="k"', "@method not signed"),
    ('"@method" "@authority" "content-digest"', ';created=1767323045;keyid="k"', "@target-uri not signed"),
    ('"@method" "@path"', ';created=1767323045;keyid="k"', "content-digest not signed"),
    ('"@method" "@path" "content-digest"', ';created=1767323045;keyid="k";alg="rsa-v1_5-sha256"',
     "key type does not match algorithm"),
    ('"@method" "@path" "content-digest"', ';created=1767323045;keyid="k";alg="hmac-sha256"',
     "unsupported algorithm hmac-sha256"),
    ('"@method" "@path" "content-digest"', ';created=1767323045;keyid="k";expires=1767323000', "signature expired"),
])
def test_weak_or_stale_signatures_are_refused(components: str, params: str, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify(ed25519_signed(components, params), pem=RFC_ED25519_PUBLIC)


@pytest.mark.parametrize(("signature_input", "signature", "reason"), [
    ('a=("@method");keyid="k"', "b=:AA==:", "no signature in Signature matches"),
    ('a=("@method");created=1', "a=:AA==:", "missing keyid"),
    ('a=("@method");keyid=k', "a=:AA==:", "missing keyid"),
    ('a=("@method");keyid="k";created="1"', "a=:AA==:", "invalid created"),
    ('a=("@method";req);keyid="k"', "a=:AA==:", "unsupported component parameter"),
    ('a=("content-type";sf);keyid="k"', "a=:AA==:", "unsupported component parameter"),
    ('a=("Date");keyid="k"', "a=:AA==:", "invalid component"),
    ('a=(date);keyid="k"', "a=:AA==:", "component identifiers must be strings"),
    ('a="x";keyid="k"', "a=:AA==:", "not an inner list"),
    ('a=("@method");keyid="k"', 'a="AA=="', "not a byte sequence"),
    ('a=("@method";keyid="k"', "a=:AA==:", "malformed structured field"),
    ('a=("@method");keyid="k",', "a=:AA==:", "trailing comma"),
    ('a=("@method");keyid="k\\x"', "a=:AA==:", "bad escape"),
])
def test_malformed_signature_headers(signature_input: str, signature: str, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        parse_signature_headers(signature_input, signature)


def test_unsupported_derived_components_are_refused() -> None:
    headers = {"Host": "remote.example", "Content-Digest": content_digest_header(BODY), "Signature": "s=:AA==:",
               "Signature-Input": 's=("@method" "@path" "@query-param" "content-digest");created=1767323045;keyid="k"'}
    with pytest.raises(SignatureError, match="unsupported component @query-param"):
        verify(headers, pem=RFC_ED25519_PUBLIC)


def test_several_signatures_the_first_one_carried_is_used() -> None:
    headers = signed()
    label_free = headers["Signature-Input"].split("=", 1)[1]
    sig = parse_signature_headers(f'proxy=("@method");keyid="p", {headers["Signature-Input"]}',
                                  headers["Signature"])
    assert (sig.label, sig.signature_params) == ("sig1", label_free)


def test_structured_fields_round_trip() -> None:
    parsed = parse_dictionary('a=("x" "y");created=1;alg=tok;b=?0;c=:AQI=:;d=1.5, e, f=?1;g')
    assert parsed["a"] == ([("x", ()), ("y", ())], (("created", 1), ("alg", Token("tok")), ("b", False),
                                                    ("c", b"\x01\x02"), ("d", 1.5)))
    assert parsed["e"] == (True, ())
    assert parsed["f"] == (True, (("g", True),))
    items, params = parsed["a"]
    assert isinstance(items, list)
    assert serialize_inner_list([str(i[0]) for i in items], params) == '("x" "y");created=1;alg=tok;b=?0;c=:AQI=:;d=1.5'
    assert serialize_inner_list(['a"b\\'], (("k", "v"),)) == '("a\\"b\\\\");k="v"'


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.text(max_size=40))
def test_parsing_garbage_raises_only_signature_error(signature_input: str, signature: str) -> None:
    try:
        parse_signature_headers(signature_input, signature)
    except SignatureError:
        pass
