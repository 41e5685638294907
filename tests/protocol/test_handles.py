"""Tests for protocol.handles: `@name@host` handles and `acct:` URIs (RFC 7565)."""

import pytest

from protocol.errors import ParseError
from protocol.handles import Handle, is_valid_username, parse_handle


@pytest.mark.parametrize(
    ("text", "username", "host"),
    [
        ("@alice@mastodon.example", "alice", "mastodon.example"),
        ("alice@mastodon.example", "alice", "mastodon.example"),
        ("acct:alice@mastodon.example", "alice", "mastodon.example"),
        ("  @alice@mastodon.example\n", "alice", "mastodon.example"),
        ("@Alice@Mastodon.EXAMPLE", "Alice", "mastodon.example"),
        ("@the_mighty_zork@gts.example", "the_mighty_zork", "gts.example"),
        ("@reseau@127.0.0.1:8080", "reseau", "127.0.0.1:8080"),
        ("@reseau@node.test:65535", "reseau", "node.test:65535"),
        ("@reseau@localhost", "reseau", "localhost"),
        ("@admin@[::1]:8080", "admin", "[::1]:8080"),
        ("@admin@[2001:DB8::1]", "admin", "[2001:db8::1]"),
        ("@jean.dupont@xn--rseau-bsa.example", "jean.dupont", "xn--rseau-bsa.example"),
        ("@a-b_c.d@x.example", "a-b_c.d", "x.example"),
    ],
)
def test_parse_handle(text: str, username: str, host: str) -> None:
    assert parse_handle(text) == Handle(username=username, host=host)


def test_handle_renders_as_mention_and_acct() -> None:
    handle = Handle(username="alice", host="node.test:8080")
    assert str(handle) == "@alice@node.test:8080"
    assert handle.acct == "acct:alice@node.test:8080"
    assert parse_handle(handle.acct) == handle
    assert parse_handle(str(handle)) == handle


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not a handle (expected @name@host): ''"),
        ("alice", "not a handle (expected @name@host): 'alice'"),
        ("@alice", "not a handle (expected @name@host): '@alice'"),
        ("@alice@", "not a handle (expected @name@host): '@alice@'"),
        ("@@host.example", "not a handle (expected @name@host): '@@host.example'"),
        ("acct:", "not a handle (expected @name@host): 'acct:'"),
        ("@al ice@host.example", "invalid user name in handle: 'al ice'"),
        ("@.alice@host.example", "invalid user name in handle: '.alice'"),
        ("@alice\n@host.example", "invalid user name in handle: 'alice\\n'"),
        ("@" + "a" * 65 + "@host.example", "invalid user name in handle: '" + "a" * 65 + "'"),
        ("mailto:alice@host.example", "invalid user name in handle: 'mailto:alice'"),
        ("@alice@host@evil.example", "invalid host in handle: 'host@evil.example'"),
        ("@alice@host_name.example", "invalid host in handle: 'host_name.example'"),
        ("@alice@.", "invalid host in handle: '.'"),
        ("@alice@a..example", "invalid host in handle: 'a..example'"),
        ("@alice@-host.example", "invalid host in handle: '-host.example'"),
        ("@alice@host.example.", "invalid host in handle: 'host.example.'"),
        ("@alice@host.example/path", "invalid host in handle: 'host.example/path'"),
        ("@alice@host.example:99999", "invalid host in handle: 'host.example:99999'"),
        ("@alice@host.example:", "invalid host in handle: 'host.example:'"),
        ("@alice@[::1", "invalid host in handle: '[::1'"),
        ("@alice@[:::]", "invalid host in handle: '[:::]'"),
        ("@alice@::1", "invalid host in handle: '::1'"),
    ],
)
def test_parse_handle_rejects(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_handle(text)
    assert info.value.reason == reason


@pytest.mark.parametrize("name", ["alice", "Alice_2", "jean.dupont", "a-b", "_", "0", "a" * 64])
def test_valid_usernames(name: str) -> None:
    assert is_valid_username(name)


@pytest.mark.parametrize(
    "name", ["", "alice.", ".alice", "-alice", "al ice", "alice\n", "alice@host", "é", "a" * 65, "ali/ce"]
)
def test_invalid_usernames(name: str) -> None:
    assert not is_valid_username(name)
