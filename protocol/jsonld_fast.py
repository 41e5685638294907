"""The fast path of `protocol.jsonld.compact`: recognise documents that compaction would return unchanged.

Compaction expands the document with its own context (beneath which `prepared()` puts ours) and
compacts it back with ours. Where both contexts define a term identically, the term comes back as
it was; terms the two contexts define differently ("foreign": Mastodon's own extensions, a peer's
redefinition of one of ours, a term our context has and the document's lacks) are harmless as long
as the document never uses them. The context is compared with pyld's own processing of it, so
"identically" means what pyld means, and the result is cached per context: `is_fast_path(doc,
compute=False)` reads that cache alone, without pyld, from any thread.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from .jsonld_loader import AS_FILE, COMPACTION_CONTEXT, bundled_file
from .jsonld_pyld import active_context, is_und, prepared_context, values_in

_SCALARS: Final = (str, int, float, bool, type(None))
_MAX_FAST_DEPTH: Final = 32
# Bundled contexts a fast-path document may name after the AS context.
_OUR_FILES: Final = frozenset({"activitystreams.jsonld", "security-v1.jsonld", "maillage.jsonld", "webfinger.jsonld"})
_PLAIN_DEFINITION: Final = frozenset({"@id", "@type", "@container"})
# Longer contexts (canonical JSON) are not analysed: real ones are a few kB at most.
_MAX_ANALYSED_CONTEXT: Final = 16384
_MAX_ANALYSED_VALUES: Final = 4096  # more than a 16 kB context can hold
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


@cache
def _compaction_terms() -> tuple[dict[str, Any], dict[str, Any], frozenset[str]]:
    """Term definitions and defaults of COMPACTION_CONTEXT, and our terms whose values
    expansion reads as terms (`@type: @vocab`), which no foreign context may be trusted with."""
    active = active_context(list(COMPACTION_CONTEXT))
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
            if term != "@language" or not is_und(definition):
                return False
        elif not _is_plain_definition(definition):
            return False
    return True


def _is_our_shape(context: object) -> bool:
    """The AS context, alone or followed by our bundled contexts and plain inline ones."""
    if context is None:
        return True
    if isinstance(context, str):
        return bundled_file(context) == AS_FILE
    if not isinstance(context, list) or not context:
        return False
    first = context[0]
    if not isinstance(first, str) or bundled_file(first) != AS_FILE:
        return False
    for member in context[1:]:
        if isinstance(member, str):
            if bundled_file(member) not in _OUR_FILES:
                return False
        elif not isinstance(member, dict) or not _is_plain_inline(member):
            return False
    return True


@dataclass(slots=True)
class _Pinned:
    analysis: _Analysis | None
    uses: int


class _Analyses:
    """Analyses by canonical `@context` JSON, read from any thread: the SIZE most recently used, and the
    PINNED most used (PIN_USES uses or more), which a flood of contexts seen once cannot push out, so
    that Mastodon's documents stay on the fast path whatever else arrives."""

    SIZE: Final = 256
    PINNED: Final = 64
    PIN_USES: Final = 16

    def __init__(self) -> None:
        self.entries: OrderedDict[str, tuple[_Analysis | None, int]] = OrderedDict()  # (analysis, uses)
        self.pinned: dict[str, _Pinned] = {}
        self.lock = threading.Lock()

    def get(self, canonical: str) -> _Analysis | None | object:
        """The analysis, None for a context that takes the slow path, _MISSING when not known."""
        with self.lock:
            held = self.pinned.get(canonical)
            if held is not None:
                held.uses += 1
                return held.analysis
            entry = self.entries.get(canonical)
            if entry is None:
                return _MISSING
            analysis, uses = entry[0], entry[1] + 1
            if uses >= self.PIN_USES and self._pin(canonical, analysis, uses):
                del self.entries[canonical]
            else:
                self.entries[canonical] = (analysis, uses)
                self.entries.move_to_end(canonical)
            return analysis

    def _pin(self, canonical: str, analysis: _Analysis | None, uses: int) -> bool:
        """Pin an analysis used `uses` times, in place of the least used pinned one if it was used less."""
        if len(self.pinned) >= self.PINNED:
            least = min(self.pinned, key=lambda key: self.pinned[key].uses)
            if self.pinned[least].uses >= uses:
                return False
            del self.pinned[least]
        self.pinned[canonical] = _Pinned(analysis, uses)
        return True

    def put(self, canonical: str, analysis: _Analysis | None) -> None:
        with self.lock:
            if canonical in self.pinned:
                return
            self.entries[canonical] = (analysis, 1)
            if len(self.entries) > self.SIZE:
                self.entries.popitem(last=False)


_ANALYSES: Final = _Analyses()


def _analyse(canonical: str) -> _Analysis | None:
    """The analysis of the `@context` whose canonical JSON is `canonical`, or None when a
    document using it must take the slow path whatever its body."""
    context = json.loads(canonical)
    if not _is_our_shape(context):
        return None
    try:
        active = active_context(prepared_context(json.loads(canonical)))
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


def _analysis(context: object, *, compute: bool = True) -> _Analysis | None:
    """The analysis of `context`, None for the slow path: a seen context costs its canonical JSON and a
    lookup; an unseen one is analysed with pyld when `compute`, else left to the slow path."""
    if values_in(context, _MAX_ANALYSED_VALUES) > _MAX_ANALYSED_VALUES:
        return None  # too long to analyse: not worth its canonical JSON either
    try:
        canonical = _CANONICAL_JSON.encode(context)
    except (TypeError, ValueError, RecursionError):
        return None
    if len(canonical) > _MAX_ANALYSED_CONTEXT:
        return None
    analysis = _ANALYSES.get(canonical)
    if analysis is _MISSING:
        if not compute:
            return None
        analysis = _analyse(canonical)
        _ANALYSES.put(canonical, analysis)
    # json.dumps turns non-string keys into strings: the analysed context must be this one.
    if not isinstance(analysis, _Analysis) or analysis.context != context:
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


def is_fast_path(doc: dict[Any, Any], *, compute: bool = True) -> bool:
    """True when compaction would return `doc` unchanged (see `protocol.jsonld.compact`). With `compute`
    False, no pyld: False when its context was not analysed yet."""
    analysis = _analysis(doc.get("@context"), compute=compute)
    return analysis is not None and not _is_reference(doc) and _body_is_plain(doc, 0, analysis)

