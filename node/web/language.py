"""The reader's languages on HTML pages, chosen by node/i18n.py from the query, the `lang` cookie and
Accept-Language. Two choices: the interface's language, set by the language switcher (`?ui=`) and
remembered in the cookie; and an item's content language, `?lang=` on its page ("Also in: English"),
which shows that translation and changes neither the interface nor the cookie. Elsewhere `?lang=` still
sets the interface, as it did (links and bookmarks). Pages vary by all three, so they say so."""

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
UI_PARAM = "ui"  # the language switcher's choice of the interface's language
COOKIE_MAX_AGE = 365 * 24 * 3600
VARY = "Accept, Accept-Language, Cookie"


@dataclass(frozen=True)
class Reader:
    """What one request asked for: `ui` is the interface language among the node's languages; `requested`
    the languages wanted for content, best first; `remember` an interface choice for the cookie."""

    ui: str
    requested: tuple[str, ...]
    remember: str | None = None

    def content_lang(self, available: Sequence[str], default: str) -> str:
        """Which translation of an item to show."""
        return negotiate(self.requested, available, default)


def reader(request: web.Request, *, item: bool = False) -> Reader:
    """`item`: the page of one item, where `?lang=` chooses the translation shown, not the interface."""
    config = request.app[CONFIG]
    query = request.query
    chosen = query.get(UI_PARAM) or (None if item else query.get("lang"))
    cookie, accept = request.cookies.get(LANG_COOKIE), request.headers.get("Accept-Language")
    languages = request.app[SETTINGS].languages  # maillage.toml's, or as an admin set them
    ui = negotiate(requested_languages(chosen, cookie, accept), languages, config.default_lang)
    requested = tuple(requested_languages(query.get("lang") or chosen, cookie, accept))
    remember = chosen if chosen in languages and chosen != cookie else None
    return Reader(ui=ui, requested=requested, remember=remember)


def ui_context(request: web.Request, who: Reader) -> dict[str, Any]:
    """What base.html needs: `lang`, the `_` and `ngettext` gettext functions, `day` (dates), and the
    switcher."""
    return {
        "lang": who.ui,
        "_": translator(who.ui),
        "ngettext": plural_translator(who.ui),
        "day": lambda iso: format_day(iso, who.ui),
        "ui_languages": [{"tag": tag, "name": language_name(tag), "current": tag == who.ui,
                          "href": str(request.rel_url.update_query({UI_PARAM: tag}))}  # the same page, filters kept
                         for tag in request.app[SETTINGS].languages],
    }


def render(request: web.Request, template: str, context: dict[str, Any], *, who: Reader,
           status: int = 200) -> web.Response:
    """Render an HTML page in the reader's language; remember an interface choice that is on offer."""
    config = request.app[CONFIG]
    response = aiohttp_jinja2.render_template(template, request, {**ui_context(request, who), **context},
                                              status=status)
    response.headers["Vary"] = VARY
    # Anonymous pages may be kept by shared caches (and node/response_cache.py) if checked before use;
    # a logged-in reader's copy is theirs. forms.page() makes personal pages no-store.
    response.headers["Cache-Control"] = "private, no-cache" if SESSION_COOKIE in request.cookies \
        else "public, no-cache"
    if who.remember:
        response.set_cookie(LANG_COOKIE, who.remember, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax", httponly=True,
                            secure=config.base_url.startswith("https://"))
    return response
