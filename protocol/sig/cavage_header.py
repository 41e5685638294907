"""The draft-cavage-http-signatures-12 §4.1 `Signature` header: its grammar, read as Mastodon's
`SignatureParser` (app/lib/signature_parser.rb) reads it, with a fast path for the common form. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from protocol.errors import SignatureError
from protocol.sig.common import b64decode_or_none

_OWS = " \t"
_UNQUOTED_STOP = frozenset(' \t,"')
_KEY_RE = re.compile(r"[0-9A-Za-z!#$%&'*+.^_`|~-]+")
_INT_RE = re.compile(r"0|[1-9][0-9]{0,14}")
# The rest of a quoted string, from just past its opening quote: runs of plain characters and
# backslash-escaped ones (any character, newlines too), then the closing quote. Linear: no backtracking.
_QUOTED_REST_RE = re.compile(r'([^"\\]*(?:\\.[^"\\]*)*)"', re.DOTALL)
_ESCAPED_RE = re.compile(r"\\(.)", re.DOTALL)
# "Signature " prefix: the Authorization-header form, and what old versions of
# node-http-signature put in the Signature header (Mastodon's SignatureParser strips it).
_SCHEME_PREFIX_RE = re.compile(r"signature[ \t]+(?![ \t=])", re.IGNORECASE)


@dataclass(frozen=True)
class SignatureParams:
    """The parsed parameters of a draft-cavage `Signature` header (§2.1)."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    created: int | None
    expires: int | None


def parse_signature_header(value: str) -> SignatureParams:
    """Parse a draft-cavage-http-signatures-12 §4.1 `Signature` header value.

    Grammar: comma-separated `key=value` pairs, values a token or a quoted string
    (which may contain commas and `=`; backslash escapes are honoured), optional
    whitespace around `=` and `,`, empty list elements ignored, keys case-insensitive.
    A leading `Signature ` scheme is stripped, so the value of an `Authorization:
    Signature ...` header (§3.1) works too, as do the headers of old node-http-signature
    versions that Mastodon's SignatureParser also tolerates. Defaults: `algorithm`
    "hs2019" (as Mastodon), `headers` ("date",) (draft §2.1.6 before draft-12; Mastodon
    uses `(created)` when the algorithm is hs2019). Duplicate parameters are refused.
    Only ever raises SignatureError.
    """
    raw = _parse_params(value)
    key_id = raw.get("keyid", "").strip()
    if not key_id:
        raise SignatureError("missing keyId")
    signature_b64 = raw.get("signature", "").strip()
    if not signature_b64:
        raise SignatureError("missing signature")
    signature = b64decode_or_none(signature_b64)
    if not signature:
        raise SignatureError("invalid base64 in signature")
    headers_value = raw.get("headers")
    headers = ("date",) if headers_value is None else tuple(h.lower() for h in headers_value.split())
    return SignatureParams(
        key_id=key_id,
        algorithm=raw.get("algorithm", "hs2019").strip().lower(),
        headers=headers,
        signature=signature,
        created=_parse_timestamp(raw, "created"),
        expires=_parse_timestamp(raw, "expires"),
    )


def _parse_simple_params(value: str) -> dict[str, str] | None:
    """The common form, `key="value"` pairs joined by commas, without spaces, escapes or duplicates,
    read with string searches; None for anything else (then `_parse_params` reads it character by
    character, to the same result when this one has one)."""
    out: dict[str, str] = {}
    i, n = 0, len(value)
    while True:
        equals = value.find('="', i)
        if equals <= i or not _KEY_RE.fullmatch(value, i, equals):
            return None
        close = value.find('"', equals + 2)
        if close < 0:
            return None
        parsed = value[equals + 2 : close]
        key = value[i:equals].lower()
        if "\\" in parsed or key in out:
            return None
        out[key] = parsed
        i = close + 1
        if i == n:
            return out
        if value[i] != ",":
            return None
        i += 1


def _parse_params(value: str) -> dict[str, str]:
    simple = _parse_simple_params(value)
    if simple is not None:
        return simple
    text = value.strip(_OWS)
    prefix = _SCHEME_PREFIX_RE.match(text)
    if prefix:
        text = text[prefix.end() :]
    out: dict[str, str] = {}
    i, n = 0, len(text)
    while True:
        while i < n and (text[i] in _OWS or text[i] == ","):
            i += 1
        if i >= n:
            break
        key_match = _KEY_RE.match(text, i)
        if key_match is None:
            raise SignatureError("malformed Signature header")
        key = key_match.group().lower()
        i = _skip_ows(text, key_match.end())
        if i >= n or text[i] != "=":
            raise SignatureError("malformed Signature header")
        i = _skip_ows(text, i + 1)
        if i < n and text[i] == '"':
            parsed, i = _quoted_string(text, i + 1)
        else:
            start = i
            while i < n and text[i] not in _UNQUOTED_STOP:
                i += 1
            if i == start:
                raise SignatureError("malformed Signature header")
            parsed = text[start:i]
        if key in out:
            raise SignatureError(f"duplicate parameter {key}")
        out[key] = parsed
        i = _skip_ows(text, i)
        if i < n and text[i] != ",":
            raise SignatureError("malformed Signature header")
    if not out:
        raise SignatureError("empty Signature header")
    return out


def _quoted_string(text: str, i: int) -> tuple[str, int]:
    """The quoted string whose opening quote is just before `i` (a backslash takes the next character
    literally), and the index past its closing quote."""
    match = _QUOTED_REST_RE.match(text, i)
    if match is None:
        raise SignatureError("unterminated quoted string in Signature header")
    value = match.group(1)
    if "\\" in value:
        value = _ESCAPED_RE.sub(r"\1", value)
    return value, match.end()


def _skip_ows(text: str, i: int) -> int:
    while i < len(text) and text[i] in _OWS:
        i += 1
    return i


def _parse_timestamp(raw: Mapping[str, str], name: str) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    value = value.strip()
    if not _INT_RE.fullmatch(value):
        raise SignatureError(f"invalid {name}")
    return int(value)
