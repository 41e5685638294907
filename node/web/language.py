"""The reader's language on HTML pages: chosen by node/i18n.py from `?lang=`, the `lang` cookie and
Accept-Language; a `?lang=` choice is remembered in the cookie. Pages vary by all three, so they say so."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from ..appkeys import CONFIG, SETTINGS
from ..auth import COOKIE as SESSION_COOKIE
from ..i18n import language_name, negotiate, plural_translator, requested_languages, translator
from ..views import format_day

LANG_COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
VARY = "Accept, Accept-Language, Cookie"


@dataclass(frozen=True)
class Reader:
    """What one request asked for: `ui` is the interface language among the node's languages."""

    ui: str
    requested: tuple[str, ...]

    def content_lang(self, available: Sequence[str], default: str) -> str:
        """Which translation of an item to show."""
        return negotiate(self.requested, available, default)


def reader(request: web.Request) -> Reader:
    config = request.app[CONFIG]
    requested = tuple(requested_languages(request.query.get("lang"), request.cookies.get(LANG_COOKIE),
                                          request.headers.get("Accept-Language")))
    languages = request.app[SETTINGS].languages  # maillage.toml's, or as an admin set them
    return Reader(ui=negotiate(requested, languages, config.default_lang), requested=requested)


def ui_context(request: web.Request, who: Reader) -> dict[str, Any]:
    """What base.html needs: `lang`, the `_` and `ngettext` gettext functions, `day` (dates), and the
    switcher."""
    return {
        "lang": who.ui,
        "_": translator(who.ui),
        "ngettext": plural_translator(who.ui),
        "day": lambda iso: format_day(iso, who.ui),
        "ui_languages": [{"tag": tag, "name": language_name(tag), "current": tag == who.ui,
                          "href": str(request.rel_url.update_query(lang=tag))}  # the same page, filters kept
                         for tag in request.app[SETTINGS].languages],
    }


def render(request: web.Request, template: str, context: dict[str, Any], *, who: Reader,
           content_langs: Sequence[str] = (), status: int = 200) -> web.Response:
    """Render an HTML page in the reader's language; remember a `?lang=` choice that is on offer."""
    config = request.app[CONFIG]
    response = aiohttp_jinja2.render_template(template, request, {**ui_context(request, who), **context},
                                              status=status)
    response.headers["Vary"] = VARY
    # Anonymous pages may be kept by shared caches (and node/response_cache.py) if checked before use;
    # a logged-in reader's copy is theirs. forms.page() makes personal pages no-store.
    response.headers["Cache-Control"] = "private, no-cache" if SESSION_COOKIE in request.cookies \
        else "public, no-cache"
    chosen = request.query.get("lang")
    if chosen and (chosen in request.app[SETTINGS].languages or chosen in content_langs) \
            and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax", httponly=True,
                            secure=config.base_url.startswith("https://"))
    return response
