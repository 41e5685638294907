"""Shared by the content-type tests (tests/protocol/test_practices.py, test_journeys.py...): a document
through JSON-LD compaction on the fast or the slow path, the terms our context defines, and the
hypothesis strategy of arbitrary JSON documents the `parse_*` functions must survive."""

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from protocol.jsonld import OUTGOING_CONTEXT, bundled_context, compact

LANGS = ("fr", "en", "es")
BASE = "https://maillage.example"
# A compact IRI used as a key: compact() can no longer return the document as it is and runs pyld.
SLOW_KEY = "ical:status"
PATHS = pytest.mark.parametrize("slow", [False, True], ids=["fast-path", "pyld"])


def through_jsonld(details: dict[str, Any], *, slow: bool, kind: str = "Article") -> dict[str, Any]:
    """`details` in an object with our outgoing context, compacted the way an inbox compacts it; asserts
    that compact() took the path asked for."""
    doc: dict[str, Any] = {"@context": OUTGOING_CONTEXT, "id": f"{BASE}/objects/1", "type": kind, **details}
    if slow:
        doc.setdefault(SLOW_KEY, "CONFIRMED")
    else:
        doc.pop(SLOW_KEY, None)
    out = compact(doc)
    assert (out is doc) is (not slow), "compact() did not take the path the test asked for"
    return out


def _context_terms() -> set[str]:
    terms: set[str] = set()
    for member in OUTGOING_CONTEXT:
        context = bundled_context(member) if isinstance(member, str) else {"@context": member}
        assert context is not None
        terms |= {k for k in context["@context"] if not k.startswith("@")}
    return terms


TERMS = frozenset(_context_terms())


def undefined_terms(doc: Any) -> set[str]:
    """Keys and `type` values that OUTGOING_CONTEXT does not define (the AS context's `@vocab: _:`
    would turn them into blank-node properties that no peer understands). Compact IRIs (`ical:status`)
    and the contents of language maps are fine."""
    found: set[str] = set()
    if isinstance(doc, list):
        for item in doc:
            found |= undefined_terms(item)
    elif isinstance(doc, dict):
        for key, value in doc.items():
            if key == "@context" or ":" in key:
                continue
            if key not in TERMS:
                found.add(key)
            if key == "type":
                found |= {t for t in (value if isinstance(value, list) else [value]) if t not in TERMS}
            elif not key.endswith("Map") and key not in _LANGUAGE_CONTAINERS:
                found |= undefined_terms(value)
    return found


_LANGUAGE_CONTAINERS = {"role", "needs", "results", "lessons", "transferability", "feedback", "achievements",
                        "newInitiatives", "issues", "goals", "nextSteps"}

# --- totality: what json.loads can produce, with the keys our parsers look for --------------------

TOTALITY = settings(max_examples=200, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = st.sampled_from([
    "id", "type", "name", "nameMap", "url", "href", "mediaType", "location", "schema:location", "address",
    "latitude", "longitude", "streetAddress", "addressLocality", "startTime", "endTime", "timezone", "status",
    "ical:status", "joinMode", "maximumAttendeeCapacity", "participantCount", "externalParticipationUrl",
    "subEvent", "organizer", "attachment", "rsvp", "context", "inReplyTo", "commentsEnabled", "stakeholders",
    "role", "mobilisedResources", "monetary", "origin", "needs", "contactPoint", "email", "license",
    "achievements", "newInitiatives", "participants", "feedback", "content", "fr", "en-GB", "@none", "und",
]) | st.text(max_size=8)
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.sampled_from([10**400, -(10**400)]) | st.floats()
    | st.text(max_size=12)
    | st.sampled_from([
        "https://a.example/x", "http://a.example", "ftp://a.example", "2027-03-14T09:30:00+01:00",
        "2027-13-45T25:61:00Z", "2027-03-14T09:30:00Z\n", "Europe/Paris", "Mars/Olympus", "fr", "Link",
        "Website", "text/html", "Place", "Image", "Document", "Note", "Person", "free", "external", "cancelled",
        "Je viens", "going", "a@b.example", "public",
    ])
)
JSON = st.recursive(
    SCALARS, lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=10,
)
DOCS = st.dictionaries(KEYS, JSON, max_size=8)
