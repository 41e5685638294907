"""Property tests of the whole parsing pipeline a remote document goes through, on documents derived from
real ones: every fixture (Mastodon, Misskey, Pleroma, GoToSocial, Lemmy, Mobilizon and Fedify actors and
activities) with a few of its values replaced, removed or wrapped, then compacted (`compact`) and read by
every parser that may see it (`parse_activity`, `parse_actor`, `parse_*_details`, `parse_place`,
`parse_attachments`, `parse_vote`). Only ProtocolError may come out, and what parses keeps its
invariants. tests/protocol/ checks each parser alone on arbitrary JSON; this checks them behind
compaction, on the shapes peers really send."""

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.activities import parse_activity
from protocol.actors import parse_actor
from protocol.attachments import MAX_ATTACHMENTS, parse_attachments
from protocol.errors import ProtocolError
from protocol.iri import require_http_iri, same_origin
from protocol.journeys import parse_journey_details
from protocol.jsonld import compact
from protocol.outcomes import parse_outcome_details
from protocol.places import parse_place
from protocol.polls import RSVP_CHOICES, parse_vote
from protocol.practices import parse_practice_details
from tests.support.ld import JSON as VALUES

FUZZ = settings(max_examples=150, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = {p.name: json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*/*.json"))}
DOCUMENTS = list(FILES.values())
CONTEXTS = st.sampled_from([
    "https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", "https://evil.example/context",
    {"@vocab": "https://v.example/"}, {"@language": "und"}, {"id": "@id", "type": "@type"},
    {"object": {"@id": "as:object", "@type": "@id"}}, {"foo": "https://x.example/ns#foo"},
    {"actor": "https://x.example/ns#actor"}, {"@base": "https://base.example/"}, None,
])


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document a value can be replaced at: object keys and array indexes."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(_paths(item, (*prefix, index)))
    return out


def _apply(doc: Any, path: tuple[Any, ...], how: str, value: Any) -> Any:
    """A copy of `doc` with the value at `path` replaced, removed, or wrapped in a list or an object."""
    if not path:
        return doc
    head, *rest = path
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    if rest:
        copy[head] = _apply(copy[head], tuple(rest), how, value)
    elif how == "remove":
        del copy[head]
    else:
        copy[head] = {"replace": value, "wrap in a list": [copy[head], value],
                      "wrap in an object": {"id": copy[head], "type": value}}[how]
    return copy


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = draw(st.sampled_from(DOCUMENTS))
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        how = draw(st.sampled_from(["replace", "remove", "wrap in a list", "wrap in an object"]))
        doc = _apply(doc, path, how, draw(VALUES))
    if draw(st.booleans()):
        doc = {**doc, "@context": [draw(CONTEXTS) for _ in range(draw(st.integers(0, 3)))]}
    return doc


def _read_everything(doc: dict[str, Any]) -> None:
    """What the node reads of a compacted document, wherever it may come from."""
    try:
        activity = parse_activity(doc)
    except ProtocolError as exc:
        assert exc.reason
    else:
        require_http_iri(activity.iri, "id")
        require_http_iri(activity.actor, "actor")
        if activity.object is not None:
            require_http_iri(activity.object.iri, "object")
            if activity.object.embedded is not None:
                _read_object(activity.object.embedded)
    try:
        actor = parse_actor(doc)
    except ProtocolError as exc:
        assert exc.reason
    else:
        assert all(same_origin(key_id, actor.iri) for key_id in (actor.key_id, *(k for k, _ in actor.extra_keys)))
        require_http_iri(actor.inbox, "inbox")
    _read_object(doc)


def _read_object(doc: dict[str, Any]) -> None:
    journey = parse_journey_details(doc, "fr")
    if journey is not None:
        assert journey.capacity is None or journey.capacity > 0
    parse_outcome_details(doc, "fr")
    practice = parse_practice_details(doc, "en")
    assert practice.license is None or practice.license.startswith(("http://", "https://"))
    for value in (doc.get("location"), doc.get("schema:location")):
        place = parse_place(value)
        assert place is None or (place.name and len(place.name) <= 300)
        if place is not None and place.latitude is not None:
            assert -90 <= place.latitude <= 90 and place.longitude is not None and -180 <= place.longitude <= 180
    attachments = parse_attachments(doc.get("attachment"), "fr")
    assert len(attachments) <= MAX_ATTACHMENTS
    assert all(a.url.startswith(("http://", "https://")) for a in attachments)
    vote = parse_vote(doc)
    assert vote is None or vote.choice in RSVP_CHOICES


@FUZZ
@given(mutated())
def test_real_documents_with_mutations_compact_and_parse_or_are_refused(doc: Any) -> None:
    try:
        compacted = compact(doc)
    except ProtocolError as exc:
        assert exc.reason
        return
    assert isinstance(compacted, dict)
    _read_everything(compacted)
    json.dumps(compacted)  # what is stored must serialise back


def test_real_documents_are_understood() -> None:
    """The unmutated fixtures compact; the control for the test above (it must not pass by refusing)."""
    for name, doc in FILES.items():
        try:
            compacted = compact(doc)
        except ProtocolError as exc:
            raise AssertionError(f"{name}: {exc.reason}") from exc
        _read_everything(compacted)
