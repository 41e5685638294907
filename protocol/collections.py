"""OrderedCollection and its pages (AS2 core 2.3, ActivityPub 5): outbox, followers, following."""

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
