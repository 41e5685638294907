"""A draft's preview, drawn by the page template its readers will see (practice.html, journey.html,
outcome.html) from what the form holds: every section of the page (needs, resources, results, lessons,
programme, feedback, participants...), not a summary of it. Nothing is stored to draw it."""

import re
from datetime import UTC, datetime

import aiohttp_jinja2
from aiohttp import web

from protocol.objects import Publication, Tag, Translation

from ..accounts import Login
from ..appkeys import CONFIG, DB, URLS
from ..content import AS_TYPES, StoredObject
from ..drafts import Draft
from ..render import markdown_to_html
from .language import reader, ui_context
from .pages import item_context

ARTICLE = re.compile(r'<article class="publication.*?</article>', re.S)


async def preview_html(request: web.Request, draft: Draft, stored: StoredObject | None, user: Login) -> str:
    """The page's article for `draft` (an edit or translation of `stored`, or a new item), as HTML."""
    db, urls, config = request.app[DB], request.app[URLS], request.app[CONFIG]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if stored is None:  # id 0 is no row: the lists under the page (comments, outcomes) are empty
        stored = StoredObject(id=0, iri=urls.object(draft.kind, draft.slug), kind=draft.kind, slug=draft.slug,
                              actor_id=user.actor_id, author=user.username, default_lang=draft.lang,
                              fields=draft.details, published_at=now, updated_at=None, deleted_at=None)
    pub = Publication(
        iri=stored.iri, type=AS_TYPES[draft.kind], attributed_to=urls.actor(stored.author), url=stored.iri,
        published=stored.published_at, default_lang=draft.lang,
        translations=(Translation(draft.lang, draft.title, draft.summary, markdown_to_html(draft.body_md)),),
        to=(), cc=(), tags=tuple(Tag(name, urls.tag(name)) for name in draft.themes), extra=draft.details)
    who = reader(request)
    context = await item_context(db, stored, pub, draft.lang, ui_lang=who.ui, base=urls.base)
    context.update(summary=draft.summary, network_handle=f"@{config.network}@{config.domain}", ics_path=None)
    page = aiohttp_jinja2.render_string(f"{draft.kind}.html", request, {**ui_context(request, who), **context})
    found = ARTICLE.search(page)
    return found.group(0) if found else ""
