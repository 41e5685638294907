"""Tests for protocol.activities: building our activities and parsing others' (AS2 vocabulary 3, AP 6-7)."""

from typing import Any

import pytest

from protocol.activities import (
    MAX_ADDRESSES,
    Activity,
    ObjectRef,
    addressed_publicly,
    build_accept,
    build_announce,
    build_create,
    build_delete,
    build_follow,
    build_reject,
    build_undo,
    build_update,
    parse_activity,
    strip_context,
)
from protocol.errors import ParseError
from protocol.jsonld import AS_CONTEXT_IRI, AS_PUBLIC, OUTGOING_CONTEXT

GROUP = "https://node.example/actors/reseau"
ALICE = "https://mastodon.example/users/alice"
LOU = "https://pleroma.example/users/lou"


# --- build_* -> parse_activity ----------------------------------------------------------------


def test_follow_round_trip() -> None:
    doc = build_follow(iri=f"{GROUP}/follows/1", actor=GROUP, followee=ALICE)
    assert doc == {
        "@context": OUTGOING_CONTEXT,
        "id": f"{GROUP}/follows/1",
        "type": "Follow",
        "actor": GROUP,
        "object": ALICE,
    }
    assert parse_activity(doc) == Activity(
        iri=f"{GROUP}/follows/1", type="Follow", actor=GROUP, object=ObjectRef(iri=ALICE)
    )


def test_accept_round_trip_embeds_the_follow_without_context() -> None:
    follow = {
        "@context": AS_CONTEXT_IRI,
        "id": "https://mastodon.example/1ea87517-63c5-4118-8831-460ee641b2cf",
        "type": "Follow",
        "actor": ALICE,
        "object": GROUP,
    }
    doc = build_accept(iri=f"{GROUP}/accepts/1", actor=GROUP, follow=follow)
    assert doc == {
        "@context": OUTGOING_CONTEXT,
        "id": f"{GROUP}/accepts/1",
        "type": "Accept",
        "actor": GROUP,
        "object": strip_context(follow),
        "to": [ALICE],
    }
    assert "@context" not in doc["object"]
    assert parse_activity(doc) == Activity(
        iri=f"{GROUP}/accepts/1",
        type="Accept",
        actor=GROUP,
        object=ObjectRef(
            iri=follow["id"], type="Follow", embedded=strip_context(follow), actor=ALICE, object_iri=GROUP
        ),
        to=(ALICE,),
    )


def test_reject_round_trip() -> None:
    follow = {"id": f"{ALICE}#follows/9", "type": "Follow", "actor": ALICE, "object": GROUP}
    activity = parse_activity(build_reject(iri=f"{GROUP}/rejects/9", actor=GROUP, follow=follow))
    assert activity.type == "Reject"
    assert activity.object == ObjectRef(iri=f"{ALICE}#follows/9", type="Follow", embedded=follow, actor=ALICE,
                                        object_iri=GROUP)
    assert activity.to == (ALICE,)


def test_undo_follow_round_trip() -> None:
    follow = build_follow(iri=f"{GROUP}/follows/1", actor=GROUP, followee=ALICE)
    doc = build_undo(iri=f"{GROUP}/follows/1/undo", actor=GROUP, activity=follow)
    assert doc == {
        "@context": OUTGOING_CONTEXT,
        "id": f"{GROUP}/follows/1/undo",
        "type": "Undo",
        "actor": GROUP,
        "object": {"id": f"{GROUP}/follows/1", "type": "Follow", "actor": GROUP, "object": ALICE},
    }
    activity = parse_activity(doc)
    assert activity.object is not None
    assert (activity.object.iri, activity.object.type) == (f"{GROUP}/follows/1", "Follow")
    assert (activity.object.actor, activity.object.object_iri) == (GROUP, ALICE)


def test_undo_copies_the_addressing_of_the_undone_activity() -> None:
    announce = build_announce(iri=f"{GROUP}/announces/3", actor=GROUP, object_iri=f"{ALICE}/statuses/1",
                              to=[AS_PUBLIC], cc=[f"{GROUP}/followers"], published="2024-03-01T10:00:00Z")
    activity = parse_activity(build_undo(iri=f"{GROUP}/announces/3/undo", actor=GROUP, activity=announce))
    assert activity.to == (AS_PUBLIC,) and activity.cc == (f"{GROUP}/followers",)
    assert activity.object is not None and activity.object.object_iri == f"{ALICE}/statuses/1"


def test_create_and_update_round_trip() -> None:
    note = {
        "@context": OUTGOING_CONTEXT,
        "id": f"{GROUP}/notes/1",
        "type": "Note",
        "attributedTo": GROUP,
        "content": "<p>Bonjour</p>",
        "to": [AS_PUBLIC],
        "cc": [f"{GROUP}/followers"],
    }
    for build, kind in ((build_create, "Create"), (build_update, "Update")):
        doc = build(iri=f"{GROUP}/notes/1#{kind}", actor=GROUP, obj=note, published="2024-03-01T10:00:00Z")
        assert doc["object"] == strip_context(note)
        assert parse_activity(doc) == Activity(
            iri=f"{GROUP}/notes/1#{kind}",
            type=kind,
            actor=GROUP,
            object=ObjectRef(iri=f"{GROUP}/notes/1", type="Note", embedded=strip_context(note)),
            to=(AS_PUBLIC,),
            cc=(f"{GROUP}/followers",),
            published="2024-03-01T10:00:00Z",
        )


def test_announce_round_trip() -> None:
    doc = build_announce(iri=f"{GROUP}/announces/1", actor=GROUP, object_iri=f"{ALICE}/statuses/1",
                         to=[AS_PUBLIC], cc=[f"{GROUP}/followers", ALICE], published="2024-03-01T10:00:00Z")
    assert doc["object"] == f"{ALICE}/statuses/1"
    assert parse_activity(doc) == Activity(
        iri=f"{GROUP}/announces/1",
        type="Announce",
        actor=GROUP,
        object=ObjectRef(iri=f"{ALICE}/statuses/1"),
        to=(AS_PUBLIC,),
        cc=(f"{GROUP}/followers", ALICE),
        published="2024-03-01T10:00:00Z",
    )


def test_delete_round_trip_carries_a_tombstone() -> None:
    doc = build_delete(iri=f"{GROUP}/notes/1#delete", actor=GROUP, object_iri=f"{GROUP}/notes/1",
                       former_type="Article", deleted="2024-03-02T00:00:00Z", to=[AS_PUBLIC], cc=[])
    tombstone = {"id": f"{GROUP}/notes/1", "type": "Tombstone", "formerType": "Article",
                 "deleted": "2024-03-02T00:00:00Z"}
    assert doc == {
        "@context": OUTGOING_CONTEXT,
        "id": f"{GROUP}/notes/1#delete",
        "type": "Delete",
        "actor": GROUP,
        "object": tombstone,
        "to": [AS_PUBLIC],
        "cc": [],
    }
    assert parse_activity(doc) == Activity(
        iri=f"{GROUP}/notes/1#delete",
        type="Delete",
        actor=GROUP,
        object=ObjectRef(iri=f"{GROUP}/notes/1", type="Tombstone", embedded=tombstone),
        to=(AS_PUBLIC,),
    )


# --- activities as other servers send them ----------------------------------------------------


def test_parse_mastodon_follow() -> None:
    activity = parse_activity({
        "@context": AS_CONTEXT_IRI,
        "id": "https://mastodon.example/1ea87517-63c5-4118-8831-460ee641b2cf",
        "type": "Follow",
        "actor": ALICE,
        "object": GROUP,
    })
    assert activity == Activity(iri="https://mastodon.example/1ea87517-63c5-4118-8831-460ee641b2cf",
                                type="Follow", actor=ALICE, object=ObjectRef(iri=GROUP))
    assert not activity.is_public


def test_parse_pleroma_follow() -> None:
    activity = parse_activity({
        "@context": [AS_CONTEXT_IRI, "https://pleroma.example/schemas/litepub-0.1.jsonld", {"@language": "und"}],
        "actor": LOU,
        "cc": [],
        "id": "https://pleroma.example/activities/dab6a4d3-0db0-41ee-8aab-7bfa4929b4fd",
        "object": GROUP,
        "state": "pending",
        "to": [GROUP],
        "type": "Follow",
    })
    assert (activity.type, activity.actor, activity.object) == ("Follow", LOU, ObjectRef(iri=GROUP))
    assert activity.to == (GROUP,) and activity.cc == ()


def test_parse_mastodon_undo_follow() -> None:
    follow = {"id": "https://mastodon.example/5f0d1c2e-8a4b-4c3d-9e2f-1a2b3c4d5e6f", "type": "Follow",
              "actor": ALICE, "object": GROUP}
    activity = parse_activity({
        "@context": AS_CONTEXT_IRI,
        "id": f"{ALICE}#follows/123/undo",
        "type": "Undo",
        "actor": ALICE,
        "object": follow,
    })
    assert activity.object == ObjectRef(iri=follow["id"], type="Follow", embedded=follow, actor=ALICE,
                                        object_iri=GROUP)


def test_parse_undo_with_embedded_actor_objects() -> None:
    follow = {"id": f"{LOU}/follows/1", "type": "Follow", "actor": {"id": LOU, "type": "Person"},
              "object": [{"id": GROUP, "type": "Group"}]}
    activity = parse_activity({"id": f"{LOU}/undo/1", "type": "Undo", "actor": {"id": LOU}, "object": follow})
    assert activity.actor == LOU
    assert activity.object is not None
    assert (activity.object.actor, activity.object.object_iri) == (LOU, GROUP)


def test_parse_accept_follow_embedded() -> None:
    """Mastodon embeds the Follow it accepts; its id is the follower's Follow id."""
    follow = {"id": f"{GROUP}/follows/1", "type": "Follow", "actor": GROUP, "object": ALICE}
    activity = parse_activity({
        "@context": AS_CONTEXT_IRI,
        "id": f"{ALICE}#accepts/follows/42",
        "type": "Accept",
        "actor": ALICE,
        "object": follow,
    })
    assert activity.object == ObjectRef(iri=f"{GROUP}/follows/1", type="Follow", embedded=follow, actor=GROUP,
                                        object_iri=ALICE)


def test_parse_accept_follow_by_iri() -> None:
    activity = parse_activity({
        "id": "https://misskey.example/0b7e3c1a-4d2f-4e5a-9b8c-7d6e5f4a3b2c",
        "type": "Accept",
        "actor": "https://misskey.example/users/9t2x0f1a3b",
        "object": f"{GROUP}/follows/1",
    })
    assert activity.object == ObjectRef(iri=f"{GROUP}/follows/1")


def test_parse_mastodon_create_note() -> None:
    note = {
        "id": f"{ALICE}/statuses/111",
        "type": "Note",
        "summary": None,
        "inReplyTo": f"{GROUP}/practices/1",
        "published": "2024-03-01T10:00:00Z",
        "url": "https://mastodon.example/@alice/111",
        "attributedTo": ALICE,
        "to": [AS_PUBLIC],
        "cc": [f"{ALICE}/followers", GROUP],
        "sensitive": False,
        "content": "<p>Merci !</p>",
        "contentMap": {"fr": "<p>Merci !</p>"},
        "tag": [{"type": "Mention", "href": GROUP, "name": "@reseau@node.example"}],
    }
    activity = parse_activity({
        "@context": [AS_CONTEXT_IRI, {"ostatus": "http://ostatus.org#"}],
        "id": f"{ALICE}/statuses/111/activity",
        "type": "Create",
        "actor": ALICE,
        "published": "2024-03-01T10:00:00Z",
        "to": [AS_PUBLIC],
        "cc": [f"{ALICE}/followers", GROUP],
        "object": note,
    })
    assert activity == Activity(
        iri=f"{ALICE}/statuses/111/activity",
        type="Create",
        actor=ALICE,
        object=ObjectRef(iri=note["id"], type="Note", embedded=note),
        to=(AS_PUBLIC,),
        cc=(f"{ALICE}/followers", GROUP),
        published="2024-03-01T10:00:00Z",
    )
    assert activity.is_public


def test_parse_gotosocial_create_with_single_string_addressing() -> None:
    """GoToSocial serializes a one-element `to`/`cc` as a plain string (legal AS2)."""
    zork = "https://gts.example/users/the_mighty_zork"
    activity = parse_activity({
        "@context": AS_CONTEXT_IRI,
        "actor": zork,
        "cc": f"{zork}/followers",
        "id": f"{zork}/statuses/01F8MHAAY43M6RJ473VQFCVH37/activity",
        "object": f"{zork}/statuses/01F8MHAAY43M6RJ473VQFCVH37",
        "published": "2021-10-20T12:36:45Z",
        "to": AS_PUBLIC,
        "type": "Create",
    })
    assert activity.to == (AS_PUBLIC,)
    assert activity.cc == (f"{zork}/followers",)
    assert activity.object == ObjectRef(iri=f"{zork}/statuses/01F8MHAAY43M6RJ473VQFCVH37")
    assert activity.is_public


def test_parse_mastodon_announce() -> None:
    activity = parse_activity({
        "@context": AS_CONTEXT_IRI,
        "id": f"{ALICE}/statuses/112/activity",
        "type": "Announce",
        "actor": ALICE,
        "published": "2024-03-01T11:00:00Z",
        "to": [AS_PUBLIC],
        "cc": [GROUP, f"{ALICE}/followers"],
        "object": f"{GROUP}/practices/1",
    })
    assert activity.object == ObjectRef(iri=f"{GROUP}/practices/1")
    assert activity.is_public


def test_parse_lemmy_announce_of_an_embedded_activity() -> None:
    """FEP-1b12 groups (Lemmy) announce the whole activity, embedded with its own object."""
    community = "https://lemmy.example/c/tenforward"
    page = {"id": "https://lemmy.example/post/1", "type": "Page", "attributedTo": "https://lemmy.example/u/picard"}
    create = {"id": "https://lemmy.example/activities/create/1", "type": "Create",
              "actor": "https://lemmy.example/u/picard", "object": page, "to": [community, AS_PUBLIC]}
    activity = parse_activity({
        "@context": ["https://join-lemmy.org/context.json", AS_CONTEXT_IRI],
        "id": "https://lemmy.example/activities/announce/create/1",
        "type": "Announce",
        "actor": community,
        "to": [AS_PUBLIC],
        "cc": [f"{community}/followers"],
        "object": create,
    })
    assert activity.object == ObjectRef(iri=create["id"], type="Create", embedded=create,
                                        actor="https://lemmy.example/u/picard",
                                        object_iri="https://lemmy.example/post/1")


def test_parse_mastodon_delete_tombstone() -> None:
    tombstone = {"id": f"{ALICE}/statuses/111", "type": "Tombstone", "atomUri": f"{ALICE}/statuses/111"}
    activity = parse_activity({
        "@context": [AS_CONTEXT_IRI, {"ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri"}],
        "id": f"{ALICE}/statuses/111#delete",
        "type": "Delete",
        "actor": ALICE,
        "to": [AS_PUBLIC],
        "object": tombstone,
    })
    assert activity.object == ObjectRef(iri=tombstone["id"], type="Tombstone", embedded=tombstone)


def test_parse_delete_of_an_actor_by_iri() -> None:
    activity = parse_activity({"id": f"{ALICE}#delete", "type": "Delete", "actor": ALICE, "object": ALICE,
                               "to": [AS_PUBLIC]})
    assert activity.object == ObjectRef(iri=ALICE)


def test_parse_activity_without_object_or_with_target() -> None:
    add = parse_activity({"id": f"{ALICE}#add/1", "type": "Add", "actor": ALICE, "object": f"{ALICE}/statuses/1",
                          "target": {"id": f"{ALICE}/collections/featured", "type": "OrderedCollection"}})
    assert add.target == f"{ALICE}/collections/featured"
    bare = parse_activity({"id": f"{ALICE}#question-end", "type": "Update", "actor": ALICE, "object": None})
    assert bare.object is None


def test_type_list_takes_the_first_string() -> None:
    assert parse_activity({"id": f"{ALICE}#1", "type": [7, "Create", "Other"], "actor": ALICE}).type == "Create"
    note = {"id": f"{ALICE}/s/1", "type": ["Note", "schema:Thing"]}
    activity = parse_activity({"id": f"{ALICE}#2", "type": "Create", "actor": ALICE, "object": note})
    assert activity.object is not None and activity.object.type == "Note"


def test_published_must_be_a_string() -> None:
    activity = parse_activity({"id": f"{ALICE}#1", "type": "Like", "actor": ALICE, "published": 1700000000})
    assert activity.published is None


# --- addressing and public detection ----------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "cc", "expected"),
    [
        (AS_PUBLIC, None, (AS_PUBLIC,)),
        ([AS_PUBLIC], None, (AS_PUBLIC,)),
        ([AS_PUBLIC, 5, None, ["nested"], {"id": GROUP}, {"type": "Link"}], None, (AS_PUBLIC, GROUP)),
        (None, None, ()),
        ([], [], ()),
        ({"id": GROUP, "type": "Group"}, None, (GROUP,)),
    ],
)
def test_to_forms(to: Any, cc: Any, expected: tuple[str, ...]) -> None:
    doc: dict[str, Any] = {"id": f"{ALICE}#1", "type": "Create", "actor": ALICE}
    if to is not None:
        doc["to"] = to
    if cc is not None:
        doc["cc"] = cc
    assert parse_activity(doc).to == expected


@pytest.mark.parametrize(
    ("to", "cc", "public"),
    [
        ([AS_PUBLIC], [], True),
        ([f"{ALICE}/followers"], [AS_PUBLIC], True),  # unlisted is still public
        ("as:Public", None, True),
        (None, "Public", True),
        ([{"id": AS_PUBLIC}], None, True),
        ([f"{ALICE}/followers"], [GROUP], False),
        ([GROUP], None, False),
        (None, None, False),
        (["https://www.w3.org/ns/activitystreams#public"], None, False),
        (["https://www.w3.org/ns/activitystreams"], None, False),
        (["http://www.w3.org/ns/activitystreams#PublicX"], None, False),
    ],
)
def test_public_detection(to: Any, cc: Any, public: bool) -> None:
    doc: dict[str, Any] = {"id": f"{ALICE}#1", "type": "Create", "actor": ALICE, "to": to, "cc": cc}
    assert parse_activity(doc).is_public is public


def test_addresses_up_to_the_limit_are_accepted() -> None:
    doc = {"id": f"{ALICE}#1", "type": "Create", "actor": ALICE,
           "cc": [f"https://x.example/u/{n}" for n in range(MAX_ADDRESSES)]}
    assert len(parse_activity(doc).cc) == MAX_ADDRESSES


# --- rejections -------------------------------------------------------------------------------

BASE: dict[str, Any] = {"id": f"{ALICE}#1", "type": "Follow", "actor": ALICE, "object": GROUP}
_DELETE = object()


def _with(**changes: Any) -> dict[str, Any]:
    doc = dict(BASE)
    for key, value in changes.items():
        if value is _DELETE:
            del doc[key]
        else:
            doc[key] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (None, "activity is not a JSON object"),
        ([BASE], "activity is not a JSON object"),
        ("https://mastodon.example/users/alice#1", "activity is not a JSON object"),
        (_with(id=_DELETE), "id must be an IRI string"),
        (_with(id=None), "id must be an IRI string"),
        (_with(id=""), "id must be an IRI string"),
        (_with(id="urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"), "id must be an http(s) IRI"),
        (_with(id="/activities/1"), "id must be an http(s) IRI"),
        (_with(id="https://[::1/x"), "id is not a valid IRI"),
        (_with(type=_DELETE), "type is missing or not a string"),
        (_with(type=None), "type is missing or not a string"),
        (_with(type=""), "type is missing or not a string"),
        (_with(type=[]), "type is missing or not a string"),
        (_with(type={"id": "Follow"}), "type is missing or not a string"),
        (_with(type="F" * 101), "type is missing or not a string"),
        (_with(actor=_DELETE), "actor is missing"),
        (_with(actor=None), "actor must be an IRI string"),
        (_with(actor="acct:alice@mastodon.example"), "actor must be an http(s) IRI"),
        (_with(actor={"type": "Person"}), "actor must be an IRI string"),
        (_with(actor=[ALICE, LOU]), "actor must be an IRI string"),
        (_with(actor=[]), "actor must be an IRI string"),
        (_with(object=[GROUP, ALICE]), "object must be a single value"),
        (_with(object=[]), "object must be a single value"),
        (_with(object=42), "object must be an IRI or an object"),
        (_with(object=""), "object must be an IRI string"),
        (_with(object="ftp://node.example/x"), "object must be an http(s) IRI"),
        (_with(object={"type": "Note"}), "object id must be an IRI string"),
        (_with(object={"id": "tag:node.example,2024:1", "type": "Note"}), "object id must be an http(s) IRI"),
        (_with(object={"id": GROUP, "type": 3}), "object type is missing or not a string"),
        (_with(object={"id": f"{ALICE}#f", "type": "Follow", "actor": "alice"}), "object actor must be an http(s) IRI"),
        (_with(object={"id": f"{ALICE}#f", "type": "Follow", "actor": ALICE, "object": [GROUP, LOU]}),
         "object object must be an IRI string"),
        (_with(target="collections/featured"), "target must be an http(s) IRI"),
        (_with(to=[AS_PUBLIC] * (MAX_ADDRESSES + 1)), f"to has more than {MAX_ADDRESSES} entries"),
        (_with(cc=[GROUP] * (MAX_ADDRESSES + 1)), f"cc has more than {MAX_ADDRESSES} entries"),
    ],
)
def test_reject_with_reason(doc: Any, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_activity(doc)
    assert info.value.reason.startswith(reason)


def test_strip_context_copies() -> None:
    doc = {"@context": AS_CONTEXT_IRI, "id": f"{ALICE}#1", "type": "Follow"}
    stripped = strip_context(doc)
    assert stripped == {"id": f"{ALICE}#1", "type": "Follow"}
    assert "@context" in doc


@pytest.mark.parametrize(("document", "public"), [
    ({"to": [AS_PUBLIC]}, True),
    ({"to": ["https://a.example/users/bob/followers"], "cc": "as:Public"}, True),  # Mastodon's unlisted
    ({"to": [{"id": "Public"}]}, True),
    ({}, True),  # addressed on the activity only
    ({"to": ["https://a.example/users/bob/followers"]}, False),  # followers only
    ({"to": "https://node.test/users/olga", "cc": []}, False),  # direct
], ids=["public", "unlisted", "embedded", "unaddressed", "followers", "direct"])
def test_addressed_publicly(document: dict[str, object], public: bool) -> None:
    assert addressed_publicly(document) is public
