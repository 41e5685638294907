"""OrderedCollection and its pages (AS2 core 2.3, ActivityPub 5): outbox, followers, following; and
reading other servers' collections, as varied as they come."""

from collections.abc import Mapping
from typing import Any

from .jsonld import OUTGOING_CONTEXT


def build_collection(*, iri: str, total: int, first: str | None, last: str | None = None) -> dict[str, Any]:
    """The collection head: a count and a link to the first page; items live on pages only,
    so a head stays small however many followers a network has."""
    doc: dict[str, Any] = {"@context": OUTGOING_CONTEXT, "id": iri, "type": "OrderedCollection", "totalItems": total}
    if first:
        doc["first"] = first
    if last:
        doc["last"] = last
    return doc


def build_collection_page(
    *, iri: str, part_of: str, items: list[Any], next_iri: str | None, prev_iri: str | None, total: int | None = None
) -> dict[str, Any]:
    """One OrderedCollectionPage, newest first for outboxes (ActivityPub 5.1)."""
    doc: dict[str, Any] = {
        "@context": OUTGOING_CONTEXT,
        "id": iri,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
    }
    if items:  # an empty page has no orderedItems (AS2: an absent property, not an empty array)
        doc["orderedItems"] = items
    if total is not None:
        doc["totalItems"] = total
    if next_iri:
        doc["next"] = next_iri
    if prev_iri:
        doc["prev"] = prev_iri
    return doc


def item_iri(value: Any) -> str | None:
    """The http(s) IRI of an item given by IRI or embedded (a list of one counts as that one)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def collection_items(page: Mapping[str, Any]) -> list[Any]:
    """The items of a collection or page: `orderedItems`, else `items`; a single item is a list of one,
    and none (an empty page leaves the property out) an empty list."""
    items = page.get("orderedItems", page.get("items"))
    return items if isinstance(items, list) else [items] if items is not None else []


def _types(doc: Mapping[str, Any]) -> list[Any]:
    kind = doc.get("type")
    return kind if isinstance(kind, list) else [kind]


def outbox_target(item: Mapping[str, Any], content_types: frozenset[str]) -> str | None:
    """The IRI of the object an outbox item brings: a Create's or an Announce's object (Lemmy's
    Announce{Create{object}} included), or the item itself when it is a bare object of `content_types`
    (Takahē's outbox lists posts, not activities). None for any other activity, and for an embedded
    object plainly of another type (a Note, a Question), so that nothing is fetched for it."""
    if any(t in content_types for t in _types(item)):
        return item_iri(item)
    kind, obj = item.get("type"), item.get("object")
    if kind == "Announce" and isinstance(obj, dict) and obj.get("type") == "Create":
        obj = obj.get("object")
    elif kind not in ("Create", "Announce"):
        return None
    if isinstance(obj, dict) and isinstance(obj.get("type"), str) and obj["type"] not in content_types:
        return None
    return item_iri(obj)
