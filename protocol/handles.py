"""Fediverse handles (`@name@host`) and `acct:` URIs, as WebFinger (RFC 7033) uses them."""

import ipaddress
import re
from dataclasses import dataclass

from .errors import ParseError

# Patterns are used with fullmatch(): `$` would also accept a trailing newline.
_USERNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"  # RFC 1123 host name label
_HOST = re.compile(rf"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>[0-9]{{1,5}}))?")


def _is_valid_host(host: str) -> bool:
    """A DNS name, IPv4 address or bracketed IPv6 literal, with an optional port up to 65535."""
    match = _HOST.fullmatch(host)
    if not match:
        return False
    if match["port"] is not None and int(match["port"]) > 65535:
        return False
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            return False
    return True


@dataclass(frozen=True)
class Handle:
    """A `name@host` pair; `host` may carry a port, as on loopback test nodes."""

    username: str
    host: str

    def __str__(self) -> str:
        return f"@{self.username}@{self.host}"

    @property
    def acct(self) -> str:
        return f"acct:{self.username}@{self.host}"


def handle_text(username: str | None, host: str | None) -> str | None:
    """`@name@host` for an actor known by both, else None (a page then shows its address instead)."""
    return str(Handle(username, host)) if username and host else None


def parse_handle(text: str) -> Handle:
    """Parse `@name@host`, `name@host` or `acct:name@host` (RFC 7565); hosts are lowercased."""
    value = text.strip()
    if value.startswith("acct:"):
        value = value[5:]
    value = value.removeprefix("@")
    username, sep, host = value.partition("@")
    if not sep or not username or not host:
        raise ParseError(f"not a handle (expected @name@host): {text!r}")
    if not _USERNAME.fullmatch(username):
        raise ParseError(f"invalid user name in handle: {username!r}")
    if not _is_valid_host(host):
        raise ParseError(f"invalid host in handle: {host!r}")
    return Handle(username=username, host=host.lower())


def is_valid_username(name: str) -> bool:
    """Local user names: letters, digits, `_`, `.`, `-`; Mastodon accepts these in mentions."""
    return bool(_USERNAME.fullmatch(name)) and not name.endswith(".")
