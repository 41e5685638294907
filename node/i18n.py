"""Which language a reader sees: `?lang=` first, then the `lang` cookie, then Accept-Language (by
q-value), then the default. Pure functions of those inputs and the languages on offer, so pages, feeds
and tests agree. The interface strings are gettext catalogs: `locale/{lang}/LC_MESSAGES/messages.po`,
English being the source language (the msgid); `make i18n` extracts and updates them (babel.cfg).
The .po files are compiled in memory once per process (`load_catalogs`, called by the app factory)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.core import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from protocol.langmap import is_lang_tag

from .assets import asset_dir

DOMAIN = "messages"
SOURCE_LANGUAGE = "en"

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


def compile_po(path: Path) -> Translations:
    """A .po file as gettext Translations, compiled in memory (fuzzy entries left out, as msgfmt does)."""
    with path.open("rb") as po:
        messages = read_po(po, locale=path.parent.parent.name, domain=DOMAIN)
    mo = BytesIO()
    write_mo(mo, messages, use_fuzzy=False)
    mo.seek(0)
    return Translations(mo, domain=DOMAIN)


@lru_cache(maxsize=4)
def load_catalogs(locale_dir: Path | None = None) -> Mapping[str, Translations]:
    """{language: Translations} for every `{lang}/LC_MESSAGES/messages.po` of `locale_dir` (the node's
    locale folder by default, node/assets.py); read once, then cached."""
    locale_dir = locale_dir or asset_dir("locale")
    return {po.parent.parent.name: compile_po(po) for po in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))}


def catalog(lang: str) -> NullTranslations:
    """The catalog of `lang` (`fr-CA` uses `fr`); English and languages without one show the msgid."""
    catalogs = load_catalogs()
    if lang.split("-")[0].lower() == SOURCE_LANGUAGE:
        return NullTranslations()
    return catalogs.get(lang) or catalogs.get(lang.split("-")[0].lower()) or NullTranslations()


def translator(lang: str) -> Callable[..., str]:
    """`_(message, name=...)` with `%(name)s` in the message: jinja2's "newstyle" gettext call. English
    is the message id; languages without a catalog fall back to it."""
    translations = catalog(lang)

    def gettext(message: str, **values: object) -> str:
        text = translations.gettext(message)
        return text % values if values else text

    return gettext


def plural_translator(lang: str) -> Callable[..., str]:
    """`ngettext(singular, plural, n, name=...)`, newstyle: `%(num)s` is `n` unless given."""
    translations = catalog(lang)

    def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
        values.setdefault("num", n)
        return translations.ngettext(singular, plural, n) % values

    return ngettext
