"""pyld compaction (the slow path of `protocol.jsonld.compact`), bounded by the work it does.

pyld's work grows with two things, and each is bounded before it is spent:
- the nodes and values it expands and compacts (up to ~150 µs each: an IRI is compared with every term
  of our context): `MAX_SLOW_PATH_VALUES`, counted before pyld starts;
- the contexts it processes. A scoped context (JSON-LD 1.1 §4.1.8: a term definition's `@context`,
  applied wherever the term is a node's type or a property) is processed again on every node it applies
  to, so a 57 kB document of one 800-term context on 2,000 nodes cost 26 s. Every context pyld resolves
  goes through `_BoundedResolver`, which charges the work it is about to cause against
  `MAX_CONTEXT_WORK` and refuses the document, at once, once that is spent. The charge is pyld's own
  measure: a context it has processed already in the same place comes from its cache, nearly free.

pyld is not thread-safe: one thread at a time may run it (the node runs it on one thread of its own).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Final

from pyld import jsonld as _pyld  # type: ignore[import-untyped]
from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped]

from .errors import ParseError
from .jsonld_bounds import MAX_CONTEXT_WORK, MAX_SLOW_PATH_VALUES
from .jsonld_loader import AS_FILE, COMPACTION_CONTEXT, bundled_file, offline_document_loader

# Work units (MAX_CONTEXT_WORK counts them), about a microsecond each (measured on scoped contexts of 1 to
# 800 terms applied to 20 to 200 nodes, property- and type-scoped, bundled or inline: 0.5 to 1.5 µs a
# unit): resolving a context, canonicalising one JSON value of an inline one (pyld's cache key), defining one term.
_RESOLVE_COST: Final = 20
_VALUE_COST: Final = 1
_TERM_COST: Final = 10
_CACHED_CONTEXTS: Final = 100  # resolved contexts pyld keeps between documents (its own default)


class _ResolvedContexts(OrderedDict[str, Any]):
    """pyld's cache of resolved contexts (its `shared_cache`), keeping the most recently used ones."""

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self:
            return default
        self.move_to_end(key)
        return self[key]

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if len(self) > _CACHED_CONTEXTS:
            self.popitem(last=False)


_SHARED_CACHE: Final = _ResolvedContexts()


def values_in(doc: object, limit: int) -> int:
    """The number of JSON values in `doc`, counted without recursion up to `limit + 1`."""
    stack, seen = [doc], 0
    while stack and seen <= limit:
        item = stack.pop()
        seen += 1
        stack.extend(item.values() if isinstance(item, dict) else item if isinstance(item, list) else ())
    return seen


def _terms(document: object) -> int:
    """The term definitions pyld creates when it processes a resolved context `document`."""
    if isinstance(document, dict) and "@context" in document:
        document = document["@context"]
    return len(document) if isinstance(document, dict) else 0


class _BoundedResolver(ContextResolver):  # type: ignore[misc]
    """pyld's context resolver, charging each context it resolves with the work pyld will do with it;
    raises ParseError when a document's contexts would take more than `budget` units in all."""

    def __init__(self, budget: int) -> None:
        super().__init__(_SHARED_CACHE, offline_document_loader)
        self.left = budget
        self.depth = 0  # > 0 while a remote (bundled) context resolves its own members: charged once

    def _charge(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            raise ParseError(f"invalid JSON-LD: its contexts take more work to process than the {MAX_CONTEXT_WORK}"
                             " units allowed (a scoped context applied to many nodes?)")

    def resolve(self, active_ctx: Any, context: Any, base: Any, cycles: Any = None) -> Any:
        if self.depth:
            return super().resolve(active_ctx, context, base, cycles)
        if isinstance(context, dict) and "@context" in context:
            context = context["@context"]
        members = [m for m in (context if isinstance(context, list) else [context]) if isinstance(m, dict)]
        if any("@import" in (m["@context"] if isinstance(m.get("@context"), dict) else m) for m in members):
            # pyld merges the local context into the imported one's cached document: every later document
            # naming that context (the AS context...) would then be read with the sender's definitions.
            raise ParseError("invalid JSON-LD: @import is not supported")
        # pyld canonicalises each inline context to look it up in its cache, on every use.
        values = sum(values_in(m, self.left // _VALUE_COST) for m in members)
        self._charge(_RESOLVE_COST + _VALUE_COST * values)
        self.depth += 1
        try:
            resolved = super().resolve(active_ctx, context, base, cycles)
        finally:
            self.depth -= 1
        # pyld then processes them in turn, each against the active context the previous one gave,
        # unless it has processed that context against that active context already (as _process_context).
        current = active_ctx
        for context_ in resolved:
            processed = context_.get_processed(current) if current is not None and "_uuid" in current else None
            if processed:
                current = processed
                continue
            current = None
            self._charge(_TERM_COST * _terms(context_.document))
        return resolved


def _options() -> dict[str, Any]:
    # No base IRI: pyld would resolve a relative IRI against "http://example.org/base/", making up
    # an IRI the sender never wrote; left relative, it fails our IRI checks, as on the fast path.
    return {"documentLoader": offline_document_loader, "base": None,
            "contextResolver": _BoundedResolver(MAX_CONTEXT_WORK),
            "processingMode": "json-ld-1.1"}  # compact()'s default, which expand() inherits


def active_context(context: list[Any]) -> dict[str, Any]:
    """pyld's active context for `context`, processed exactly as expansion does it (within the bound)."""
    processor = _pyld.JsonLdProcessor()
    options = _options()
    initial = processor.process_context(None, None, options)  # a None local context gives the initial one
    active: dict[str, Any] = processor.process_context(initial, context, options)
    return active


def is_und(value: object) -> bool:
    return isinstance(value, str) and value.lower() == "und"


def _without_und(member: object) -> object:
    # "@language": "und" (Pleroma, Mobilizon) means "undetermined": treating it as a real
    # default language would turn every `name`/`content` into a `nameMap`/`contentMap`.
    if isinstance(member, dict) and is_und(member.get("@language")):
        return {k: v for k, v in member.items() if k != "@language"}
    return member


def prepared_context(context: object) -> list[Any]:
    """`context` prefixed by the AS context and our terms (see `prepared`), as a list."""
    members: list[Any]
    if context is None:
        members = []
    elif isinstance(context, list):
        members = [_without_und(m) for m in context]
    else:
        members = [_without_und(context)]
    if members and isinstance(members[0], str) and bundled_file(members[0]) == AS_FILE:
        members = members[1:]  # the AS context is already beneath ours (see `prepared`)
    # Our terms by IRI rather than inline: pyld caches a bundled context by URL, whereas it
    # re-canonicalises every inline context on every call.
    return [*COMPACTION_CONTEXT, *members]


def prepared(doc: dict[Any, Any]) -> dict[Any, Any]:
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
    result = dict(doc)
    result["@context"] = prepared_context(doc.get("@context"))
    return result


def parse_error(exc: BaseException) -> ParseError:
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


def pyld_compact(doc: dict[Any, Any]) -> dict[str, Any]:
    """pyld's compaction of `doc` with COMPACTION_CONTEXT, within the bounds; the result's `@context`
    is left as pyld writes it. Raises ParseError, and nothing else."""
    if values_in(doc, MAX_SLOW_PATH_VALUES) > MAX_SLOW_PATH_VALUES:
        raise ParseError(f"invalid JSON-LD: document has more than {MAX_SLOW_PATH_VALUES} values")
    try:
        result = _pyld.compact(prepared(doc), list(COMPACTION_CONTEXT), options=_options())
    except Exception as exc:  # pyld raises JsonLdError, but also TypeError etc. on garbage
        raise parse_error(exc) from exc
    if not isinstance(result, dict):
        raise ParseError("invalid JSON-LD: compaction did not produce an object")
    return result
