"""Activities: parse incoming JSON once, at the edge, into frozen dataclasses; build outgoing ones.

ActivityStreams 2.0 vocabulary section 3; ActivityPub sections 6 and 7.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from .errors import ParseError
from .iri import iri_host, require_http_iri, same_origin
from .jsonld import AS_PUBLIC, OUTGOING_CONTEXT

# Mastodon and Pleroma sometimes send the compacted forms of Public.
PUBLIC_ALIASES = frozenset({AS_PUBLIC, "as:Public", "Public"})
MAX_ADDRESSES = 10_000


def addressed_publicly(document: dict[str, Any]) -> bool:
    """Whether an object is for everyone to read: its `to` or `cc` holds Public (Mastodon's public and
    unlisted posts), or it has no addressing of its own (some servers address only the activity). A
    followers-only post or a direct message is not."""
    addressed = [document.get(field) for field in ("to", "cc") if document.get(field) is not None]
    if not addressed:
        return True
    return any((entry.get("id") if isinstance(entry, dict) else entry) in PUBLIC_ALIASES
               for value in addressed for entry in (value if isinstance(value, list) else [value]))


@dataclass(frozen=True)
class ObjectRef:
    """An activity's `object`: always an IRI; `embedded` keeps the inline document when one was sent."""

    iri: str
    type: str | None = None
    embedded: "dict[str, Any] | None" = None
    # For an embedded activity (Undo{Follow}, Accept{Follow}): its actor and object.
    actor: str | None = None
    object_iri: str | None = None


@dataclass(frozen=True)
class Activity:
    """An incoming activity, reduced to what the node acts on."""

    iri: str
    type: str
    actor: str
    object: ObjectRef | None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    target: str | None = None
    published: str | None = None

    @property
    def is_public(self) -> bool:
        return any(a in PUBLIC_ALIASES for a in (*self.to, *self.cc))


def _single_type(value: Any, field: str) -> str:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if not isinstance(value, str) or not value or len(value) > 100:
        raise ParseError(f"{field} is missing or not a string")
    return value


def _id_of(value: Any, field: str) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, list) and len(value) == 1:
        return _id_of(value[0], field)
    return require_http_iri(value, field)


def _addresses(value: Any, field: str) -> tuple[str, ...]:
    """`to`/`cc` as a tuple of strings; one string or a list are both legal AS2."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_ADDRESSES:
        raise ParseError(f"{field} has more than {MAX_ADDRESSES} entries")
    out = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("id")
        if isinstance(item, str):
            out.append(item)
    return tuple(out)


def _object_ref(value: Any) -> ObjectRef:
    if isinstance(value, list):
        if len(value) != 1:
            raise ParseError("object must be a single value")
        value = value[0]
    if isinstance(value, str):
        return ObjectRef(iri=require_http_iri(value, "object"))
    if not isinstance(value, dict):
        raise ParseError("object must be an IRI or an object")
    iri = require_http_iri(value.get("id"), "object id")
    kind = value.get("type")
    kind = _single_type(kind, "object type") if kind is not None else None
    actor = value.get("actor")
    inner_object = value.get("object")
    return ObjectRef(
        iri=iri,
        type=kind,
        embedded=value,
        actor=_id_of(actor, "object actor") if actor is not None else None,
        object_iri=_id_of(inner_object, "object object") if inner_object is not None else None,
    )


def parse_activity(doc: Any) -> Activity:
    """Read a (compacted) activity. Requires `id`, `type` and `actor`, as Mastodon does before processing.

    Transient activities without an id are refused: we dedupe on ids, and Mastodon always sends one.
    """
    if not isinstance(doc, dict):
        raise ParseError("activity is not a JSON object")
    iri = require_http_iri(doc.get("id"), "id")
    kind = _single_type(doc.get("type"), "type")
    if "actor" not in doc:
        raise ParseError("actor is missing")
    actor = _id_of(doc.get("actor"), "actor")
    value = doc.get("object")
    if kind == "Flag" and isinstance(value, list) and value:
        value = value[0]  # a report names an account and its posts: the handler reads them all from the document
    obj = _object_ref(value) if value is not None else None
    target = doc.get("target")
    published = doc.get("published")
    return Activity(
        iri=iri,
        type=kind,
        actor=actor,
        object=obj,
        to=_addresses(doc.get("to"), "to"),
        cc=_addresses(doc.get("cc"), "cc"),
        target=_id_of(target, "target") if target is not None else None,
        published=published if isinstance(published, str) else None,
    )


# Activities that bring their actor's own object, to create or to change: its id is minted on their server.
_OWN_OBJECT = frozenset({"Create", "Update"})


def check_origins(activity: Activity) -> None:
    """Ids are minted by the actor's server: an activity's id, and the id of the object a Create or Update
    brings, must sit on the actor's host (as Mastodon checks), or anyone could take another server's ids
    first (the inbox dedupes on them) or speak for its objects. An Announce, a Like or an Undo names
    anyone's object. Raises ParseError saying which id is elsewhere."""
    host = iri_host(activity.actor)
    if not same_origin(activity.iri, activity.actor):
        raise ParseError(f"activity id {activity.iri} is not on the actor's host {host}")
    if activity.type in _OWN_OBJECT and activity.object is not None \
            and not same_origin(activity.object.iri, activity.actor):
        raise ParseError(f"object id {activity.object.iri} of a {activity.type} is not on the actor's host {host}")


def attributed_to(document: dict[str, Any]) -> str | None:
    """The IRI an object's `attributedTo` names (an IRI or an embedded actor), or None (absent, a list)."""
    value = document.get("attributedTo")
    value = value.get("id") if isinstance(value, dict) else value
    return value if isinstance(value, str) else None


def with_transient_id(doc: dict[str, Any], body: bytes) -> dict[str, Any]:
    """`doc` with an `id` if it is a Delete sent without one (a transient activity, AS2 Core §4.1).

    GoToSocial sends its Delete of a status without an `id` (typeutils.StatusToASDelete), and Mastodon
    processes it. We dedupe on ids, so one is made on the actor's own origin from a digest of the exact
    bytes received (a retried delivery dedupes), as a fragment no server mints. Any other activity, or a
    Delete with an `id` member (even a bad one) or without an actor IRI, is returned unchanged and
    `parse_activity` decides.
    """
    actor = doc.get("actor")
    actor = actor.get("id") if isinstance(actor, dict) else actor
    if doc.get("type") != "Delete" or "id" in doc or not isinstance(actor, str):
        return doc
    if not actor.startswith(("https://", "http://")):
        return doc
    return {**doc, "id": f"{actor.split('#', 1)[0]}#transient-{hashlib.sha256(body).hexdigest()[:32]}"}


def _envelope(kind: str, iri: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": OUTGOING_CONTEXT, "id": iri, "type": kind, "actor": actor, "object": obj}
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc


def strip_context(doc: dict[str, Any]) -> dict[str, Any]:
    """An embedded object without its own `@context`: contexts belong to the top-level document only."""
    return {k: v for k, v in doc.items() if k != "@context"}


def build_follow(*, iri: str, actor: str, followee: str) -> dict[str, Any]:
    """Follow (AS2 vocabulary 3, ActivityPub 7.5)."""
    return _envelope("Follow", iri, actor, followee)


def build_accept(*, iri: str, actor: str, follow: dict[str, Any]) -> dict[str, Any]:
    """Accept of a Follow (or of a Join of an event). Mastodon matches the Follow by id and also accepts
    the embedded form, Mobilizon matches a Join by its id: we embed the original activity (id, type,
    actor, object) as received. (`follow` names any activity answered.)"""
    return _envelope("Accept", iri, actor, strip_context(follow), to=[follow.get("actor")])


def build_reject(*, iri: str, actor: str, follow: dict[str, Any]) -> dict[str, Any]:
    """Reject of a Follow or a Join, same shape as Accept."""
    return _envelope("Reject", iri, actor, strip_context(follow), to=[follow.get("actor")])


def build_undo(*, iri: str, actor: str, activity: dict[str, Any]) -> dict[str, Any]:
    """Undo (ActivityPub 6.10), embedding the undone activity so receivers need not fetch it."""
    return _envelope("Undo", iri, actor, strip_context(activity), to=activity.get("to"), cc=activity.get("cc"))


def build_create(*, iri: str, actor: str, obj: dict[str, Any], published: str) -> dict[str, Any]:
    """Create (ActivityPub 6.2): copies the object's addressing, as the spec recommends."""
    return _envelope(
        "Create", iri, actor, strip_context(obj), to=obj.get("to"), cc=obj.get("cc"), published=published
    )


def build_update(*, iri: str, actor: str, obj: dict[str, Any], published: str) -> dict[str, Any]:
    """Update (ActivityPub 6.3): the whole new object, embedded."""
    return _envelope(
        "Update", iri, actor, strip_context(obj), to=obj.get("to"), cc=obj.get("cc"), published=published
    )


def build_announce(
    *, iri: str, actor: str, object_iri: str, to: list[str], cc: list[str], published: str
) -> dict[str, Any]:
    """Announce of an object by IRI (FEP-1b12). Mastodon only boosts an Announce whose object is the
    post itself, so the Group announces the object, not the Create."""
    return _envelope("Announce", iri, actor, object_iri, to=to, cc=cc, published=published)


def build_delete(*, iri: str, actor: str, object_iri: str, former_type: str, deleted: str,
                 to: list[str], cc: list[str]) -> dict[str, Any]:
    """Delete (ActivityPub 6.4) carrying a Tombstone, as Mastodon sends and expects."""
    tombstone = {"id": object_iri, "type": "Tombstone", "formerType": former_type, "deleted": deleted}
    return _envelope("Delete", iri, actor, tombstone, to=to, cc=cc)
