"""Language maps: text in several languages, keyed by BCP 47 tag (AS2 core 4.7 `contentMap`/`nameMap`,
JSON-LD `@container: @language` for our own multilingual fields)."""

import re
from collections.abc import Mapping
from typing import Any

LangMap = Mapping[str, str]
LANG_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
# JSON-LD compaction puts a plain string (no language) of a language-map term under this key.
NO_LANGUAGE = "@none"


def is_lang_tag(value: str) -> bool:
    """A plausible BCP 47 tag (`fr`, `en-GB`, `es-419`); `und` is not a language."""
    return bool(LANG_TAG.fullmatch(value)) and value.lower() != "und"


def canonical_lang_tag(tag: str) -> str:
    """RFC 5646 section 2.1.1 case: `pt-br` -> `pt-BR`, `zh-hant-tw` -> `zh-Hant-TW`.

    pyld lowercases every language tag it compacts, so the same map read through the fast and the
    slow path of `compact()` would otherwise have different keys."""
    first, *rest = tag.split("-")
    parts = [first.lower()]
    for sub in rest:
        if len(sub) == 2 and sub.isalpha():
            parts.append(sub.upper())
        elif len(sub) == 4 and sub.isalpha():
            parts.append(sub.title())
        else:
            parts.append(sub.lower())
    return "-".join(parts)


def _entries(value: Mapping[Any, Any], fallback_lang: str | None) -> list[tuple[str, Any]]:
    """(canonical tag, value) pairs; `@none` counts as `fallback_lang`, after the tagged entries."""
    out = [(canonical_lang_tag(k), v) for k, v in value.items() if isinstance(k, str) and is_lang_tag(k)]
    if fallback_lang and NO_LANGUAGE in value and all(tag != fallback_lang for tag, _ in out):
        out.append((fallback_lang, value[NO_LANGUAGE]))
    return out


def parse_lang_map(value: Any, *, fallback_lang: str | None = None, limit: int = 100_000) -> dict[str, str]:
    """Read a language map; a plain string counts as `fallback_lang` (peers that are not multilingual),
    and so does the `@none` entry JSON-LD compaction turns such a plain string into.

    Entries with an invalid tag or a non-string value are dropped, not fatal: one bad translation
    must not lose the others. Tags are put in canonical case. Strings longer than `limit` are cut.
    """
    if isinstance(value, str):
        return {fallback_lang: value[:limit]} if fallback_lang else {}
    if not isinstance(value, Mapping):
        return {}
    return {k: v[:limit] for k, v in _entries(value, fallback_lang) if isinstance(v, str)}


def parse_lang_list_map(value: Any, *, fallback_lang: str | None = None, limit: int = 10_000) -> dict[str, list[str]]:
    """A language map whose values are lists of strings (`@container: [@language, @set]`)."""
    if isinstance(value, (str, list)) and fallback_lang:
        value = {fallback_lang: value}
    if not isinstance(value, Mapping):
        return {}
    out: dict[str, list[str]] = {}
    for lang, items in _entries(value, fallback_lang):
        seq = items if isinstance(items, list) else [items]
        texts = [s[:limit] for s in seq if isinstance(s, str) and s.strip()]
        if texts:
            out[lang] = texts[:200]
    return out


def pick(texts: LangMap, lang: str, default_lang: str) -> str:
    """The text in `lang`, else the default language, else any: a reader always sees something."""
    for key in (lang, default_lang):
        if key in texts:
            return texts[key]
    return next(iter(texts.values()), "")
