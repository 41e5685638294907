"""`GET /search?q=...&type=&theme=&territory=&language=&node=&from=&to=&page=`: the results page for
people, and the same results as JSON for `Accept: application/json`. Bounded: the query is cut to 200
characters and 12 words, 20 results a page, 50 pages.

The language filter is `language`, as in the practices library: `?lang=` belongs to the interface's
language switcher on every page, and must not filter the results when a reader switches language. JSON
clients never see the switcher, so for them `lang` still works as an alias."""

from urllib.parse import urlencode

from aiohttp import web
from babel.numbers import format_decimal

from protocol.hashtags import theme_key

from .. import search as search_module
from ..appkeys import CONFIG, DB
from ..i18n import babel_locale, language_name
from ..listing import facets
from ..remote_content import page_paths
from ..search import KINDS, MAX_PAGE, PAGE_SIZE, Query, parse_query, plain_snippet, search, snippet_parts
from ..search import nodes as indexed_nodes
from .language import reader, render

PARAMS = ("q", "type", "theme", "territory", "language", "node", "from", "to")


def _wants_json(request: web.Request) -> bool:
    """JSON when asked for and HTML is not (browsers send text/html)."""
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _page_url(request: web.Request, page: int) -> str:
    params = {k: v for k in PARAMS if (v := request.query.get(k))}
    return f"/search?{urlencode({**params, 'page': page})}"


def _next_page(request: web.Request, query: Query, total: int) -> str | None:
    more = query.page * PAGE_SIZE < total and query.page < MAX_PAGE
    return _page_url(request, query.page + 1) if more else None


async def get_search(request: web.Request) -> web.Response:
    params = {k: request.query.get(k, "") for k in (*PARAMS, "page")}
    params["lang"] = params.pop("language") or (request.query.get("lang", "") if _wants_json(request) else "")
    query = parse_query(params)
    db = request.app[DB]
    hits, total = await search(db, query)
    next_url = _next_page(request, query, total)
    if _wants_json(request):
        results = [{"iri": h.iri, "url": h.iri, "type": h.kind, "title": h.title, "summary": h.summary,
                    "language": h.lang, "node": h.node, "local": h.local, "date": h.date,
                    "snippet": plain_snippet(h.snippet)} for h in hits]
        return web.json_response({"query": request.query.get("q", "")[:200], "total": total, "page": query.page,
                                  "next": next_url, "results": results}, headers={"Vary": "Accept"})
    who = reader(request)
    pages = await page_paths(db, [h.iri for h in hits if not h.local])  # a peer's item: its page here
    offer = await facets(db, request.app[CONFIG].domain, kind=None)  # the choices /practices offers, every kind
    form = {k: request.query.get(k, "")[:200] for k in PARAMS}
    if form["theme"]:  # selected in the list as the list spells it
        key = theme_key(form["theme"].lstrip("#"))
        form["theme"] = next((t for t in offer["themes"] if theme_key(t) == key), form["theme"])
    limit = search_module.COUNT_LIMIT  # past it, `total` is limit + 1: "more than limit", the newest first
    context = {
        "form": form, "kinds": KINDS, "total": total,
        "more": total > limit, "count_limit": format_decimal(limit, locale=babel_locale(who.ui)),
        "searched": not query.empty, "nodes": await indexed_nodes(db), "next_url": next_url,
        "themes": offer["themes"], "languages": [(t, language_name(t)) for t in offer["languages"]],
        "prev_url": _page_url(request, query.page - 1) if query.page > 1 else None,
        "results": [{"hit": h, "url": pages.get(h.iri, h.iri), "parts": snippet_parts(h.snippet),
                     "language": language_name(h.lang)} for h in hits],
    }
    return render(request, "search.html", context, who=who)  # Vary: Accept, Accept-Language, Cookie
