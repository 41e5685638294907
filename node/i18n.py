"""Which language a reader sees: `?lang=` first, then the `lang` cookie, then Accept-Language (by
q-value), then the default. Pure functions of those inputs and the languages on offer, so pages, feeds
and tests agree; the interface strings themselves live in node/ui_messages.py until gettext catalogs
(issue 5) replace it."""

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError

from protocol.langmap import is_lang_tag

from .ui_messages import MESSAGES

MAX_ACCEPT_ITEMS = 20


def parse_accept_language(header: str | None) -> list[str]:
    """Tags from an Accept-Language header, best first (stable for equal q); `*` and q=0 dropped."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")[:MAX_ACCEPT_ITEMS]):
        pieces = [p.strip() for p in part.split(";")]
        tag, q = pieces[0], 1.0
        for param in pieces[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if tag != "*" and q > 0 and is_lang_tag(tag):
            weighted.append((-q, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def requested_languages(query: str | None, cookie: str | None, accept_language: str | None) -> list[str]:
    """What the reader asked for, in the order it counts."""
    explicit = [v.strip() for v in (query, cookie) if v and is_lang_tag(v.strip())]
    return explicit + parse_accept_language(accept_language)


def negotiate(requested: Iterable[str], available: Sequence[str], default: str) -> str:
    """The first requested language on offer: exact tag, then a shorter form of it (`fr-CH` -> `fr`), then
    a regional form of it (`en` -> `en-GB`); `default` when nothing matches."""
    by_lower = {a.lower(): a for a in available}
    for tag in requested:
        parts = tag.lower().split("-")
        for n in range(len(parts), 0, -1):
            found = by_lower.get("-".join(parts[:n]))
            if found:
                return found
        for lower, original in by_lower.items():
            if lower.split("-")[0] == parts[0]:
                return original
    return default


def choose_language(*, query: str | None, cookie: str | None, accept_language: str | None,
                    available: Sequence[str], default: str) -> str:
    return negotiate(requested_languages(query, cookie, accept_language), available, default)


@lru_cache(maxsize=64)
def language_name(tag: str) -> str:
    """A language's name in itself (`français`, `English`), capitalised for a switcher."""
    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name(tag.replace("-", "_")) or tag
    except (UnknownLocaleError, ValueError):
        name = tag
    return name[:1].upper() + name[1:]


@lru_cache(maxsize=64)
def babel_locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def translator(lang: str) -> Callable[..., str]:
    """`_(message, name=...)` with `%(name)s` in the message: jinja2's "newstyle" gettext call, so
    templates keep working when issue 5 installs real catalogs. English is the message id; languages
    without a catalog fall back to it."""
    catalog = MESSAGES.get(lang.split("-")[0].lower(), {})

    def gettext(message: str, **values: object) -> str:
        text = catalog.get(message, message)
        return text % values if values else text

    return gettext
