"""Admin pages about the network around the node: follow requests (approve or reject), followers and
following, peers (follow or unfollow a node by its handle), the comment moderation queue and the
reports received as Flag activities. Each action is a use case of node/ the CLI shares."""

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .. import account_blocks, comments, follow_requests, reports
from ..accounts import get_actor
from ..appkeys import CONFIG, DB, FETCHER, URLS
from ..auth import admin_required
from ..fetch import FetchError
from ..following import FollowError, follow, resolve_target, unfollow
from .forms import fields, gettext, notice, page, redirect


async def _network_page(request: web.Request, form: dict[str, str] | None = None,
                        errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    db, urls, config = request.app[DB], request.app[URLS], request.app[CONFIG]
    local = f"{urls.base}/%"
    followers = await db.fetch_all(
        "SELECT f.follower_iri, f.followee_iri, f.updated_at, ra.name, ra.username, ra.host FROM follows f"
        " LEFT JOIN remote_actors ra ON ra.iri = f.follower_iri WHERE f.state = 'accepted' AND f.followee_iri LIKE ?"
        " ORDER BY f.id DESC LIMIT 500", (local,))
    following = await db.fetch_all(
        "SELECT f.followee_iri, f.state, f.updated_at, ra.name, ra.username, ra.host FROM follows f"
        " LEFT JOIN remote_actors ra ON ra.iri = f.followee_iri WHERE f.follower_iri = ? ORDER BY f.id DESC",
        (urls.actor(config.network),))
    peers = await db.fetch_all("SELECT host, base_url, name, software, last_activity_at, error FROM peers"
                               " ORDER BY host LIMIT 500")
    return await page(request, "admin/network.html", {
        "requests": await follow_requests.pending(db, urls), "followers": [dict(r) for r in followers],
        "following": [dict(r) for r in following], "peers": [dict(r) for r in peers],
        "form": form or {}, "errors": errors or {}, "section": "admin", "base": urls.base}, status=status)


@admin_required
async def get_network(request: web.Request) -> web.Response:
    return await _network_page(request)


@admin_required
async def post_follow_request(request: web.Request) -> web.Response:
    """Approve or reject a pending follow: the Accept or Reject goes to the follower."""
    _who, _ = gettext(request)
    form = await fields(request)
    decision = form.get("decision")
    if decision not in ("approve", "reject"):
        return await _network_page(request, errors={"": _("Choose one of the options.")}, status=400)
    try:
        await follow_requests.decide(request.app[DB], request.app[URLS], request.app[FETCHER],
                                     follower_iri=form.get("follower", ""), followee_iri=form.get("followee", ""),
                                     approve=decision == "approve")
    except follow_requests.FollowRequestError as exc:
        return await _network_page(request, errors={"": str(exc)}, status=400)
    except FetchError as exc:
        return await _network_page(request, errors={"": _("Cannot reach the follower’s server: %(reason)s",
                                                          reason=exc.reason)}, status=502)
    await notice(request, _("Follow request approved.") if decision == "approve" else _("Follow request rejected."))
    raise redirect("/admin/network")


@admin_required
async def post_peer(request: web.Request) -> web.Response:
    """The network follows (or unfollows) another node or account, by `@name@host` or its address."""
    config = request.app[CONFIG]
    _who, _ = gettext(request)
    form = await fields(request)
    target = form.get("handle", "").strip()
    action = form.get("action", "follow")
    if not target:
        return await _network_page(request, form, {"handle": _("Write a handle like @reseau@example.org.")}, 400)
    group = await get_actor(request.app[DB], config.network)
    assert group is not None
    args: dict[str, Any] = {"follower": group, "target": target}
    if action == "unfollow" and form.get("confirm") != "yes":  # one click must not undo a follow: confirm first
        raise redirect(f"/admin/peers/unfollow?{urlencode({'handle': target})}")
    try:
        if action == "unfollow":
            await unfollow(request.app[DB], request.app[URLS], request.app[FETCHER], **args)
        else:
            result = await follow(request.app[DB], request.app[URLS], request.app[FETCHER], **args)
    except FollowError as exc:
        return await _network_page(request, form, {"handle": str(exc)}, 400)
    except FetchError as exc:
        return await _network_page(request, form, {"handle": _("Cannot reach %(target)s: %(reason)s",
                                                               target=target, reason=exc.reason)}, 400)
    if action == "unfollow":
        await notice(request, _("The network no longer follows %(target)s.", target=target))
    elif result.state == "accepted":
        await notice(request, _("The network follows %(target)s.", target=target))
    else:
        await notice(request, _("Follow request sent to %(target)s; waiting for its answer.", target=target))
    raise redirect("/admin/network")


@admin_required
async def get_unfollow(request: web.Request) -> web.Response:
    """What unfollowing a node does, and the button that does it (POST /admin/peers, confirmed)."""
    config, urls = request.app[CONFIG], request.app[URLS]
    target = request.query.get("handle", "").strip()
    row = await request.app[DB].fetch_one(
        "SELECT f.followee_iri, ra.name, ra.username, ra.host FROM follows f"
        " LEFT JOIN remote_actors ra ON ra.iri = f.followee_iri WHERE f.follower_iri = ? AND f.followee_iri = ?",
        (urls.actor(config.network), target))
    if row is None:
        raise web.HTTPNotFound(text="The network does not follow this address.")
    return await page(request, "admin/unfollow.html", {"target": dict(row), "section": "admin"})


async def _moderation_page(request: web.Request, errors: dict[str, str] | None = None,
                           status: int = 200, form: dict[str, str] | None = None) -> web.Response:
    db = request.app[DB]
    return await page(request, "admin/moderation.html", {
        "held": await comments.held(db), "reports": await reports.list_reports(db), "errors": errors or {},
        "blocked": await account_blocks.listed(db), "form": form or {}, "section": "admin"}, status=status)


@admin_required
async def get_moderation(request: web.Request) -> web.Response:
    return await _moderation_page(request)


@admin_required
async def post_comment_decision(request: web.Request) -> web.Response:
    """Approve a held comment (shown, and relayed to the network's followers) or reject it."""
    _who, _ = gettext(request)
    form = await fields(request)
    decision = form.get("decision")
    if decision not in ("approve", "reject"):
        return await _moderation_page(request, {"": _("Choose one of the options.")}, 400)
    try:
        await comments.decide(request.app[DB], request.app[URLS], form.get("iri", ""), approve=decision == "approve")
    except comments.CommentError as exc:
        return await _moderation_page(request, {"": str(exc)}, 400)
    await notice(request, _("Comment approved.") if decision == "approve" else _("Comment rejected."))
    raise redirect("/admin/moderation")


@admin_required
async def post_report_decision(request: web.Request) -> web.Response:
    _who, _ = gettext(request)
    form = await fields(request)
    decision = form.get("decision")
    report_id = form.get("report", "")
    if decision not in ("resolved", "dismissed") or not report_id.isdigit():
        return await _moderation_page(request, {"": _("Choose one of the options.")}, 400)
    if not await reports.decide(request.app[DB], int(report_id), decision):
        return await _moderation_page(request, {"": _("This report was already handled.")}, 400)
    await notice(request, _("Report resolved.") if decision == "resolved" else _("Report dismissed."))
    raise redirect("/admin/moderation")


@admin_required
async def post_account_block(request: web.Request) -> web.Response:
    """Block an account elsewhere (by `@name@host` or its address), or lift a block (node/account_blocks.py)."""
    db, urls = request.app[DB], request.app[URLS]
    _who, _ = gettext(request)
    form = await fields(request)
    target, action = form.get("account", "").strip(), form.get("action", "block")
    if action not in ("block", "unblock"):
        return await _moderation_page(request, {"": _("Choose one of the options.")}, 400, form)
    if not target:
        return await _moderation_page(request, {"account": _("Write a handle like @name@example.org, or the"
                                                             " account's address.")}, 400, form)
    if action == "unblock":
        if not await account_blocks.unblock(db, target):
            return await _moderation_page(request, {"": _("This account is not blocked.")}, 400, form)
        await notice(request, _("%(target)s is no longer blocked.", target=target))
        raise redirect("/admin/moderation")
    try:
        iri = await resolve_target(request.app[FETCHER], target)
    except FollowError as exc:
        return await _moderation_page(request, {"account": str(exc)}, 400, form)
    except FetchError as exc:
        return await _moderation_page(request, {"account": _("Cannot reach %(target)s: %(reason)s", target=target,
                                                             reason=exc.reason)}, 400, form)
    if iri.startswith(f"{urls.base}/"):
        return await _moderation_page(request, {"account": _(
            "This account is on this node: suspend its login from the organizers page instead.")}, 400, form)
    if not await account_blocks.block(db, urls, iri, form.get("reason", "")[:500]):
        return await _moderation_page(request, {"account": _("This account is already blocked.")}, 400, form)
    await notice(request, _("%(target)s is blocked: its activities are refused, and its follows, comments, messages"
                            " and participations here were removed.", target=target))
    raise redirect("/admin/moderation")
