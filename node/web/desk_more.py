"""The rest of the organizer desk: my posts and where each one was delivered, images, a journey's
participants, re-sharing a peer's item, and replying to comments. Each action is one use case of
node/ (participation, sharing, replying), so the desk and the command line behave alike."""

import json
from typing import Any

from aiohttp import web

from protocol.handles import handle_text

from .. import desk_drafts, media, mentions, participation, unseen
from ..accounts import get_actor
from ..appkeys import CONFIG, DB, FETCHER, SETTINGS, URLS
from ..auth import accepts_upload, login_required
from ..comments import CommentError, content_html, image_at, withdraw
from ..content import find_object
from ..db import FIRST_PAGE, keyset_page
from ..fetch import FetchError
from ..formerrors import FieldError
from ..i18n import language_name
from ..replying import reply
from ..sharing import ShareError, share, unshare
from .forms import fields, files, gettext, notice, page, read_upload, redirect, user_of

MY_POSTS = 50  # my posts per page of /desk
PAGE_SIZE = 50  # comments, and messages, per page of /desk/comments


def delivery_state(state: str, attempts: int) -> str:
    """delivered, retrying (tried and not given up), queued (not tried yet) or failed."""
    if state == "pending":
        return "retrying" if attempts else "queued"
    return state


@login_required
async def get_desk(request: web.Request) -> web.Response:
    """A page of my posts, newest first, each with its delivery status per remote server (one query for
    the page's posts)."""
    db = request.app[DB]
    user = await user_of(request)
    before = _cursor(request, "before")
    rows = await db.fetch_all(
        "SELECT o.id, o.iri, o.kind, o.slug, o.default_lang, o.published_at, o.updated_at, t.title,"
        " (SELECT group_concat(lang, ', ') FROM translations WHERE object_id = o.id) AS langs"
        " FROM objects o JOIN translations t ON t.object_id = o.id AND t.lang = o.default_lang"
        " WHERE o.actor_id = ? AND o.deleted_at IS NULL AND o.id < ? ORDER BY o.id DESC LIMIT ?",
        (user.actor_id, FIRST_PAGE if before is None else before, MY_POSTS + 1))
    shown, older = keyset_page(rows, MY_POSTS, lambda r: int(r["id"]))
    posts = [dict(r) for r in shown]
    iris = [p["iri"] for p in posts]
    deliveries = await db.fetch_all(
        "SELECT a.object_iri, a.type, d.host, d.state, d.attempts, d.last_error, d.updated_at FROM deliveries d"
        f" JOIN activities a ON a.id = d.activity_id WHERE a.object_iri IN ({','.join('?' * len(iris))})"
        " ORDER BY d.id", iris) if iris else []
    status: dict[str, dict[str, dict[str, Any]]] = {}
    for r in deliveries:  # the latest delivery to each server tells where that server stands
        status.setdefault(r["object_iri"], {})[r["host"]] = {
            "host": r["host"], "state": delivery_state(r["state"], r["attempts"]), "attempts": r["attempts"],
            "error": r["last_error"], "activity": r["type"], "updated_at": r["updated_at"]}
    waiting = {r["object_id"]: r["n"] for r in await db.fetch_all(
        f"SELECT object_id, count(*) AS n FROM participations WHERE state = 'pending' AND object_id IN"
        f" ({','.join('?' * len(posts))}) GROUP BY object_id", [p["id"] for p in posts])} if posts else {}
    for post in posts:
        post["deliveries"] = sorted(status.get(post["iri"], {}).values(), key=lambda d: d["host"])
        post["waiting"] = waiting.get(post["id"], 0)
    return await page(request, "desk/home.html", {"posts": posts, "older": older, "before": before,
                                                  "drafts": await desk_drafts.list_drafts(db, user.actor_id),
                                                  "section": "desk"})


@login_required
async def get_media_page(request: web.Request) -> web.Response:
    return await _media_page(request, {}, {})


async def _media_page(request: web.Request, form: dict[str, str], errors: dict[str, str], *,
                      status: int = 200) -> web.Response:
    user = await user_of(request)
    who, _ = gettext(request)
    items = await media.list_media(request.app[DB], request.app[CONFIG].base_url, user.actor_id, limit=100)
    return await page(request, "desk/media.html", {
        "items": items, "form": {"lang": who.ui, **form}, "errors": errors, "section": "media",
        "max_mb": media.MAX_BYTES // (1024 * 1024),
        "languages": [(t, language_name(t)) for t in request.app[SETTINGS].languages]}, status=status)


@login_required
@accepts_upload(media.MAX_BYTES)
async def post_media(request: web.Request) -> web.Response:
    """Upload an image with its alt text; stored under a random name, served at /media/NAME."""
    config = request.app[CONFIG]
    user = await user_of(request)
    _who, _ = gettext(request)
    form = await fields(request)
    data = read_upload((await files(request)).get("file"), media.MAX_BYTES)
    try:
        await media.store(request.app[DB], config.data_dir, config.base_url, actor_id=user.actor_id, data=data,
                          alt=form.get("alt", ""), lang=form.get("lang", "") or config.default_lang)
    except FieldError as exc:
        return await _media_page(request, form, {exc.field: exc.text(_)}, status=exc.status)
    await notice(request, _("The image was uploaded. Attach it from the form of a post."))
    raise redirect("/desk/media")


async def _my_journey(request: web.Request) -> Any:
    journey = await find_object(request.app[DB], "journey", request.match_info["slug"])
    user = await user_of(request)
    if journey is None or journey.deleted_at:
        raise web.HTTPNotFound(text="Not found")
    if journey.actor_id != user.actor_id and user.role != "admin":
        raise web.HTTPForbidden(text="Only its author or an admin can manage this journey.")
    return journey


@login_required
async def get_participants(request: web.Request) -> web.Response:
    return await _participants(request)


async def _participants(request: web.Request, errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    journey = await _my_journey(request)
    db = request.app[DB]
    people = await participation.list_participants(db, journey.id)
    names = {r["iri"]: r for r in await db.fetch_all(
        "SELECT iri, name, username, host FROM remote_actors WHERE iri IN (SELECT actor_iri FROM participations"
        " WHERE object_id = ?)", (journey.id,))}
    title = await db.fetch_value("SELECT title FROM translations WHERE object_id = ? AND lang = ?",
                                 (journey.id, journey.default_lang))
    return await page(request, "desk/participants.html", {
        "journey": journey, "title": title, "errors": errors or {}, "section": "desk", "request_path": request.path,
        "people": [{"p": p, "actor": names.get(p.actor_iri)} for p in people]}, status=status)


@login_required
async def post_participants(request: web.Request) -> web.Response:
    """Approve or reject a participant (the Accept or Reject goes to one who joined with a Join)."""
    journey = await _my_journey(request)
    _who, _ = gettext(request)
    form = await fields(request)
    decision = form.get("decision")
    if decision not in ("approve", "reject") or not form.get("actor_iri"):
        return await _participants(request, {"": _("Choose a participant and a decision.")}, 400)
    try:
        await participation.decide(request.app[DB], request.app[URLS], request.app[FETCHER], slug=journey.slug,
                                   actor_iri=form["actor_iri"], approve=decision == "approve")
    except participation.ParticipationError as exc:
        return await _participants(request, {"": str(exc)}, 400)
    except FetchError as exc:
        return await _participants(request, {"": _("Cannot reach the participant’s server: %(reason)s",
                                                   reason=exc.reason)}, 502)
    await notice(request, _("Participant approved.") if decision == "approve" else _("Participant rejected."))
    raise redirect(f"/desk/journeys/{journey.slug}/participants")


async def _shares(request: web.Request) -> list[dict[str, Any]]:
    config, urls = request.app[CONFIG], request.app[URLS]
    rows = await request.app[DB].fetch_all(
        "SELECT r.object_iri, r.created_at, t.title FROM reactions r"
        " LEFT JOIN remote_content c ON c.iri = r.object_iri"
        " LEFT JOIN remote_translations t ON t.content_id = c.id AND t.lang = c.default_lang"
        " WHERE r.actor_iri = ? AND r.type = 'Announce' ORDER BY r.id DESC LIMIT 100", (urls.actor(config.network),))
    return [dict(r) for r in rows]


@login_required
async def get_share(request: web.Request) -> web.Response:
    return await _share_page(request)


async def _share_page(request: web.Request, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                      status: int = 200) -> web.Response:
    return await page(request, "desk/share.html", {
        "shares": await _shares(request), "form": form or {"iri": request.query.get("iri", "")},
        "errors": errors or {}, "section": "share"}, status=status)


@login_required
async def post_share(request: web.Request) -> web.Response:
    """Re-share a peer's item: the network announces it to its followers (node/sharing.py)."""
    config = request.app[CONFIG]
    _who, _ = gettext(request)
    form = await fields(request)
    iri = form.get("iri", "").strip()
    if not iri.startswith(("http://", "https://")):
        return await _share_page(request, form, {"iri": _("Paste the address of the item (https://…).")}, 400)
    organizer = await get_actor(request.app[DB], (await user_of(request)).username)
    assert organizer is not None
    try:
        await share(request.app[DB], request.app[URLS], request.app[FETCHER], network=config.network,
                    organizer=organizer, iri=iri)
    except ShareError as exc:
        return await _share_page(request, form, {"iri": str(exc)}, 400)
    await notice(request, _("Re-shared with the network’s followers."))
    raise redirect("/desk/share")


@login_required
async def post_unshare(request: web.Request) -> web.Response:
    _who, _ = gettext(request)
    form = await fields(request)
    try:
        await unshare(request.app[DB], request.app[URLS], request.app[FETCHER], network=request.app[CONFIG].network,
                      iri=form.get("iri", ""))
    except ShareError as exc:
        return await _share_page(request, {}, {"": str(exc)}, 400)
    await notice(request, _("The re-share was undone."))
    raise redirect("/desk/share")


async def _comments(request: web.Request, lang: str, before: int | None) -> tuple[list[dict[str, Any]], int | None]:
    """A page of the approved comments on my items (every item's for an admin), newest first, and the
    cursor of the next (older) page or None."""
    user = await user_of(request)
    mine = "" if user.role == "admin" else " AND actor_id = ?"
    rows = await request.app[DB].fetch_all(
        "SELECT c.id, c.iri, c.root_iri, c.author_iri, c.actor_id, c.created_at,"
        " COALESCE(c.document, r.document) AS doc, ra.name, ra.username, ra.host, l.name AS local_name FROM comments c"
        " LEFT JOIN remote_objects r ON r.iri = c.iri LEFT JOIN remote_actors ra ON ra.iri = c.author_iri"
        " LEFT JOIN actors l ON l.id = c.actor_id WHERE c.state = 'approved' AND c.id < ? AND c.root_iri IN"
        f" (SELECT iri FROM objects WHERE deleted_at IS NULL{mine}) ORDER BY c.id DESC LIMIT ?",
        (FIRST_PAGE if before is None else before, *(() if user.role == "admin" else (user.actor_id,)),
         PAGE_SIZE + 1))
    shown, older = keyset_page(rows, PAGE_SIZE, lambda r: int(r["id"]))
    out = []
    for row in shown:
        doc = json.loads(row["doc"] or "{}")
        handle = handle_text(row["username"], row["host"]) or row["author_iri"]
        out.append({"iri": row["iri"], "root": row["root_iri"], "created_at": row["created_at"],
                    "remote": row["actor_id"] is None,
                    "author": row["local_name"] or row["name"] or handle, "handle": handle,
                    "html": content_html(doc, lang), "image_at": image_at(row["id"])})
    return out, older


def _cursor(request: web.Request, name: str) -> int | None:
    """A page cursor from the query (a positive integer this page wrote), or None; garbage is a 400."""
    value = request.query.get(name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= FIRST_PAGE:
        raise web.HTTPBadRequest(text=f"{name} must be a positive integer (a link from this page)")
    return int(value)


@login_required
async def get_comments(request: web.Request) -> web.Response:
    """The comments page; its first page marks everything received until now as seen (node/unseen.py)."""
    if "comments_before" not in request.query and "messages_before" not in request.query:
        await unseen.mark_seen(request.app[DB], await user_of(request))
    return await _comments_page(request)


async def _comments_page(request: web.Request, form: dict[str, str] | None = None,
                         errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    who, _ = gettext(request)
    db, user = request.app[DB], await user_of(request)
    group = await get_actor(db, request.app[CONFIG].network)  # the network's messages are every organizer's
    to = [user.actor_id, *([group.id] if group is not None else [])]
    comments_before, messages_before = _cursor(request, "comments_before"), _cursor(request, "messages_before")
    comments, older_comments = await _comments(request, who.ui, comments_before)
    messages, older_messages = await mentions.listed(db, to, who.ui, limit=PAGE_SIZE, before=messages_before)
    return await page(request, "desk/comments.html", {
        "comments": comments, "messages": messages, "older_comments": older_comments,
        "older_messages": older_messages, "comments_before": comments_before, "messages_before": messages_before,
        "form": form or {"lang": who.ui}, "errors": errors or {},
        "languages": [(t, language_name(t)) for t in request.app[SETTINGS].languages], "section": "comments"},
        status=status)


@login_required
async def post_remove_comment(request: web.Request) -> web.Response:
    """Remove a shown comment from elsewhere on one of my items (any item's, for an admin): off our pages,
    and the network's relay of it undone at its followers (comments.withdraw)."""
    _who, _ = gettext(request)
    form = await fields(request)
    user = await user_of(request)
    db = request.app[DB]
    row = await db.fetch_one("SELECT c.state, c.actor_id, o.actor_id AS owner FROM comments c JOIN objects o"
                             " ON o.iri = c.root_iri WHERE c.iri = ?", (form.get("iri", ""),))
    if row is None or row["state"] != "approved" or row["actor_id"] is not None:
        return await _comments_page(request, errors={"": _("There is no such comment from elsewhere shown here.")},
                                    status=400)
    if row["owner"] != user.actor_id and user.role != "admin":
        raise web.HTTPForbidden(text="Only the item's author or an admin can remove its comments.")
    async with db.transaction() as tx:
        await withdraw(tx, request.app[URLS], form["iri"])
    await notice(request, _("The comment was removed."))
    raise redirect("/desk/comments")


@login_required
async def post_reply(request: web.Request) -> web.Response:
    """Reply from the node to a comment (or an item): a Note by the organizer (node/replying.py)."""
    config = request.app[CONFIG]
    _who, _ = gettext(request)
    form = await fields(request)
    target, text = form.get("target", ""), form.get("text", "")
    if not text.strip():
        return await _comments_page(request, form, {"text": _("Write your reply.")}, 400)
    if await mentions.is_private(request.app[DB], target):
        return await _comments_page(request, form, {"": _("A private message is not answered in public.")}, 400)
    organizer = await get_actor(request.app[DB], (await user_of(request)).username)
    assert organizer is not None
    try:
        await reply(request.app[DB], request.app[URLS], request.app[FETCHER], network=config.network,
                    organizer=organizer, target=target, text_md=text, lang=form.get("lang") or config.default_lang)
    except CommentError as exc:
        return await _comments_page(request, form, {"text": str(exc)}, 400)
    await notice(request, _("Your reply was published."))
    raise redirect("/desk/comments")
