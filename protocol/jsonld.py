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
# Equivalent to OUTGOING_CONTEXT (maillage.jsonld holds exactly its inline terms) but made
# of IRIs only, which pyld resolves once and then serves from its context cache.
_COMPACTION_CONTEXT: Final = (AS_CONTEXT_IRI, SECURITY_CONTEXT_IRI, MAILLAGE_CONTEXT_IRI)

# ---------------------------------------------------------------------------------------
# Fast path: recognise documents whose context already yields exactly our terms.

_GEN_DELIMS: Final = frozenset(":/?#[]@")
_SCALARS: Final = (str, int, float, bool, type(None))
_MAX_FAST_DEPTH: Final = 32
# The bundled contexts OUTGOING_CONTEXT is made of: a document using only these (after the
# AS context) defines nothing that compaction with OUTGOING_CONTEXT would rename.
# webfinger.jsonld (FEP-2c59) only defines terms our inline context repeats identically.
_OUR_FILES: Final = frozenset({"activitystreams.jsonld", "security-v1.jsonld", "maillage.jsonld", "webfinger.jsonld"})
_AS_FILE: Final = "activitystreams.jsonld"

_Normalized = tuple[Any, ...]


def _expand_prefix(value: str, prefixes: dict[str, str]) -> str:
    if value.startswith("@") or ":" not in value:
        return value
    prefix, suffix = value.split(":", 1)
    if suffix.startswith("//") or prefix not in prefixes:
        return value
    return prefixes[prefix] + suffix


def _normalize(definition: object, prefixes: dict[str, str]) -> _Normalized | None:
    """A comparable form of a term definition, or None when it is not a plain mapping we know."""
    if isinstance(definition, str):
        return ("simple", _expand_prefix(definition, prefixes))
    if not isinstance(definition, dict) or not set(definition) <= {"@id", "@type", "@container"}:
        return None
    iri = definition.get("@id")
    kind = definition.get("@type")
    container = definition.get("@container")
    if not isinstance(iri, str) or (kind is not None and not isinstance(kind, str)):
        return None
    if container is None:
        containers: tuple[str, ...] = ()
    elif isinstance(container, str):
        containers = (container,)
    elif isinstance(container, list) and all(isinstance(c, str) for c in container):
        containers = tuple(sorted(container))
    else:
        return None
    return (
        "expanded",
        _expand_prefix(iri, prefixes),
        None if kind is None else _expand_prefix(kind, prefixes),
        containers,
    )


@lru_cache(maxsize=1)
def _our_terms() -> tuple[dict[str, _Normalized | None], dict[str, str]]:
    """Normalized term definitions of OUTGOING_CONTEXT, and its prefixes."""
    merged: dict[str, Any] = {}
    for name in ("activitystreams.jsonld", "security-v1.jsonld"):
        merged.update(_load_file(name)["@context"])
    merged.update(_load_file("maillage.jsonld")["@context"])
    merged = {k: v for k, v in merged.items() if not k.startswith("@")}
    prefixes = {
        term: value
        for term, value in merged.items()
        if isinstance(value, str) and value and not value.startswith("@") and value[-1] in _GEN_DELIMS
    }
    return {term: _normalize(value, prefixes) for term, value in merged.items()}, prefixes


def _inline_is_ours(context: dict[Any, Any]) -> bool:
    terms, prefixes = _our_terms()
    for term, definition in context.items():
        if term == "@language" and _is_und(definition):
            continue
        ours = terms.get(term) if isinstance(term, str) else None
        if ours is None or _normalize(definition, prefixes) != ours:
            return False
    return True


@lru_cache(maxsize=256)
def _iri_file(iri: str) -> str | None:
    return _bundled_file(iri)


def _context_is_ours(context: object) -> bool:
    if isinstance(context, str):
        return context == AS_CONTEXT_IRI or _iri_file(context) == _AS_FILE
    if not isinstance(context, list) or not context:
        return False
    first = context[0]
    if not isinstance(first, str) or not (first == AS_CONTEXT_IRI or _iri_file(first) == _AS_FILE):
        return False
    for member in context[1:]:
        if isinstance(member, str):
            if _iri_file(member) not in _OUR_FILES:
                return False
        elif isinstance(member, dict):
            if not _inline_is_ours(member):
                return False
        else:
            return False
    return True


def _type_is_plain(value: object) -> bool:
    if isinstance(value, str):
        return ":" not in value
    if isinstance(value, list):
        return all(isinstance(v, str) and ":" not in v for v in value)
    return False


def _body_is_plain(node: object, depth: int) -> bool:
    """True when every key is a bare term and every `type` a bare term name, at any depth.

    Keywords (`@id`, `@type`, `@value`, a nested `@context`...), compact or absolute IRIs
    used as keys or types would be rewritten by compaction, so they take the slow path.
    """
    if depth > _MAX_FAST_DEPTH:
        return False
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str) or ":" in key:
                return False
            if key.startswith("@"):
                if depth == 0 and key == "@context":
                    continue
                return False
            if key == "type":
                if not _type_is_plain(value):
                    return False
            elif isinstance(value, (dict, list)):
                if not _body_is_plain(value, depth + 1):
                    return False
            elif not isinstance(value, _SCALARS):
                return False
        return True
    if isinstance(node, list):
        for item in node:
            if isinstance(item, (dict, list)):
                if not _body_is_plain(item, depth + 1):
                    return False
            elif not isinstance(item, _SCALARS):
                return False
        return True
    return isinstance(node, _SCALARS)


def _is_fast_path(doc: dict[Any, Any]) -> bool:
    context = doc.get("@context")
    if context is not None and not _context_is_ours(context):
        return False
    return _body_is_plain(doc, 0)


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


def _prepared(doc: dict[Any, Any]) -> dict[Any, Any]:
    """`doc` with its context prefixed by the AS context and our extension terms.

    AS2 Core §2.1 says the AS context applies even when a document omits it; the fediverse
    likewise relies on Mastodon's extension terms (`sensitive`, `Hashtag`...) without always
    declaring them. The sender's own contexts come after ours, so its definitions win.
    """
    context = doc.get("@context")
    members: list[Any]
    if context is None:
        members = []
    elif isinstance(context, list):
        members = [_without_und(m) for m in context]
    else:
        members = [_without_und(context)]
    prepared = dict(doc)
    # Our terms by IRI rather than inline: pyld caches a bundled context by URL, whereas it
    # re-canonicalises every inline context on every call.
    prepared["@context"] = [AS_CONTEXT_IRI, MAILLAGE_CONTEXT_IRI, *members]
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


def compact(doc: object) -> dict[str, Any]:
    """Compact an incoming JSON-LD document with OUTGOING_CONTEXT (JSON-LD 1.1 API §9.2 compact()).

    Contexts are resolved offline only (see `offline_document_loader`); the AS context and our
    Mastodon-compatible terms are assumed beneath the document's own context (AS2 Core §2.1).

    Fast path: when the document's `@context` is absent, the AS IRI alone, or a list starting
    with the AS IRI whose other members are bundled contexts of OUTGOING_CONTEXT or inline
    objects that only define terms OUTGOING_CONTEXT defines identically, and when no key or
    `type` is a keyword, compact IRI or absolute IRI, the document is returned unchanged
    (same object) without calling pyld. An inline context defining any other term (an
    unknown extension such as Mastodon's `atomUri`) takes the slow path through pyld.

    Raises ParseError, and nothing else, for anything that is not processable JSON-LD:
    a non-object, an unknown remote context, a cyclic or too deeply nested structure, a
    document of more than MAX_SLOW_PATH_VALUES values that would need pyld.
    """
    if not isinstance(doc, dict):
        raise ParseError("JSON-LD document must be a JSON object")
    if _is_fast_path(doc):
        return doc
    if _more_values_than(doc, MAX_SLOW_PATH_VALUES):
        raise ParseError(f"invalid JSON-LD: document has more than {MAX_SLOW_PATH_VALUES} values")
    try:
        result = _pyld.compact(
            _prepared(doc),
            list(_COMPACTION_CONTEXT),
            options={"documentLoader": offline_document_loader},
        )
    except Exception as exc:  # pyld raises JsonLdError, but also TypeError etc. on garbage
        raise _parse_error(exc) from exc
    if not isinstance(result, dict):
        raise ParseError("invalid JSON-LD: compaction did not produce an object")
    # Same terms as _COMPACTION_CONTEXT, in the inline form peers without our context need.
    result["@context"] = json.loads(_OUTGOING_CONTEXT_JSON)
    return result
