"""What every public page must be, in every language: semantic (one h1, no skipped heading, landmarks),
labelled (every form control), CSP-clean (no inline script or style), with its language declared; and
the stylesheet's colour pairs pass WCAG AA contrast (4.5:1 for text, 3:1 for focus rings and borders
of controls). The pages' look at 320 px and on a desktop is checked in a real browser (tests/browser)."""

import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from tests.support.html_quality import page_problems
from tests.support.showcase import JOURNEY_SLUG, OUTCOME_SLUG, PRACTICE_SLUG, seed

CSS = Path(__file__).resolve().parents[2] / "static" / "maillage.css"
BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
PAGES = ["/", "/practices", "/practices?theme=commons", "/journeys", "/outcomes", "/users/reseau", "/users/admin",
         f"/practices/{PRACTICE_SLUG}", f"/journeys/{JOURNEY_SLUG}", f"/outcomes/{OUTCOME_SLUG}",
         "/programmes/2026-2027", "/tags/commons", "/search?q=coop", "/peers", "/no/such/page"]


@pytest.fixture
async def site(client: TestClient) -> TestClient:
    await seed(client.app, "reseau")
    return client


@pytest.mark.parametrize("lang", ["fr", "en", "es", "pt"])
async def test_public_pages_are_semantic_labelled_and_csp_clean(site: TestClient, lang: str) -> None:
    for path in PAGES:
        resp = await site.get(path, headers={"Accept": BROWSER, "Accept-Language": lang})
        assert resp.status in (200, 404), path
        html = await resp.text()
        assert f'<html lang="{lang}">' in html, path
        assert page_problems(html) == [], path
        # No CDN, no outside font or script: stylesheets and scripts come from this node.
        assert not re.search(r'<(script|link rel="(stylesheet|icon)")[^>]* (src|href)="(?!/)', html), path


def _colours() -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS.read_text()))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54  # the usual AA grey


# (foreground, background) as the stylesheet uses them for text.
TEXT_PAIRS = [
    ("ink", "paper"), ("ink", "surface"), ("ink", "accent-soft"), ("muted", "paper"), ("muted", "surface"),
    ("muted", "accent-soft"), ("accent", "paper"), ("accent", "surface"), ("accent", "accent-soft"),
    ("accent-strong", "accent-soft"), ("on-accent", "accent"), ("on-accent", "accent-strong"),
    ("accent-strong", "surface"), ("danger-ink", "danger-bg"), ("warn-ink", "warn-bg"), ("danger-ink", "surface"),
]
# Focus rings and control borders: WCAG 2.2 non-text contrast, 3:1 against what surrounds them.
NON_TEXT_PAIRS = [("focus", "paper"), ("focus", "surface"), ("focus", "accent-soft"), ("accent", "surface")]


@pytest.mark.parametrize(("foreground", "background"), TEXT_PAIRS)
def test_text_colours_pass_wcag_aa(foreground: str, background: str) -> None:
    colours = _colours()
    assert contrast(colours[foreground], colours[background]) >= 4.5, (foreground, background)


@pytest.mark.parametrize(("foreground", "background"), NON_TEXT_PAIRS)
def test_focus_and_controls_stand_out(foreground: str, background: str) -> None:
    colours = _colours()
    assert contrast(colours[foreground], colours[background]) >= 3.0, (foreground, background)


def test_literal_colours_pass_too() -> None:
    """The few colours written in place: search highlights, control borders."""
    colours = _colours()
    assert contrast(colours["ink"], "#fff1b8") >= 4.5  # <mark> in search results
    assert contrast("#767f82", colours["surface"]) >= 3.0  # input borders


def test_focus_is_never_hidden() -> None:
    css = CSS.read_text()
    assert ":focus-visible" in css
    assert not re.search(r"(?<!main):focus[^{]*\{[^}]*outline:\s*(none|0)", css.replace("main:focus", "")), \
        "only <main> (focused by the skip link) may drop its outline"


def test_the_stylesheet_loads_nothing_from_elsewhere() -> None:
    """Nodes are self-hosted and private: no web font, no CDN, no image fetched by the stylesheet."""
    css = CSS.read_text()
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
