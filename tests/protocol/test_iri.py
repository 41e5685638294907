"""Tests for protocol.iri: validating remote IRIs and comparing their hosts."""

import itertools
from collections.abc import Callable

import pytest

from protocol.errors import ParseError
from protocol.iri import _host_by_urlsplit, _require_by_urlsplit, iri_host, require_http_iri, same_origin


@pytest.mark.parametrize(
    "iri",
    [
        "https://mastodon.example/users/alice",
        "http://127.0.0.1:8080/actor",
        "https://[2001:db8::1]:8443/users/a",
        "HTTPS://Mastodon.Example/users/alice",
        "https://mobilizon.example/@repaircafe",
    ],
)
def test_require_http_iri_accepts_http_iris_unchanged(iri: str) -> None:
    assert require_http_iri(iri, "id") == iri


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "id must be an IRI string"),
        ("", "id must be an IRI string"),
        (42, "id must be an IRI string"),
        (["https://a.example/x"], "id must be an IRI string"),
        ("https://a.example/" + "x" * 2048, "id is longer than 2048 characters"),
        ("ftp://a.example/x", "id must be an http(s) IRI: 'ftp://a.example/x'"),
        ("urn:uuid:3d1a6ad6-5f6b-4c1e-9b7d-1f2e3a4b5c6d", "id must be an http(s) IRI"),
        ("/users/alice", "id must be an http(s) IRI: '/users/alice'"),
        ("https://", "id must be an http(s) IRI: 'https://'"),
        ("https:///path-only", "id must be an http(s) IRI"),
        ("http://[::1/x", "id is not a valid IRI: Invalid IPv6 URL"),
        ("http://a.example:99999/x", "id is not a valid IRI: Port out of range 0-65535"),
        ("http://a.example:https/x", "id is not a valid IRI: Port could not be cast to integer value"),
    ],
)
def test_require_http_iri_rejects_with_reason(value: object, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        require_http_iri(value, "id")
    assert info.value.reason.startswith(reason)


def test_require_http_iri_truncates_long_values_in_reason() -> None:
    with pytest.raises(ParseError) as info:
        require_http_iri("gopher://" + "a" * 1000, "object")
    assert len(info.value.reason) < 260


@pytest.mark.parametrize(
    ("iri", "host"),
    [
        ("https://Mastodon.Example/users/alice", "mastodon.example"),
        ("http://127.0.0.1:8080/actor", "127.0.0.1:8080"),
        ("https://[2001:DB8::1]:8443/x", "[2001:db8::1]:8443"),
        ("https://[::1]/x", "[::1]"),
        ("https://user:pw@host.example/x", "host.example"),
        ("urn:example:a", ""),
        ("not an iri", ""),
        ("http://[::1/x", ""),
        ("http://a.example:99999/x", ""),
    ],
)
def test_iri_host(iri: str, host: str) -> None:
    assert iri_host(iri) == host


def test_same_origin_compares_host_and_port() -> None:
    assert same_origin("https://a.example/users/x", "https://A.EXAMPLE/inbox")
    assert same_origin("https://a.example/users/x#main-key", "http://a.example/users/x")
    assert not same_origin("https://a.example/x", "https://b.example/x")
    assert not same_origin("https://a.example/x", "https://a.example.evil/x")
    assert not same_origin("https://a.example:8443/x", "https://a.example/x")


def test_same_origin_is_false_without_a_host() -> None:
    """Two host-less IRIs must not count as one origin (both would have host "")."""
    assert not same_origin("urn:a", "urn:b")
    assert not same_origin("https://a.example/x", "urn:a")
    assert not same_origin("http://[::1/x", "http://[::1/y")
    assert not same_origin("http://a.example:99999/x", "http://a.example:99999/x")


# The fast paths (a regex for the common shape) must agree with urlsplit on everything.

def _answer(require: Callable[[str, str], str], value: str) -> str | None:
    """The IRI `require` returns, or None when it refuses it."""
    try:
        return require(value, "id")
    except ParseError:
        return None


_SCHEMES = ["https://", "http://", "HTTP://", "https:/", "ftp://", "", "https://u@", " https://"]
_HOSTS = ["a.example", "A.Ex-ample", "", "-", ".", "[::1]", "[::1", "h\u00e9.example", "a b", "a\tb", "a\nb", "x_y"]
_PORTS = ["", ":", ":0", ":80", ":0443", ":8080", ":65535", ":99999", ":x1", ":1\u0661"]
_RESTS = ["", "/", "/users/a", "?q=1", "#k", "/p ath", "/p\x00", "/\u00e9", "/a\n", "/a@b:c", "\n", " ", "\x7f", "/[x]"]


def test_fast_paths_agree_with_urlsplit() -> None:
    checked = 0
    for scheme, host, port, rest in itertools.product(_SCHEMES, _HOSTS, _PORTS, _RESTS):
        iri = scheme + host + port + rest
        if not iri:
            continue
        assert _answer(require_http_iri, iri) == _answer(_require_by_urlsplit, iri), iri
        assert iri_host(iri) == _host_by_urlsplit(iri), iri
        checked += 1
    assert checked > 10_000
