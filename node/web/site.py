"""The public site's list pages: home (the network, its charter, what is new and what comes next), the
practices library with its filters, the journeys calendar and the outcomes. Our items and the peers'
items we hold, each in the reader's language when it exists (node/listing.py reads them in a fixed
number of queries). Full-text search is node/web/search.py's `/search`, linked from every page."""

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from protocol.hashtags import theme_key
from protocol.langmap import is_lang_tag

from ..appkeys import CONFIG, DB, SETTINGS, URLS
from ..i18n import language_name
from ..listing import PAGE_SIZE, Filters, calendar, facets, library, outcomes
from .language import reader, render

MAX_PAGE = 500
HOME_PRACTICES, HOME_JOURNEYS, HOME_OUTCOMES = 6, 3, 3


def _page(request: web.Request) -> int:
    value = request.query.get("page", "1")
    return min(int(value), MAX_PAGE) if value.isdigit() and 0 < len(value) < 5 and int(value) > 0 else 1


def _filters(request: web.Request) -> Filters:
    """The library's filters from the query string; what is not valid is dropped, not refused."""
    q = request.query
    lang = q.get("language", "").strip()
    return Filters(
        theme=q.get("theme", "").strip().lstrip("#").lower()[:100] or None,
        territory=" ".join(q.get("territory", "").split())[:200] or None,
        lang=lang if lang and is_lang_tag(lang) else None,
        node=q.get("node", "").strip().lower()[:300] or None,
        page=_page(request),
    )


def _pages(request: web.Request, page: int, total: int) -> dict[str, str | None]:
    def url(n: int) -> str:
        params = {k: v for k, v in request.query.items() if k not in ("page", "lang") and v}
        return f"{request.path}?{urlencode({**params, 'page': n})}"

    return {"prev": url(page - 1) if page > 1 else None,
            "next": url(page + 1) if page * PAGE_SIZE < total and page < MAX_PAGE else None}


def _common(request: web.Request) -> dict[str, Any]:
    """What every list page shows; its ActivityPub form is the network's outbox (everything it published)."""
    config = request.app[CONFIG]
    network_iri = request.app[URLS].actor(config.network)
    return {"local_node": config.domain, "network_handle": f"@{config.network}@{config.domain}",
            "network_iri": network_iri, "alternate": f"{network_iri}/outbox"}


async def get_home(request: web.Request) -> web.StreamResponse:
    """What this network is and its rules, how to follow it, the next journeys and the latest items."""
    db, config, settings = request.app[DB], request.app[CONFIG], request.app[SETTINGS]
    who = reader(request)
    choose = who.content_lang
    practices, practice_count = await library(db, Filters(), local_node=config.domain, choose=choose,
                                              page_size=HOME_PRACTICES)
    upcoming, past = await calendar(db, local_node=config.domain, choose=choose, ui_lang=who.ui)
    reports, outcome_count = await outcomes(db, local_node=config.domain, choose=choose, page_size=HOME_OUTCOMES)
    context = {
        **_common(request), "description_html": settings.summary_html, "charter_html": settings.charter_html,
        "practices": practices, "upcoming": upcoming[:HOME_JOURNEYS], "outcomes": reports,
        "counts": {"practices": practice_count, "journeys": len(upcoming) + len(past), "outcomes": outcome_count},
        "handle": f"@{config.network}@{config.domain}", "alternate": _common(request)["network_iri"],
    }
    return render(request, "home.html", context, who=who)


async def get_library(request: web.Request) -> web.StreamResponse:
    """`/practices`: every practice write-up, newest first, filtered by theme, territory, language, node."""
    db, config = request.app[DB], request.app[CONFIG]
    who = reader(request)
    filters = _filters(request)
    cards, total = await library(db, filters, local_node=config.domain, choose=who.content_lang)
    offer = await facets(db, config.domain)
    if filters.theme:  # selected in the list as the list spells it (a peer's card may link another spelling)
        key = theme_key(filters.theme)
        filters = replace(filters, theme=next((t for t in offer["themes"] if theme_key(t) == key), filters.theme))
    context = {
        **_common(request), "cards": cards, "total": total, "filters": filters,
        "pages": _pages(request, filters.page, total), "themes": offer["themes"], "nodes": offer["nodes"],
        "languages": [{"tag": t, "name": language_name(t)} for t in offer["languages"]],
    }
    return render(request, "library.html", context, who=who)


async def get_calendar(request: web.Request) -> web.StreamResponse:
    """`/journeys`: upcoming learning journeys (soonest first), then past ones, each with its .ics."""
    db, config = request.app[DB], request.app[CONFIG]
    who = reader(request)
    upcoming, past = await calendar(db, local_node=config.domain, choose=who.content_lang, ui_lang=who.ui)
    return render(request, "calendar.html", {**_common(request), "upcoming": upcoming, "past": past}, who=who)


async def get_outcomes(request: web.Request) -> web.StreamResponse:
    """`/outcomes`: meeting outcomes and journey reports, newest first, with the journey they report on."""
    db, config = request.app[DB], request.app[CONFIG]
    who = reader(request)
    page = _page(request)
    cards, total = await outcomes(db, local_node=config.domain, choose=who.content_lang, page=page)
    return render(request, "outcomes.html", {**_common(request), "cards": cards, "total": total,
                                             "pages": _pages(request, page, total)}, who=who)
