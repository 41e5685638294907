"""Fediverse handles (`@name@host`) and `acct:` URIs, as WebFinger (RFC 7033) uses them."""

import re
from dataclasses import dataclass

from .errors import ParseError

_USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(:[0-9]{1,5})?$")


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


def parse_handle(text: str) -> Handle:
    """Parse `@name@host`, `name@host` or `acct:name@host` (RFC 7565); hosts are lowercased."""
    value = text.strip()
    if value.startswith("acct:"):
        value = value[5:]
    value = value.removeprefix("@")
    username, sep, host = value.partition("@")
    if not sep or not username or not host:
        raise ParseError(f"not a handle (expected @name@host): {text!r}")
    if not _USERNAME.match(username):
        raise ParseError(f"invalid user name in handle: {username!r}")
    if not _HOST.match(host):
        raise ParseError(f"invalid host in handle: {host!r}")
    return Handle(username=username, host=host.lower())


def is_valid_username(name: str) -> bool:
    """Local user names: letters, digits, `_`, `.`, `-`; Mastodon accepts these in mentions."""
    return bool(_USERNAME.match(name)) and not name.endswith(".")
