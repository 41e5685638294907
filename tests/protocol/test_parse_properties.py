"""Property tests: the parsers of remote documents fail only with ProtocolError, whatever they are fed.

Inputs are what `json.loads` can produce, both arbitrary and shaped like activities and actors with
random field values; IRIs are drawn from a pool of valid and subtly broken ones (bad ports, unclosed
IPv6 literals, other schemes). Runs are kept small and leave no example database behind.
"""

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.activities import parse_activity
from protocol.actors import parse_actor
from protocol.errors import ProtocolError
from protocol.handles import parse_handle
from protocol.iri import iri_host, same_origin
from protocol.webfinger import parse_jrd_actor_iri, parse_resource

SETTINGS = settings(max_examples=200, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOSTS = st.sampled_from(
    [
        "a.example", "A.Example", "a.example:8443", "127.0.0.1:8080", "[::1]", "[::1]:8080", "[::1", "::1",
        "a.example:99999", "a.example:port", "a.example:", "", "user@a.example", "b.example", "xn--rseau-bsa.example",
    ]
)
SCHEMES = st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "acct:", "urn:", "", "//", "https:"])
PATHS = st.sampled_from(["", "/", "/users/alice", "/users/alice#main-key", "/c/g/inbox", "/@x?a=b", "/x y", "/\n"])
HTTP_IRIS = st.builds(lambda s, h, p: s + h + p, st.sampled_from(["https://", "http://"]), HOSTS, PATHS)
IRIS = HTTP_IRIS | st.builds(lambda s, h, p: s + h + p, SCHEMES, HOSTS, PATHS)

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | IRIS
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
# A value for a field: an IRI, an object with an id, a list of those, or anything JSON.
REF = st.recursive(
    IRIS | SCALARS,
    lambda children: st.lists(children, max_size=3)
    | st.fixed_dictionaries({"id": children}, optional={"type": JSON, "href": children, "url": children}),
    max_leaves=8,
)
TYPES = st.sampled_from(
    ["Follow", "Undo", "Accept", "Reject", "Create", "Update", "Announce", "Delete", "Like", "Person", "Group",
     "Application", "Service", "Organization", "Note", "Tombstone", ""]
)
TYPE = TYPES | st.lists(TYPES | JSON, max_size=3) | JSON

EMBEDDED = st.fixed_dictionaries(
    {"id": HTTP_IRIS | REF},
    optional={"type": TYPE, "actor": REF, "object": REF, "to": REF, "cc": REF},
)
ACTIVITY = st.fixed_dictionaries(
    {"id": HTTP_IRIS, "type": TYPES, "actor": HTTP_IRIS | REF},
    optional={
        "@context": JSON,
        "object": REF | EMBEDDED | st.lists(EMBEDDED, max_size=2),
        "target": REF,
        "to": REF | st.lists(REF, max_size=5),
        "cc": REF | st.lists(REF, max_size=5),
        "published": JSON,
    },
)
KEY = st.fixed_dictionaries(
    {"id": HTTP_IRIS, "publicKeyPem": st.text(max_size=30)}, optional={"owner": REF}
) | st.fixed_dictionaries({}, optional={"id": IRIS | JSON, "owner": REF, "publicKeyPem": st.text(max_size=30) | JSON})
ACTOR_TYPES = st.sampled_from(["Person", "Group", "Application", "Service", "Organization"])
# Usually valid where parse_actor is strict (id, type, inbox, key), so that the lenient fields get exercised.
ACTOR = st.fixed_dictionaries(
    {
        "id": HTTP_IRIS,
        "type": ACTOR_TYPES | st.lists(ACTOR_TYPES, min_size=1, max_size=2),
        "inbox": HTTP_IRIS,
        "publicKey": KEY | st.lists(KEY, max_size=3),
    },
    optional={
        "outbox": REF,
        "followers": REF,
        "following": REF,
        "endpoints": st.fixed_dictionaries({}, optional={"sharedInbox": IRIS | REF}) | JSON,
        "preferredUsername": JSON,
        "name": JSON,
        "url": REF,
        "icon": REF,
    },
)


def _parses_or_refuses(parse: Any, doc: Any) -> None:
    try:
        parse(doc)
    except ProtocolError as exc:
        assert isinstance(exc.reason, str) and exc.reason


@SETTINGS
@given(JSON)
def test_parse_activity_on_arbitrary_json(doc: Any) -> None:
    _parses_or_refuses(parse_activity, doc)


@SETTINGS
@given(ACTIVITY)
def test_parse_activity_on_activity_shaped_json(doc: dict[str, Any]) -> None:
    _parses_or_refuses(parse_activity, doc)


@SETTINGS
@given(ACTIVITY, st.sampled_from(["id", "type", "actor", "object", "to", "target"]), JSON | REF)
def test_parse_activity_with_one_field_replaced(doc: dict[str, Any], field: str, value: Any) -> None:
    _parses_or_refuses(parse_activity, {**doc, field: value})


@SETTINGS
@given(JSON)
def test_parse_actor_on_arbitrary_json(doc: Any) -> None:
    _parses_or_refuses(parse_actor, doc)


@SETTINGS
@given(ACTOR)
def test_parse_actor_on_actor_shaped_json(doc: dict[str, Any]) -> None:
    _parses_or_refuses(parse_actor, doc)


@SETTINGS
@given(ACTOR, st.sampled_from(["id", "type", "inbox", "publicKey", "endpoints"]), JSON | REF)
def test_parse_actor_with_one_field_replaced(doc: dict[str, Any], field: str, value: Any) -> None:
    _parses_or_refuses(parse_actor, {**doc, field: value})


@SETTINGS
@given(ACTOR)
def test_parsed_actor_keys_sit_on_the_actor_host(doc: dict[str, Any]) -> None:
    try:
        actor = parse_actor(doc)
    except ProtocolError:
        return
    assert iri_host(actor.iri)
    for key_id in (actor.key_id, *(k for k, _ in actor.extra_keys)):
        assert same_origin(key_id, actor.iri)


@SETTINGS
@given(st.fixed_dictionaries({}, optional={"links": st.lists(st.fixed_dictionaries(
    {}, optional={"rel": st.sampled_from(["self", "alternate"]) | JSON,
                  "type": st.sampled_from(["application/activity+json", "application/ld+json; profile=x"]) | JSON,
                  "href": IRIS | JSON}), max_size=4) | JSON}) | JSON)
def test_parse_jrd_actor_iri_on_arbitrary_json(jrd: Any) -> None:
    _parses_or_refuses(parse_jrd_actor_iri, jrd)


@SETTINGS
@given(IRIS | st.text(max_size=40) | st.builds(lambda s, u, h: f"{s}{u}@{h}", st.sampled_from(["acct:", "@", ""]),
                                              st.text(max_size=8), HOSTS))
def test_parse_resource_and_handle_on_arbitrary_text(text: str) -> None:
    _parses_or_refuses(parse_resource, text)
    _parses_or_refuses(parse_handle, text)


@SETTINGS
@given(IRIS | st.text(max_size=40), IRIS | st.text(max_size=40))
def test_iri_host_and_same_origin_are_total(a: str, b: str) -> None:
    host = iri_host(a)
    assert isinstance(host, str)
    assert same_origin(a, b) == same_origin(b, a)
    assert same_origin(a, a) == bool(host)
