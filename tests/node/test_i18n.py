"""The reader's language, as a pure function: `?lang=`, then the cookie, then Accept-Language by q-value,
then the default; and the gettext catalogs: every interface string of node/ and templates/ (extracted
as `make i18n` does, from babel.cfg) is in locale/messages.pot and translated in French, Spanish and
(Brazilian) Portuguese, none fuzzy, placeholders kept."""

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from node.i18n import (
    choose_language,
    compile_po,
    language_name,
    negotiate,
    parse_accept_language,
    plural_translator,
    translator,
)

AVAILABLE = ("fr", "en", "es")
ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "locale"  # the checkout's, with messages.pot


@pytest.mark.parametrize(("header", "expected"), [
    ("", []),
    (None, []),
    ("fr", ["fr"]),
    ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", ["fr-CH", "fr", "en", "de"]),
    ("en;q=0.5, es;q=0.9, de", ["de", "es", "en"]),
    ("en;q=0, es", ["es"]),
    ("en;q=abc, es;q=0.1", ["es"]),
    ("es;q=0.8, en;q=0.8", ["es", "en"]),  # equal weights keep the header's order
    ("<script>, ../etc, und, fr", ["fr"]),
])
def test_accept_language_is_read_best_first(header: str | None, expected: list[str]) -> None:
    assert parse_accept_language(header) == expected


@pytest.mark.parametrize(("requested", "available", "expected"), [
    (["en"], AVAILABLE, "en"),
    (["EN"], AVAILABLE, "en"),
    (["fr-CH"], AVAILABLE, "fr"),
    (["es-419"], AVAILABLE, "es"),
    (["en"], ("fr", "en-GB"), "en-GB"),
    (["de", "es"], AVAILABLE, "es"),
    (["de"], AVAILABLE, "fr"),
    ([], AVAILABLE, "fr"),
])
def test_negotiate_matches_exact_then_shorter_then_regional(requested: list[str], available: tuple[str, ...],
                                                            expected: str) -> None:
    assert negotiate(requested, available, "fr") == expected


@pytest.mark.parametrize(("query", "cookie", "accept", "expected"), [
    ("es", "en", "en", "es"),  # the query wins
    (None, "en", "es", "en"),  # then the cookie
    (None, None, "de, es;q=0.9, en;q=0.8", "es"),  # then Accept-Language by q
    (None, None, "de", "fr"),  # then the default
    ("de", None, "en", "en"),  # an unavailable choice falls through
    ("<b>", "javascript:alert(1)", None, "fr"),  # nonsense is ignored
    (None, None, None, "fr"),
])
def test_choose_language_order(query: str | None, cookie: str | None, accept: str | None, expected: str) -> None:
    assert choose_language(query=query, cookie=cookie, accept_language=accept, available=AVAILABLE,
                           default="fr") == expected


def test_language_names_are_in_their_own_language() -> None:
    assert [language_name(t) for t in ("fr", "en", "es", "pt-BR")] == [
        "Français", "English", "Español", "Português (Brasil)"]
    assert language_name("zz") == "Zz"  # no name known: the tag itself


def test_translator_formats_and_falls_back_to_english() -> None:
    assert translator("fr")("Nothing tagged #%(tag)s yet.", tag="commons") == "Rien n’est encore classé #commons."
    assert translator("es-MX")("Comments") == "Comentarios"
    assert translator("pt-BR")("Comments") == translator("pt-PT")("Comments") == "Comentários"
    assert translator("de")("Comments") == "Comments"
    assert translator("fr")("A string nobody translated") == "A string nobody translated"


def test_plurals_follow_each_language() -> None:
    one, many = "%(num)s follower", "%(num)s followers"
    assert [plural_translator("fr")(one, many, n) for n in (0, 1, 2)] == ["0 abonné", "1 abonné", "2 abonnés"]
    assert [plural_translator("es")(one, many, n) for n in (0, 1, 2)] == [
        "0 seguidores", "1 seguidor", "2 seguidores"]
    assert [plural_translator("pt-BR")(one, many, n) for n in (0, 1, 2)] == [
        "0 seguidor", "1 seguidor", "2 seguidores"]  # Brazilian Portuguese: n > 1, as French
    assert plural_translator("en")(one, many, 1) == "1 follower"


CATALOG_LANGS = ("fr", "es", "pt")
SKIPPED_DIRS = {"tests", "deploy", "docs", "static", "locale", "node_modules"}


def _source_messages() -> dict[str, str | tuple[str, ...]]:
    """{msgid: message} from node/**.py and templates/**.html, with the mapping `make i18n` uses."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")

    def keep(dirname: str) -> bool:
        name = Path(dirname).name
        return not name.startswith((".", "_")) and name not in SKIPPED_DIRS

    found: dict[str, str | tuple[str, ...]] = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, directory_filter=keep):
        found[message if isinstance(message, str) else message[0]] = message
    return found


def _catalog(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)s", text))


def test_the_template_lists_every_interface_string() -> None:
    used = _source_messages()
    assert {"Comments", "Territory", "Observers’ feedback", "Seats left:"} <= set(used)
    pot = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(LOCALE_DIR / "messages.pot") if m.id}
    assert sorted(set(used) - pot) == [], "run `make i18n`: locale/messages.pot is behind the sources"


@pytest.mark.parametrize("lang", CATALOG_LANGS)
def test_every_interface_string_is_translated(lang: str) -> None:
    used = _source_messages()
    catalog = _catalog(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po")
    assert catalog.num_plurals == 2
    entries = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    assert sorted(set(used) - set(entries)) == [], f"missing in {lang}: run `make i18n`, then translate"
    for key, message in entries.items():
        assert not message.fuzzy, (lang, key, "fuzzy: check the suggestion and remove the flag")
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        texts = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(texts), (lang, key, "not translated")
        for text in texts:
            # A translation may leave out `%(num)s` ("un abonné") but never invent or drop another name.
            wanted = {p for i in ids for p in _placeholders(i)} - {"%(num)s"}
            assert wanted <= set(_placeholders(text)) <= wanted | {"%(num)s"}, (lang, key, text)


@pytest.mark.parametrize("lang", CATALOG_LANGS)
def test_catalogs_compile(lang: str) -> None:
    translations = compile_po(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po")
    assert translations.gettext("Comments") == {"fr": "Commentaires", "es": "Comentarios", "pt": "Comentários"}[lang]
