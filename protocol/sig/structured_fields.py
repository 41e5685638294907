"""RFC 8941 Structured Field Values for HTTP: the subset RFC 9421 and RFC 9530 use.

Dictionaries of Items and Inner Lists, with Parameters; bare items Integer, Decimal, String,
Token, Byte Sequence and Boolean. Parsing raises SignatureError (the only callers are signature
checks); serialization is canonical (§4.1), which RFC 9421 §2.3 needs for `@signature-params`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from protocol.errors import SignatureError

_KEY_RE = re.compile(r"[a-z*][a-z0-9_.*-]*")
_TOKEN_RE = re.compile(r"[A-Za-z*][0-9A-Za-z!#$%&'*+.^_`|~:/-]*")
_NUMBER_RE = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,3})?")
_B64_RE = re.compile(r"[A-Za-z0-9+/=]*")
_BOOL_RE = re.compile("[01]")


@dataclass(frozen=True)
class Token:
    """An RFC 8941 Token, kept apart from a String so that it serializes back unquoted."""

    value: str


BareItem = int | float | str | bytes | bool | Token
Params = tuple[tuple[str, BareItem], ...]


Item = tuple[BareItem, Params]
Member = tuple[BareItem | list[Item], Params]


def parse_dictionary(text: str) -> dict[str, Member]:
    """RFC 8941 §4.2.2 Dictionary. Raises SignatureError on anything malformed."""
    parser = _Parser(text)
    out: dict[str, Member] = {}
    parser.skip(" ")
    while not parser.done():
        key = parser.key()
        if parser.peek() == "=":
            parser.pos += 1
            out[key] = parser.inner_list() if parser.peek() == "(" else parser.item()
        else:
            out[key] = (True, parser.parameters())
        parser.skip(" \t")
        if parser.done():
            break
        parser.expect(",")
        parser.skip(" \t")
        if parser.done():
            raise SignatureError("malformed structured field: trailing comma")
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise SignatureError(f"malformed structured field at offset {self.pos}: expected {char!r}")
        self.pos += 1

    def match(self, pattern: re.Pattern[str], what: str) -> str:
        found = pattern.match(self.text, self.pos)
        if found is None:
            raise SignatureError(f"malformed structured field at offset {self.pos}: expected {what}")
        self.pos = found.end()
        return found.group()

    def key(self) -> str:
        return self.match(_KEY_RE, "a key")

    def inner_list(self) -> Member:
        self.expect("(")
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return items, self.parameters()
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise SignatureError("malformed structured field: inner list")

    def item(self) -> Item:
        return self.bare_item(), self.parameters()

    def parameters(self) -> Params:
        params: list[tuple[str, BareItem]] = []
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            name = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params = [p for p in params if p[0] != name] + [(name, value)]
        return tuple(params)

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == '"':
            return self.string()
        if char == ":":
            self.pos += 1
            encoded = self.match(_B64_RE, "base64")
            self.expect(":")
            try:
                return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except ValueError as exc:
                raise SignatureError("malformed structured field: byte sequence") from exc
        if char == "?":
            self.pos += 1
            flag = self.match(_BOOL_RE, "a boolean")
            return flag == "1"
        if char == "-" or char.isdigit():
            number = self.match(_NUMBER_RE, "a number")
            return float(number) if "." in number else int(number)
        return Token(self.match(_TOKEN_RE, "a token"))

    def string(self) -> str:
        self.expect('"')
        chars: list[str] = []
        while not self.done():
            char = self.text[self.pos]
            self.pos += 1
            if char == '"':
                return "".join(chars)
            if char == "\\":
                if self.peek() not in ('"', "\\"):
                    raise SignatureError("malformed structured field: bad escape")
                char = self.text[self.pos]
                self.pos += 1
            elif not " " <= char <= "~":
                raise SignatureError("malformed structured field: non-ASCII string")
            chars.append(char)
        raise SignatureError("malformed structured field: unterminated string")


def serialize_bare(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}.0"
    if isinstance(value, bytes):
        return f":{base64.b64encode(value).decode('ascii')}:"
    if isinstance(value, Token):
        return value.value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_params(params: Params) -> str:
    return "".join(f";{k}" if v is True else f";{k}={serialize_bare(v)}" for k, v in params)


def serialize_inner_list(components: Sequence[str], params: Params) -> str:
    return "(" + " ".join(serialize_bare(c) for c in components) + ")" + serialize_params(params)
