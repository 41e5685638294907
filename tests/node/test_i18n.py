"""The reader's language, as a pure function: `?lang=`, then the cookie, then Accept-Language by q-value,
then the default; and the interface strings every template asks for exist in French and Spanish."""

import re
from pathlib import Path

import pytest

from node.i18n import choose_language, language_name, negotiate, parse_accept_language, translator
from node.ui_messages import MESSAGES

AVAILABLE = ("fr", "en", "es")
ROOT = Path(__file__).resolve().parents[2]


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
    assert translator("de")("Comments") == "Comments"
    assert translator("fr")("A string nobody translated") == "A string nobody translated"


def _template_messages() -> set[str]:
    sources = [*(ROOT / "templates").glob("*.html"), *(ROOT / "node").rglob("*.py")]
    found: set[str] = set()
    for path in sources:
        found |= {m[1] for m in re.findall(r"""\b_\((['"])(.+?)\1""", path.read_text(encoding="utf-8"))}
    return found


def test_every_interface_string_is_translated() -> None:
    used = _template_messages()
    assert {"Comments", "Territory", "Observers’ feedback", "Seats left:"} <= used
    for lang, catalog in MESSAGES.items():
        assert sorted(used - set(catalog)) == [], f"missing in {lang}"
        for message, text in catalog.items():
            assert re.findall(r"%\(\w+\)s", message) == re.findall(r"%\(\w+\)s", text), (lang, message)
