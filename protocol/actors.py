"""Actor documents: what we publish (Group, Person, Application) and what we read from others.

ActivityPub section 4.1; FEP-1b12 for the network Group; FEP-2677 for the instance actor.
Field choice follows what Mastodon reads from a remote actor (app/lib/activitypub/activity/..
`ActivityPub::ProcessAccountService`): preferredUsername, inbox, outbox, followers, following,
endpoints.sharedInbox, publicKey, icon, url, manuallyApprovesFollowers, discoverable, attachment.
"""

from dataclasses import dataclass, field
from typing import Any

from .errors import ParseError
from .handles import display_name, remote_username
from .iri import require_http_iri, same_origin
from .jsonld import OUTGOING_CONTEXT

ACTOR_TYPES = frozenset({"Person", "Group", "Application", "Service", "Organization"})


@dataclass(frozen=True)
class ProfileField:
    """A `PropertyValue` shown as a row of a Mastodon profile (value may hold simple HTML)."""

    name: str
    value: str


@dataclass(frozen=True)
class LocalActor:
    """One of our actors, as needed to build its document."""

    iri: str
    type: str
    username: str
    name: str
    summary_html: str
    profile_url: str
    public_key_pem: str
    shared_inbox_iri: str
    published: str
    manually_approves_followers: bool = False
    icon_url: str | None = None
    fields: tuple[ProfileField, ...] = ()
    discoverable: bool = True


def build_actor(actor: LocalActor) -> dict[str, Any]:
    """The AS2 document of a local actor; paths derive from its IRI so every route is predictable."""
    doc: dict[str, Any] = {
        "@context": OUTGOING_CONTEXT,
        "id": actor.iri,
        "type": actor.type,
        "preferredUsername": actor.username,
        "name": actor.name,
        "summary": actor.summary_html,
        "url": actor.profile_url,
        "inbox": f"{actor.iri}/inbox",
        "outbox": f"{actor.iri}/outbox",
        "followers": f"{actor.iri}/followers",
        "following": f"{actor.iri}/following",
        "endpoints": {"sharedInbox": actor.shared_inbox_iri},
        "publicKey": {
            "id": f"{actor.iri}#main-key",
            "owner": actor.iri,
            "publicKeyPem": actor.public_key_pem,
        },
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": actor.discoverable,
        "indexable": actor.discoverable,
        "published": actor.published,
    }
    if actor.fields:  # an empty array is left out (AS2 core 2.2: an absent property has no values)
        doc["attachment"] = [{"type": "PropertyValue", "name": f.name, "value": f.value} for f in actor.fields]
    if actor.icon_url:
        doc["icon"] = {"type": "Image", "url": actor.icon_url}
    return doc


@dataclass(frozen=True)
class RemoteActor:
    """The parts of a remote actor document that federation needs."""

    iri: str
    type: str
    inbox: str
    shared_inbox: str | None
    key_id: str
    public_key_pem: str
    username: str | None = None
    name: str | None = None
    url: str | None = None
    followers: str | None = None
    following: str | None = None
    outbox: str | None = None
    icon_url: str | None = None
    extra_keys: tuple[tuple[str, str], ...] = field(default=())


def _first(value: Any) -> Any:
    """AS2 allows a list where one value is expected; take the first (Misskey and Pleroma send lists)."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _link_href(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        href = value.get("href") or value.get("url")
        return href if isinstance(href, str) else _link_href(href) if href else None
    return None


def _keys(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (key id, PEM) the actor publishes: `publicKey` (one or a list) and FEP-521a `assertionMethod`
    entries are not PEM and are skipped here."""
    raw = doc.get("publicKey")
    items = raw if isinstance(raw, list) else [raw]
    keys = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("publicKeyPem"), str):
            keys.append((item["id"], item["publicKeyPem"]))
    return keys


def parse_actor(doc: Any) -> RemoteActor:
    """Read a remote actor document (ActivityPub 4.1). The key must belong to the actor (its `owner`
    matches or its id sits on the actor's host), as Mastodon checks before trusting a key. A
    `preferredUsername` that cannot be a handle (an `@`, a space, a bidi control...) is dropped, and bidi
    controls are taken out of the display name: neither may pose as someone else's handle."""
    if not isinstance(doc, dict):
        raise ParseError("actor document is not a JSON object")
    iri = require_http_iri(doc.get("id"), "actor id")
    kind = _first(doc.get("type"))
    if not isinstance(kind, str) or kind not in ACTOR_TYPES:
        raise ParseError(f"not an actor type: {kind!r}")
    inbox = require_http_iri(doc.get("inbox"), "actor inbox")
    endpoints = doc.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    shared_inbox = require_http_iri(shared, "sharedInbox") if shared else None
    keys = [(k, pem) for k, pem in _keys(doc) if same_origin(k, iri)]
    if not keys:
        raise ParseError("actor has no usable publicKey")

    def optional_iri(name: str) -> str | None:
        value = _link_href(doc.get(name))
        return require_http_iri(value, name) if value else None

    return RemoteActor(
        iri=iri,
        type=kind,
        inbox=inbox,
        shared_inbox=shared_inbox,
        key_id=keys[0][0],
        public_key_pem=keys[0][1],
        username=remote_username(doc.get("preferredUsername")),
        name=display_name(doc.get("name")),
        url=optional_iri("url"),
        followers=optional_iri("followers"),
        following=optional_iri("following"),
        outbox=optional_iri("outbox"),
        icon_url=optional_iri("icon"),
        extra_keys=tuple(keys[1:]),
    )
