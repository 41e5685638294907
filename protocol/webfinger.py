"""WebFinger (RFC 7033) documents and host-meta (RFC 6415), shaped as Mastodon expects them."""

import re
from dataclasses import dataclass
from typing import Any

from .errors import ParseError
from .handles import Handle, parse_handle
from .iri import require_http_iri

ACTIVITY_JSON = "application/activity+json"
JRD_JSON = "application/jrd+json"
# RFC 3986 3.1: `scheme ":"` and something after it, with no space or control character.
_OTHER_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class WebFingerQuery:
    """What a `resource=` parameter asks for: a handle, or an actor URL on this host; neither for a URI
    of another scheme (`mailto:`, `urn:`), a resource no server of ours describes (404, not 400)."""

    handle: Handle | None = None
    url: str | None = None


def parse_resource(resource: str) -> WebFingerQuery:
    """Read a WebFinger `resource`: `acct:name@host` (RFC 7565) or an `http(s)` URL.

    Mastodon looks up `acct:` URIs; some servers (and Mastodon for remote profile links) ask by URL.
    A bare `name@host` is read as `acct:name@host`, as Mastodon reads it. Any other well-formed URI is
    a resource we know nothing about (RFC 7033 4.2: 404), not a malformed request.
    """
    if not resource:
        raise ParseError("missing resource parameter")
    if resource.lower().startswith(("http://", "https://")):  # schemes are case-insensitive (RFC 3986)
        return WebFingerQuery(url=require_http_iri(resource, "resource URL"))
    if resource.startswith("acct:") or ("@" in resource and ":" not in resource.split("@", 1)[0]):
        return WebFingerQuery(handle=parse_handle(resource))
    if _OTHER_URI.fullmatch(resource):
        return WebFingerQuery()
    raise ParseError(f"unsupported resource (expected acct: URI or URL): {resource!r}")


def build_jrd(*, handle: Handle, actor_iri: str, profile_url: str, aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JRD for one actor (RFC 7033 section 4.4).

    Mastodon requires the `self` link's type to be exactly `application/activity+json`
    and its `href` to be exactly the actor id.
    """
    return {
        "subject": handle.acct,
        "aliases": [actor_iri, *[a for a in aliases if a != actor_iri]],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor_iri},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile_url},
        ],
    }


def parse_jrd_actor_iri(jrd: Any) -> str:
    """The actor IRI from a remote JRD: the `self` link with an ActivityPub media type (RFC 7033, FEP-4adb).

    Accepts `application/activity+json` and `application/ld+json; profile=...` (Pleroma, older servers).
    """
    if not isinstance(jrd, dict) or not isinstance(jrd.get("links"), list):
        raise ParseError("WebFinger response has no links")
    for link in jrd["links"]:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        media = str(link.get("type", "")).split(";")[0].strip().lower()  # media types are case-insensitive
        if media not in (ACTIVITY_JSON, "application/ld+json"):
            continue
        try:
            return require_http_iri(link.get("href"), "self link")
        except ParseError:
            continue  # a malformed self link does not hide a later good one
    raise ParseError("WebFinger response has no ActivityPub self link")


def build_host_meta(base_url: str) -> str:
    """host-meta XRD (RFC 6415) pointing at our WebFinger template; some older servers start here."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{base_url}/.well-known/webfinger?resource={{uri}}"/>\n'
        "</XRD>\n"
    )


def webfinger_url(handle: Handle, scheme: str) -> str:
    """Where to ask about a handle; the scheme is `https` except on development loopback nodes."""
    return f"{scheme}://{handle.host}/.well-known/webfinger?resource={handle.acct}"
