"""Fediverse handles (`@name@host`) and `acct:` URIs, as WebFinger (RFC 7033) uses them."""

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

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


MAX_REMOTE_USERNAME = 100
MAX_DISPLAY_NAME = 200
# Bidirectional controls: embeddings, overrides, isolates and marks. In a name they reorder the text
# around them, and `@admin@node.test` can be read out of `@admin@node.test<RLO>@evil.example`.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _of_a_name(char: str, punctuation: str) -> bool:
    """A letter, digit or mark of any script, or one of `punctuation`: nothing invisible (format
    characters such as bidi controls or zero-width spaces), no space, no `@`."""
    return char in punctuation or unicodedata.category(char)[0] in "LMN"


def remote_username(value: Any) -> str | None:
    """A remote actor's `preferredUsername` as a handle may show it, or None when it cannot be one:
    letters, digits and marks of any script, `_`, `.`, `-`, at most MAX_REMOTE_USERNAME characters.
    With an `@`, a space or an invisible character it could pose as another handle."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_REMOTE_USERNAME:
        return None
    return value if all(_of_a_name(c, "_.-") for c in value) else None


def display_name(value: Any) -> str | None:
    """A remote display name as pages show it: without bidi controls or control characters (which could
    reorder or hide what follows it), at most MAX_DISPLAY_NAME characters; None when nothing is left.
    Templates also isolate it (`<bdi>`), so a right-to-left name does not reorder its neighbours."""
    if not isinstance(value, str):
        return None
    text = "".join(c for c in value if c not in BIDI_CONTROLS and unicodedata.category(c) != "Cc")
    return text[:MAX_DISPLAY_NAME] or None


def handle_text(username: str | None, host: str | None) -> str | None:
    """`@name@host` for an actor known by both, else None (a page then shows its address instead). A name
    or a host that could pose as another handle (stored before names were checked) gives None too."""
    if not username or not host or remote_username(username) is None \
            or not all(_of_a_name(c, ".-:[]") for c in host):
        return None
    return str(Handle(username, host))


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
