"""Tests for protocol.collections: OrderedCollection heads and pages (AS2 core 2.3, ActivityPub 5)."""

from protocol.collections import build_collection, build_collection_page
from protocol.jsonld import OUTGOING_CONTEXT

OUTBOX = "https://node.example/actors/reseau/outbox"


def test_collection_head_exact_document() -> None:
    assert build_collection(iri=OUTBOX, total=42, first=f"{OUTBOX}?page=1", last=f"{OUTBOX}?page=5") == {
        "@context": OUTGOING_CONTEXT,
        "id": OUTBOX,
        "type": "OrderedCollection",
        "totalItems": 42,
        "first": f"{OUTBOX}?page=1",
        "last": f"{OUTBOX}?page=5",
    }


def test_collection_head_without_pages_has_no_first_or_last() -> None:
    """An empty or hidden collection (e.g. followers shown only as a count) is just a total."""
    assert build_collection(iri=OUTBOX, total=0, first=None) == {
        "@context": OUTGOING_CONTEXT,
        "id": OUTBOX,
        "type": "OrderedCollection",
        "totalItems": 0,
    }


def test_collection_head_never_embeds_items() -> None:
    doc = build_collection(iri=OUTBOX, total=10_000, first=f"{OUTBOX}?page=1")
    assert "orderedItems" not in doc and "items" not in doc


def test_collection_page_exact_document() -> None:
    items = [{"id": "https://node.example/activities/2", "type": "Create"}, "https://node.example/activities/1"]
    assert build_collection_page(
        iri=f"{OUTBOX}?page=2",
        part_of=OUTBOX,
        items=items,
        next_iri=f"{OUTBOX}?page=3",
        prev_iri=f"{OUTBOX}?page=1",
        total=42,
    ) == {
        "@context": OUTGOING_CONTEXT,
        "id": f"{OUTBOX}?page=2",
        "type": "OrderedCollectionPage",
        "partOf": OUTBOX,
        "orderedItems": items,
        "totalItems": 42,
        "next": f"{OUTBOX}?page=3",
        "prev": f"{OUTBOX}?page=1",
    }


def test_last_page_has_no_next_and_first_page_no_prev() -> None:
    only = build_collection_page(iri=f"{OUTBOX}?page=1", part_of=OUTBOX, items=[], next_iri=None, prev_iri=None)
    assert only == {
        "@context": OUTGOING_CONTEXT,
        "id": f"{OUTBOX}?page=1",
        "type": "OrderedCollectionPage",
        "partOf": OUTBOX,
    }  # an empty page has no orderedItems (AS2)


def test_page_keeps_item_order() -> None:
    items = [f"https://node.example/activities/{n}" for n in (9, 7, 3)]
    page = build_collection_page(iri=f"{OUTBOX}?page=1", part_of=OUTBOX, items=items, next_iri=None, prev_iri=None)
    assert page["orderedItems"] == items
