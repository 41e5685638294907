"""JSON-LD processing with an offline document loader.

Specs: JSON-LD 1.1 Processing Algorithms and API (compaction, §9.4 remote document
loading), ActivityStreams 2.0 Core §2.1 (the AS context applies even when a document
omits it) and ActivityPub §3 (objects are JSON-LD, usually read in compacted form).

The node never fetches a JSON-LD context at run time: every context it can process
is bundled in `protocol/contexts/` and served by `offline_document_loader`. A document
that references any other remote context is refused with `ParseError`. The loader is
passed explicitly to pyld on every call; pyld's global default loader is never set.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Final
from urllib.parse import urlsplit

from pyld import jsonld as _pyld  # type: ignore[import-untyped]

from .errors import ParseError

AS_CONTEXT_IRI: Final = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT_IRI: Final = "https://w3id.org/security/v1"
DATA_INTEGRITY_CONTEXT_IRI: Final = "https://w3id.org/security/data-integrity/v1"
MULTIKEY_CONTEXT_IRI: Final = "https://w3id.org/security/multikey/v1"
WEBFINGER_CONTEXT_IRI: Final = "https://purl.archive.org/socialweb/webfinger"
MAILLAGE_CONTEXT_IRI: Final = "https://maillage.social/ns"
AS_PUBLIC: Final = "https://www.w3.org/ns/activitystreams#Public"

# "host/path" (scheme, trailing slash and ".jsonld" removed) -> bundled file name.
_BUNDLED_FILES: Final[dict[str, str]] = {
    "www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "w3id.org/security/v1": "security-v1.jsonld",
    "w3id.org/security/data-integrity/v1": "security-data-integrity-v1.jsonld",
    "w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    # Fedify (and Hollo, Ghost...) name these on every actor and activity.
    "www.w3.org/ns/did/v1": "did-v1.jsonld",
    "w3id.org/identity/v1": "identity-v1.jsonld",
    "purl.archive.org/socialweb/webfinger": "webfinger.jsonld",
    "maillage.social/ns": "maillage.jsonld",
    # Lemmy names it first on every activity and actor (FEDERATION_CONTEXT, crates/utils/src/lib.rs).
    "join-lemmy.org/context.json": "lemmy-context.jsonld",
    # GoToSocial names it first on statuses and actors (interaction policies, docs/federation).
    "gotosocial.org/ns": "gotosocial-ns.jsonld",
}
# Pleroma and Akkoma serve their LitePub context from every instance at this path.
_LITEPUB_PATH: Final = "/schemas/litepub-0.1"
_LITEPUB_FILE: Final = "litepub-0.1.jsonld"
_MAX_IRI_LENGTH: Final = 2048
# pyld takes ~100 µs per JSON value (a 300 kB body of 100 000 numbers: 15 s); real documents hold < 200.
MAX_SLOW_PATH_VALUES: Final = 5000


def _bundled_file(iri: str) -> str | None:
    """Name of the bundled file serving context `iri`, or None."""
    if len(iri) > _MAX_IRI_LENGTH:
        return None
    try:
        parts = urlsplit(iri.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.query or parts.username is not None or parts.password is not None or port is not None:
        return None
    path = parts.path.rstrip("/")
    if path.endswith(".jsonld"):
        path = path[: -len(".jsonld")]
    name = _BUNDLED_FILES.get(parts.hostname + path)
    if name is None and path == _LITEPUB_PATH:
        name = _LITEPUB_FILE
    return name


@cache
def _load_file(name: str) -> dict[str, Any]:
    text = resources.files("protocol.contexts").joinpath(name).read_text(encoding="utf-8")
    document = json.loads(text)
    if not isinstance(document, dict):  # pragma: no cover - bundled files are JSON objects
        raise ParseError(f"bundled JSON-LD context {name} is not a JSON object")
    return document


@lru_cache(maxsize=512)
def bundled_context(iri: str) -> dict[str, Any] | None:
    """The bundled JSON-LD context document for `iri` (JSON-LD 1.1 §3.1 context IRIs), or None.

    Accepts http and https, a trailing slash or `.jsonld` suffix (so both
    `https://www.w3.org/ns/activitystreams.jsonld` and `http://www.w3.org/ns/activitystreams`
    resolve), and any `https://<host>/schemas/litepub-0.1.jsonld` (Pleroma/Akkoma). The
    returned dict is shared between callers: do not mutate it.
    """
    name = _bundled_file(iri) if isinstance(iri, str) else None
    return None if name is None else _load_file(name)


def offline_document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader (JSON-LD 1.1 API §9.4 LoadDocumentCallback) serving bundled contexts only.

    Pass it explicitly: `pyld.jsonld.compact(doc, ctx, {"documentLoader": offline_document_loader})`.
    Any URL without a bundled context raises `ParseError("unknown JSON-LD context: <url>")`;
    nothing is ever fetched from the network.
    """
    document = bundled_context(url) if isinstance(url, str) else None
    if document is None:
        shown = url[:200] if isinstance(url, str) else repr(url)[:200]
        raise ParseError(f"unknown JSON-LD context: {shown}")
    return {
        "contextUrl": None,
        "documentUrl": url,
        # pyld rewrites context lists in place while resolving them: hand it a copy.
        "document": copy.deepcopy(document),
        "contentType": "application/ld+json",
        # Lets pyld keep the resolved context in its shared cache: bundled files never change.
        "tag": "static",
    }


def _maillage_terms() -> dict[str, Any]:
    terms = _load_file("maillage.jsonld")["@context"]
    if not isinstance(terms, dict):  # pragma: no cover - bundled file is a single object
        raise ParseError("bundled maillage context is not a JSON object")
    return copy.deepcopy(terms)


# Outgoing documents embed our extension terms inline, as Mastodon does, so that peers
# that cannot fetch https://maillage.social/ns still understand them.
OUTGOING_CONTEXT: Final[list[Any]] = [AS_CONTEXT_IRI, SECURITY_CONTEXT_IRI, _maillage_terms()]
_OUTGOING_CONTEXT_JSON: Final = json.dumps(OUTGOING_CONTEXT)


def dumps_document(doc: dict[str, Any]) -> str:
    """A document's compact JSON text (UTF-8, no spaces). When its first key is `@context` holding
    OUTGOING_CONTEXT itself, as every document we build does, that context's text (3.5 kB, most of
    the cost of encoding a small document) is the one written once here, not encoded again."""
    if doc.get("@context") is OUTGOING_CONTEXT and next(iter(doc)) == "@context":
        rest = _compact_json({k: v for k, v in doc.items() if k != "@context"})
        return _CONTEXT_OPENING + ("}" if rest == "{}" else "," + rest[1:])
    return _compact_json(doc)


def _compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_CONTEXT_OPENING: Final = _compact_json({"@context": OUTGOING_CONTEXT})[:-1]  # without the closing brace
# No base IRI: pyld would resolve a relative IRI against "http://example.org/base/", making up
# an IRI the sender never wrote; left relative, it fails our IRI checks, as on the fast path.
_PYLD_OPTIONS: Final[dict[str, Any]] = {"documentLoader": offline_document_loader, "base": None}
# Equivalent to OUTGOING_CONTEXT (maillage.jsonld holds exactly its inline terms) but made
# of IRIs only, which pyld resolves once and then serves from its context cache.
_COMPACTION_CONTEXT: Final = (AS_CONTEXT_IRI, SECURITY_CONTEXT_IRI, MAILLAGE_CONTEXT_IRI)

# ---------------------------------------------------------------------------------------
# Fast path: recognise documents that compaction would return unchanged.
#
# Compaction expands the document with its own context (beneath which _prepared() puts
# ours) and compacts it back with ours. Where both contexts define a term identically,
# the term comes back as it was; terms the two contexts define differently ("foreign":
# Mastodon's own extensions, a peer's redefinition of one of ours, a term our context has
# and the document's lacks) are harmless as long as the document never uses them. The
# context is compared with pyld's own processing of it, so "identically" means what pyld
# means, and the result is cached per context.

_SCALARS: Final = (str, int, float, bool, type(None))
_MAX_FAST_DEPTH: Final = 32
# Bundled contexts a fast-path document may name after the AS context.
_OUR_FILES: Final = frozenset({"activitystreams.jsonld", "security-v1.jsonld", "maillage.jsonld", "webfinger.jsonld"})
_AS_FILE: Final = "activitystreams.jsonld"
_PLAIN_DEFINITION: Final = frozenset({"@id", "@type", "@container"})
# Longer contexts (canonical JSON) are not analysed: real ones are a few kB at most.
_MAX_ANALYSED_CONTEXT: Final = 16384
# Active-context entries that are bookkeeping rather than meaning.
_BOOKKEEPING: Final = frozenset({"mappings", "inverse", "_uuid"})
_MISSING: Final = object()
_CANONICAL_JSON: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True, slots=True)
class _Analysis:
    """What a document with this `@context` must not use to be returned unchanged."""

    context: object  # the analysed @context, parsed back from its canonical JSON
    forbidden: frozenset[str]  # terms the two contexts define differently: not as a key or `type`
    prefixes: frozenset[str]  # those of them that are prefixes in either: not as `prefix:` of a value
    longest: int  # length of the longest of `prefixes`
    shapes: dict[str, int]  # see _value_shapes


def _active_context(context: list[Any]) -> dict[str, Any]:
    """pyld's active context for `context`, processed exactly as expansion does it."""
    processor = _pyld.JsonLdProcessor()
    options = {**_PYLD_OPTIONS, "processingMode": "json-ld-1.1"}  # compact()'s default, which expand() inherits
    initial = processor.process_context(None, None, options)  # a None local context gives the initial one
    active: dict[str, Any] = processor.process_context(initial, context, options)
    return active


@cache
def _compaction_terms() -> tuple[dict[str, Any], dict[str, Any], frozenset[str]]:
    """Term definitions and defaults of _COMPACTION_CONTEXT, and our terms whose values
    expansion reads as terms (`@type: @vocab`), which no foreign context may be trusted with."""
    active = _active_context(list(_COMPACTION_CONTEXT))
    mappings: dict[str, Any] = active["mappings"]
    defaults = {k: v for k, v in active.items() if k not in _BOOKKEEPING}
    vocab_valued = frozenset(t for t, m in mappings.items() if m and m.get("@type") == "@vocab")
    return mappings, defaults, vocab_valued


# The shapes of value that compaction gives back unchanged for some of our terms.
_ID: Final = 0  # `id`: a string
_IRIS: Final = 1  # @id-typed terms: IRIs or objects (a number would not be an IRI)
_LITERALS: Final = 2  # typed literals: scalars (an object would not be a literal, nor would [])
# @language containers: tags to strings ({} is dropped); a string alone becomes {"@none": string},
# unless another term (`content` for `contentMap`) has the same IRI and takes it.
_LANGUAGE_MAP: Final = 3
_LANGUAGE_TEXTS: Final = 4  # ... or a string, or an array of strings


@cache
def _value_shapes() -> dict[str, int]:
    """Our terms whose values must have a given shape to be compacted back under the same term."""
    shapes: dict[str, int] = {}
    mappings = _compaction_terms()[0]
    iris = Counter(mapping.get("@id") for mapping in mappings.values() if mapping)
    for term, mapping in mappings.items():
        if not mapping:
            continue
        kind = mapping.get("@type")
        if mapping.get("@id") == "@id":
            shapes[term] = _ID
        elif "@language" in mapping.get("@container", ()):
            shapes[term] = _LANGUAGE_MAP if iris[mapping.get("@id")] > 1 else _LANGUAGE_TEXTS
        elif kind in ("@id", "@vocab"):
            shapes[term] = _IRIS
        elif kind is not None:
            shapes[term] = _LITERALS
    return shapes


def _is_reference(node: dict[Any, Any]) -> bool:
    """An object with nothing but an `id` (and nulls, or our @context): compaction writes it as
    its IRI where an @id-typed term holds it, and drops it at the top level."""
    return "id" in node and all(v is None for k, v in node.items() if k not in ("id", "@context"))


def _is_texts(value: object) -> bool:
    """A language map's entry: a string, or a non-empty array of strings."""
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) for v in value)
    return isinstance(value, str)


def _has_shape(value: object, shape: int) -> bool:
    if isinstance(value, str):
        return shape != _LANGUAGE_MAP
    if value is None:
        return shape != _ID  # elsewhere pyld drops the key: the reader sees no value either way
    if shape == _ID:
        return False
    if shape in (_LANGUAGE_MAP, _LANGUAGE_TEXTS):
        if isinstance(value, dict):  # "" is read as @none
            return bool(value) and "" not in value and all(map(_is_texts, value.values()))
        return shape == _LANGUAGE_TEXTS and _is_texts(value)
    items = value if isinstance(value, list) else (value,)
    if shape == _IRIS:
        for item in items:
            if not isinstance(item, str) and (not isinstance(item, dict) or _is_reference(item)):
                return False
        return True
    return bool(items) and all(isinstance(item, (str, int, float)) for item in items)  # bool is an int


def _is_prefix(mapping: object) -> bool:
    return isinstance(mapping, Mapping) and bool(mapping.get("_prefix"))


def _is_plain_definition(definition: object) -> bool:
    if isinstance(definition, str):
        return True
    if not isinstance(definition, dict) or not definition.keys() <= _PLAIN_DEFINITION:
        return False
    container = definition.get("@container")
    return (
        isinstance(definition.get("@id"), str)
        and isinstance(definition.get("@type", ""), str)
        and (
            container is None
            or isinstance(container, str)
            or (isinstance(container, list) and all(isinstance(c, str) for c in container))
        )
    )


def _is_plain_inline(member: dict[Any, Any]) -> bool:
    """True for an inline context that only defines terms, plainly: no keyword such as
    `@vocab`, `@base`, `@version`, `@protected`, `@import` or `@propagate` (they change how
    everything expands), no scoped context, `@language` only as "und" (which we ignore)."""
    for term, definition in member.items():
        if not isinstance(term, str):
            return False
        if term.startswith("@"):
            if term != "@language" or not _is_und(definition):
                return False
        elif not _is_plain_definition(definition):
            return False
    return True


def _is_our_shape(context: object) -> bool:
    """The AS context, alone or followed by our bundled contexts and plain inline ones."""
    if context is None:
        return True
    if isinstance(context, str):
        return _bundled_file(context) == _AS_FILE
    if not isinstance(context, list) or not context:
        return False
    first = context[0]
    if not isinstance(first, str) or _bundled_file(first) != _AS_FILE:
        return False
    for member in context[1:]:
        if isinstance(member, str):
            if _bundled_file(member) not in _OUR_FILES:
                return False
        elif not isinstance(member, dict) or not _is_plain_inline(member):
            return False
    return True


@lru_cache(maxsize=256)
def _analyse(canonical: str) -> _Analysis | None:
    """The analysis of the `@context` whose canonical JSON is `canonical`, or None when a
    document using it must take the slow path whatever its body."""
    context = json.loads(canonical)
    if not _is_our_shape(context):
        return None
    try:
        active = _active_context(_prepared_context(json.loads(canonical)))
    except Exception:  # pyld rejects the context (JsonLdError, ParseError...): so will the slow path
        return None
    ours, defaults, vocab_valued = _compaction_terms()
    if {k: v for k, v in active.items() if k not in _BOOKKEEPING} != defaults:
        return None  # @vocab, @language, @base, propagation... differ
    theirs: dict[str, Any] = active["mappings"]
    forbidden = {t for t in ours.keys() | theirs.keys() if ours.get(t, _MISSING) != theirs.get(t, _MISSING)}
    forbidden |= vocab_valued
    # A prefix expands `prefix:x` values of @id-typed terms (and pyld refuses to compact an
    # IRI that looks like one): the same value must mean the same IRI in both contexts.
    prefixes = frozenset(t for t in forbidden if _is_prefix(ours.get(t)) or _is_prefix(theirs.get(t)))
    longest = max(map(len, prefixes), default=0)
    return _Analysis(context, frozenset(forbidden), prefixes, longest, _value_shapes())


def _analysis(context: object) -> _Analysis | None:
    """The cached analysis of `context`: a seen context costs its canonical JSON and a lookup."""
    try:
        canonical = _CANONICAL_JSON.encode(context)
    except (TypeError, ValueError, RecursionError):
        return None
    if len(canonical) > _MAX_ANALYSED_CONTEXT:
        return None
    analysis = _analyse(canonical)
    # json.dumps turns non-string keys into strings: the analysed context must be this one.
    if analysis is None or analysis.context != context:
        return None
    return analysis


def _types_are_plain(value: object, forbidden: frozenset[str]) -> bool:
    """A `type` of one or more bare term names, none forbidden. (An empty name stays: pyld would
    write the blank node `_:` that AS's `@vocab` makes of it, which readers would take for a type.)"""
    types = value if isinstance(value, list) else (value,)
    return bool(types) and all(isinstance(t, str) and ":" not in t and t not in forbidden for t in types)


def _body_is_plain(node: object, depth: int, analysis: _Analysis) -> bool:
    """True when compaction would give `node` back: every key a bare term and every `type` a
    bare term name, at any depth, none of them forbidden, no string value starting with a
    forbidden prefix, and the values of our typed terms of the shape their definition expects.

    Keywords (`@id`, `@type`, `@value`, a nested `@context`...), compact or absolute IRIs
    used as keys or types would be rewritten by compaction, so they take the slow path; so
    would arrays of arrays, which JSON-LD flattens, and nulls in arrays, which it drops.
    """
    if depth > _MAX_FAST_DEPTH:
        return False
    forbidden, prefixes, longest, shapes = analysis.forbidden, analysis.prefixes, analysis.longest, analysis.shapes
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str) or ":" in key or key in forbidden:
                return False
            if key.startswith("@"):
                if depth == 0 and key == "@context":
                    continue
                return False
            if key == "type":
                if not _types_are_plain(value, forbidden):
                    return False
                continue
            shape = shapes.get(key)
            if shape is not None and not _has_shape(value, shape):
                return False
            if isinstance(value, str):
                if prefixes and 0 < (colon := value.find(":", 0, longest + 1)) and value[:colon] in prefixes:
                    return False
            elif isinstance(value, (dict, list)):
                if not _body_is_plain(value, depth + 1, analysis):
                    return False
            elif not isinstance(value, _SCALARS):
                return False
        return True
    if isinstance(node, list):
        for item in node:
            if isinstance(item, str):
                if prefixes and 0 < (colon := item.find(":", 0, longest + 1)) and item[:colon] in prefixes:
                    return False
            elif isinstance(item, dict):
                if not _body_is_plain(item, depth + 1, analysis):
                    return False
            elif item is None or not isinstance(item, _SCALARS):
                return False
        return True
    return isinstance(node, _SCALARS)


def _is_fast_path(doc: dict[Any, Any]) -> bool:
    analysis = _analysis(doc.get("@context"))
    return analysis is not None and not _is_reference(doc) and _body_is_plain(doc, 0, analysis)


# ---------------------------------------------------------------------------------------
# Slow path: pyld compaction.


def _is_und(value: object) -> bool:
    return isinstance(value, str) and value.lower() == "und"


def _without_und(member: object) -> object:
    # "@language": "und" (Pleroma, Mobilizon) means "undetermined": treating it as a real
    # default language would turn every `name`/`content` into a `nameMap`/`contentMap`.
    if isinstance(member, dict) and _is_und(member.get("@language")):
        return {k: v for k, v in member.items() if k != "@language"}
    return member


def _prepared_context(context: object) -> list[Any]:
    """`context` prefixed by the AS context and our terms (see `_prepared`), as a list."""
    members: list[Any]
    if context is None:
        members = []
    elif isinstance(context, list):
        members = [_without_und(m) for m in context]
    else:
        members = [_without_und(context)]
    if members and isinstance(members[0], str) and _bundled_file(members[0]) == _AS_FILE:
        members = members[1:]  # the AS context is already beneath ours (see `_prepared`)
    # Our terms by IRI rather than inline: pyld caches a bundled context by URL, whereas it
    # re-canonicalises every inline context on every call.
    return [*_COMPACTION_CONTEXT, *members]


def _prepared(doc: dict[Any, Any]) -> dict[Any, Any]:
    """`doc` with its context prefixed by the AS context, the security context and our extension terms.

    AS2 Core §2.1 says the AS context applies even when a document omits it; the fediverse
    likewise relies on Mastodon's extension terms (`sensitive`, `Hashtag`...) and on the
    security terms (`publicKey`, and the `signature` Mastodon adds to public activities)
    without always declaring them. The sender's own contexts come after ours, so its
    definitions win, except that the AS context it names first is the one beneath ours: named
    again after our terms, it would take `origin` (ours: maillage:origin) back to as:origin.
    Beneath every document lies exactly the context we compact with, which is what lets the
    fast path return a document that only uses terms the two agree on.
    """
    prepared = dict(doc)
    prepared["@context"] = _prepared_context(doc.get("@context"))
    return prepared


def _parse_error(exc: BaseException) -> ParseError:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ParseError):
            return ParseError(current.reason)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    if isinstance(exc, RecursionError):
        return ParseError("invalid JSON-LD: document is nested too deeply or cyclic")
    if isinstance(exc, _pyld.JsonLdError):
        detail = exc.code or (exc.args[0] if exc.args else exc.type)
        return ParseError(f"invalid JSON-LD: {str(detail)[:200]}")
    return ParseError(f"invalid JSON-LD: {type(exc).__name__}")


def _more_values_than(doc: object, limit: int) -> bool:
    """True when `doc` holds more than `limit` JSON values, counted without recursion."""
    stack, seen = [doc], 0
    while stack and seen <= limit:
        item = stack.pop()
        seen += 1
        stack.extend(item.values() if isinstance(item, dict) else item if isinstance(item, list) else ())
    return seen > limit


def _slow_compact(doc: dict[Any, Any]) -> dict[str, Any]:
    """pyld's compaction of `doc` (see `compact`), whatever the fast path would have said."""
    if _more_values_than(doc, MAX_SLOW_PATH_VALUES):
        raise ParseError(f"invalid JSON-LD: document has more than {MAX_SLOW_PATH_VALUES} values")
    try:
        result = _pyld.compact(_prepared(doc), list(_COMPACTION_CONTEXT), options=dict(_PYLD_OPTIONS))
    except Exception as exc:  # pyld raises JsonLdError, but also TypeError etc. on garbage
        raise _parse_error(exc) from exc
    if not isinstance(result, dict):
        raise ParseError("invalid JSON-LD: compaction did not produce an object")
    # Same terms as _COMPACTION_CONTEXT, in the inline form peers without our context need.
    result["@context"] = json.loads(_OUTGOING_CONTEXT_JSON)
    return result


def compact(doc: object) -> dict[str, Any]:
    """Compact an incoming JSON-LD document with OUTGOING_CONTEXT (JSON-LD 1.1 API §9.2 compact()).

    Contexts are resolved offline only (see `offline_document_loader`); the AS context, the
    security context and our Mastodon-compatible terms are assumed beneath the document's own
    context (AS2 Core §2.1).

    Fast path: the document is returned unchanged (same object), without pyld compaction, when
    - its `@context` is absent, the AS IRI, or a list starting with it whose other members are
      bundled contexts of OUTGOING_CONTEXT or inline objects of plain term definitions (strings
      or `@id`/`@type`/`@container` objects; no keyword but `"@language": "und"`);
    - no key or `type` is a keyword, a compact IRI or an absolute IRI;
    - no key, `type` or `prefix:` of a string value is a term that the document's context and
      OUTGOING_CONTEXT define differently, as pyld processes them. Mastodon's inline terms are
      ours; terms a sender defines otherwise or we lack (Misskey's `_misskey_content`, its
      plain `featured`) are fine as long as the document does not use them;
    - the values of our typed terms have the shape compaction keeps (`id` a string, IRIs or
      objects for @id-typed terms, scalars for typed literals, an object of strings for
      `contentMap`...), arrays hold no array or null, and the document is more than an `id`.
    pyld would then give every key the document has (but nulls and empty arrays it may drop),
    with the same value, written as the sender wrote it: a one-element array where pyld gives
    the element (or the reverse), an IRI in full where pyld gives `as:Public`, a language tag
    in its case where pyld lowercases it, a string where pyld gives `{"@none": string}` for
    our language maps (`needs`...). Documents with the same `@context` share one cached
    analysis of it.

    Raises ParseError, and nothing else, for anything that is not processable JSON-LD:
    a non-object, an unknown remote context, a cyclic or too deeply nested structure, a
    document of more than MAX_SLOW_PATH_VALUES values that would need pyld.
    """
    if not isinstance(doc, dict):
        raise ParseError("JSON-LD document must be a JSON object")
    if _is_fast_path(doc):
        return doc
    return _slow_compact(doc)
