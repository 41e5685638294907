"""JSON-LD processing with an offline document loader.

Specs: JSON-LD 1.1 Processing Algorithms and API (compaction, §9.4 remote document
loading), ActivityStreams 2.0 Core §2.1 (the AS context applies even when a document
omits it) and ActivityPub §3 (objects are JSON-LD, usually read in compacted form).

The node never fetches a JSON-LD context at run time: every context it can process
is bundled in `protocol/contexts/` and served by `offline_document_loader`
(`protocol/jsonld_loader.py`). A document that references any other remote context is
refused with `ParseError`. The loader is passed explicitly to pyld on every call; pyld's
global default loader is never set.

`compact` takes a fast path (`protocol/jsonld_fast.py`) for documents compaction would
give back unchanged, and otherwise pyld (`protocol/jsonld_pyld.py`), bounded by the
work it does. Both import pyld, so they are imported when a document is first compacted: what only
builds documents (OUTGOING_CONTEXT, dumps_document) starts without pyld.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Final

from .errors import ParseError
from .jsonld_bounds import MAX_CONTEXT_WORK, MAX_SLOW_PATH_VALUES
from .jsonld_loader import (
    AS_CONTEXT_IRI,
    MAILLAGE_CONTEXT_IRI,
    SECURITY_CONTEXT_IRI,
    bundled_context,
    load_file,
    offline_document_loader,
)

__all__ = [
    "AS_CONTEXT_IRI", "AS_PUBLIC", "DATA_INTEGRITY_CONTEXT_IRI", "MAILLAGE_CONTEXT_IRI", "MAX_CONTEXT_WORK",
    "MAX_SLOW_PATH_VALUES", "MULTIKEY_CONTEXT_IRI", "OUTGOING_CONTEXT", "SECURITY_CONTEXT_IRI",
    "WEBFINGER_CONTEXT_IRI", "bundled_context", "compact", "dumps_document", "known_compaction",
    "offline_document_loader",
]

DATA_INTEGRITY_CONTEXT_IRI: Final = "https://w3id.org/security/data-integrity/v1"
MULTIKEY_CONTEXT_IRI: Final = "https://w3id.org/security/multikey/v1"
WEBFINGER_CONTEXT_IRI: Final = "https://purl.archive.org/socialweb/webfinger"
AS_PUBLIC: Final = "https://www.w3.org/ns/activitystreams#Public"


def _maillage_terms() -> dict[str, Any]:
    terms = load_file("maillage.jsonld")["@context"]
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


def _slow_compact(doc: dict[Any, Any]) -> dict[str, Any]:
    """pyld's compaction of `doc` (see `compact`), whatever the fast path would have said."""
    from .jsonld_pyld import pyld_compact

    result = pyld_compact(doc)
    # Same terms as COMPACTION_CONTEXT, in the inline form peers without our context need.
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
    document that would need pyld and holds more than MAX_SLOW_PATH_VALUES values, or whose
    contexts take more than MAX_CONTEXT_WORK to process (scoped contexts applied to many nodes).
    Runs pyld (up to a few hundred ms of CPU) unless `known_compaction` says otherwise.
    """
    from .jsonld_fast import is_fast_path

    if not isinstance(doc, dict):
        raise ParseError("JSON-LD document must be a JSON object")
    if is_fast_path(doc):
        return doc
    return _slow_compact(doc)


def known_compaction(doc: object) -> dict[str, Any] | None:
    """`compact(doc)` when it is `doc` itself by the cached analysis of its context (no pyld, a walk of
    the document: what a caller may run where it must not wait); None when `compact` must run."""
    from .jsonld_fast import is_fast_path

    if isinstance(doc, dict) and is_fast_path(doc, compute=False):
        return doc
    return None
