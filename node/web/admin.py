"""Admin pages (role admin; an organizer gets 403): organizers, their roles, passwords and suspension,
node settings, domain blocks and the delivery queue. Follows, peers, moderation and reports are in
node/web/admin_network.py."""

import dataclasses
import re
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from protocol.retry import FOLLOWERS_EXPIRE_AFTER_SECONDS, HOST_FAILURES_TO_WAIT

from .. import hosts, media
from ..accounts import (
    ROLES,
    AccountError,
    Login,
    add_user,
    generated_password,
    get_login,
    list_logins,
    reactivate,
    set_password,
    set_role,
    suspend,
)
from ..appkeys import CONFIG, DB, INBOX_WORKER, SETTINGS, URLS
from ..auth import accepts_upload, admin_required
from ..formerrors import FieldError
from ..settings import save, validated
from .forms import fields, files, gettext, notice, page, read_upload, redirect, user_of

HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")


@admin_required
async def get_admin(request: web.Request) -> web.Response:
    db = request.app[DB]
    counts = {
        "users": await db.fetch_value("SELECT count(*) FROM users"),
        "follow_requests": await db.fetch_value("SELECT count(*) FROM follows WHERE state = 'pending'"
                                                " AND followee_iri LIKE ?", (f"{request.app[URLS].base}/%",)),
        "held_comments": await db.fetch_value("SELECT count(*) FROM comments WHERE state = 'held'"),
        "reports": await db.fetch_value("SELECT count(*) FROM reports WHERE state = 'open'"),
        "failed_deliveries": await db.fetch_value("SELECT count(*) FROM deliveries WHERE state = 'failed'"),
        "pending_deliveries": await db.fetch_value("SELECT count(*) FROM deliveries WHERE state = 'pending'"),
        "blocked": await db.fetch_value("SELECT count(*) FROM domains WHERE blocked = 1"),
    }
    return await page(request, "admin/index.html", {"counts": counts, "section": "admin"})


async def _users_page(request: web.Request, form: dict[str, str] | None = None,
                      errors: dict[str, str] | None = None, status: int = 200,
                      new_password: tuple[str, str] | None = None) -> web.Response:
    me = await user_of(request)
    return await page(request, "admin/users.html", {
        "users": await list_logins(request.app[DB]), "me": me.actor_id, "roles": ROLES,
        "form": form or {"role": "organizer"}, "errors": errors or {}, "section": "admin",
        "domain": request.app[CONFIG].domain, "new_password": new_password}, status=status)


@admin_required
async def get_users(request: web.Request) -> web.Response:
    return await _users_page(request)


@admin_required
async def post_user(request: web.Request) -> web.Response:
    """Add an organizer (or admin): a Person actor with a login, as `maillage user add` does."""
    _who, _ = gettext(request)
    form = await fields(request)
    name = form.get("username", "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["username"] = _("Choose a user name.")
    if form.get("role") not in ROLES:
        errors["role"] = _("Choose one of the options.")
    if len(form.get("password", "")) < 8:
        errors["password"] = _("Use at least %(count)s characters.", count=8)
    if not errors:
        try:
            async with request.app[DB].transaction() as tx:
                await add_user(tx, username=name, password=form["password"], role=form["role"],
                               display_name=form.get("display_name", "").strip() or None)
        except AccountError as exc:
            errors["username"] = str(exc)
    if errors:
        form.pop("password", None)  # never sent back into the page
        return await _users_page(request, form, errors, 400)
    await notice(request, _("%(name)s can now log in.", name=name))
    raise redirect("/admin/users")


async def _other_user(request: web.Request, form: dict[str, str], own_error: str) -> Login | web.Response:
    """The user a form names, or the users page with why not: unknown, or the admin themself."""
    _who, _ = gettext(request)
    target = await get_login(request.app[DB], form.get("username", ""))
    if target is None:
        return await _users_page(request, errors={"": _("There is no such user.")}, status=400)
    if target.actor_id == (await user_of(request)).actor_id:
        return await _users_page(request, errors={"": own_error}, status=400)
    return target


@admin_required
async def post_password(request: web.Request) -> web.Response:
    """Give a user a generated password, shown once on this page: the way back in for someone who lost
    theirs (there is no e-mail). Their open sessions end."""
    _who, _ = gettext(request)
    target = await _other_user(request, await fields(request),
                               _("Change your own password from your account page."))
    if isinstance(target, web.Response):
        return target
    password = generated_password()
    async with request.app[DB].transaction() as tx:
        await set_password(tx, target.actor_id, password)
    return await _users_page(request, new_password=(target.username, password))


@admin_required
async def post_suspension(request: web.Request) -> web.Response:
    """Suspend a login (it is refused, its sessions end; the actor and its posts stay) or lift it."""
    _who, _ = gettext(request)
    form = await fields(request)
    target = await _other_user(request, form, _("You cannot suspend your own account."))
    if isinstance(target, web.Response):
        return target
    if form.get("action") not in ("suspend", "reactivate"):
        return await _users_page(request, errors={"": _("Choose one of the options.")}, status=400)
    try:
        async with request.app[DB].transaction() as tx:
            if form["action"] == "suspend":
                await suspend(tx, target)
            else:
                await reactivate(tx, target)
    except AccountError:
        return await _users_page(request, errors={"": _(
            "%(name)s is the only admin who can log in: make another admin first.", name=target.username)},
            status=400)
    if form["action"] == "suspend":
        await notice(request, _("%(name)s is suspended: they cannot log in until reactivated.", name=target.username))
    else:
        await notice(request, _("%(name)s can log in again.", name=target.username))
    raise redirect("/admin/users")


@admin_required
async def post_role(request: web.Request) -> web.Response:
    """Change a user's role; an admin cannot take the role away from themself (someone must stay admin)."""
    _who, _ = gettext(request)
    form = await fields(request)
    me = await user_of(request)
    target = await get_login(request.app[DB], form.get("username", ""))
    if target is None:
        return await _users_page(request, errors={"": _("There is no such user.")}, status=400)
    if form.get("role") not in ROLES:
        return await _users_page(request, errors={"": _("Choose one of the options.")}, status=400)
    if target.actor_id == me.actor_id and form["role"] != "admin":
        return await _users_page(request, errors={"": _("You cannot remove your own admin role.")}, status=400)
    async with request.app[DB].transaction() as tx:
        await set_role(tx, target.actor_id, form["role"])
    await notice(request, _("The role of %(name)s was changed.", name=target.username))
    raise redirect("/admin/users")


def _settings_form(request: web.Request) -> dict[str, str]:
    s = request.app[SETTINGS]
    return {"title": s.title, "summary": s.summary_md, "charter": s.charter_md, "languages": ", ".join(s.languages),
            "manual_approval": "on" if s.manual_approval else "", "comments": s.comments}


async def _settings_page(request: web.Request, form: dict[str, str], errors: dict[str, str],
                         status: int = 200) -> web.Response:
    return await page(request, "admin/settings.html", {
        "form": form, "errors": errors, "section": "admin", "avatar": request.app[SETTINGS].avatar_url,
        "max_mb": media.MAX_BYTES // (1024 * 1024)}, status=status)


@admin_required
async def get_settings(request: web.Request) -> web.Response:
    return await _settings_page(request, _settings_form(request), {})


@admin_required
@accepts_upload(media.MAX_BYTES)
async def post_settings(request: web.Request) -> web.Response:
    """Save the settings; they apply at once, and the Group's followers get an Update of its profile."""
    config, db = request.app[CONFIG], request.app[DB]
    _who, _ = gettext(request)
    form = await fields(request)
    current = request.app[SETTINGS]
    data = read_upload((await files(request)).get("avatar"), media.MAX_BYTES)
    try:
        media_type = media.check(data, "", file_field="avatar", need_alt=False) if data else ""
        new = validated(current, form, avatar_url=None)
    except FieldError as exc:
        return await _settings_page(request, form, {exc.field: exc.text(_)}, exc.status)
    if data:
        with media.written(config.data_dir, data, media_type) as avatar_name:
            new.avatar_url = media.url_of(config.base_url, avatar_name)
            await save(db, request.app[URLS], config.network, current, new,
                       avatar=(avatar_name, media_type, len(data)))
    else:
        await save(db, request.app[URLS], config.network, current, new)
    current.update(new)
    aiohttp_jinja2.get_env(request.app).globals["site_title"] = new.title
    worker = request.app[INBOX_WORKER]
    worker.ctx = dataclasses.replace(worker.ctx, manual_approval=new.manual_approval)  # follows from now on
    await notice(request, _("The settings were saved."))
    raise redirect("/admin/settings")


async def _domains_page(request: web.Request, form: dict[str, str] | None = None,
                        errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    rows = await request.app[DB].fetch_all(
        "SELECT host, blocked, unavailable, failing_since FROM domains WHERE blocked = 1 OR unavailable = 1"
        " ORDER BY blocked DESC, host")
    return await page(request, "admin/domains.html", {"domains": [dict(r) for r in rows], "form": form or {},
                                                      "errors": errors or {}, "section": "admin"}, status=status)


@admin_required
async def get_domains(request: web.Request) -> web.Response:
    return await _domains_page(request)


def normalize_host(value: str) -> str:
    """`https://Example.org/path` or `example.org` -> `example.org` (host[:port], as domains keeps it)."""
    host = value.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host).split("/", 1)[0].lstrip("@")
    return host.rsplit("@", 1)[-1]


@admin_required
async def post_domain(request: web.Request) -> web.Response:
    """Block a domain (its activities are refused, nothing is delivered to it) or unblock it."""
    _who, _ = gettext(request)
    form = await fields(request)
    host = normalize_host(form.get("host", ""))
    block = form.get("action", "block") == "block"
    if not HOST.match(host) or len(host) > 253:
        return await _domains_page(request, form, {"host": _("Write a domain name, like example.org.")}, 400)
    if host == request.app[CONFIG].domain:
        return await _domains_page(request, form, {"host": _("This is this node’s own domain.")}, 400)
    async with request.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, blocked) VALUES (?, ?) ON CONFLICT (host)"
                         " DO UPDATE SET blocked = excluded.blocked", (host, int(block)))
    await notice(request, _("%(host)s is blocked.", host=host) if block else _("%(host)s is no longer blocked.",
                                                                                   host=host))
    raise redirect("/admin/domains")


@admin_required
async def get_deliveries(request: web.Request) -> web.Response:
    """The delivery queue: counts by state and by domain, and the failed deliveries with their error."""
    db = request.app[DB]
    by_state = {r["state"]: r["n"] for r in await db.fetch_all(
        "SELECT state, count(*) AS n FROM deliveries GROUP BY state")}
    by_domain = [dict(r) for r in await db.fetch_all(
        "SELECT d.host, sum(d.state = 'pending') AS pending, sum(d.state = 'delivered') AS delivered,"
        " sum(d.state = 'failed') AS failed, max(d.updated_at) AS last, COALESCE(m.unavailable, 0) AS unavailable,"
        " COALESCE(m.blocked, 0) AS blocked FROM deliveries d LEFT JOIN domains m ON m.host = d.host"
        " GROUP BY d.host ORDER BY failed DESC, pending DESC, d.host LIMIT 200")]
    failed: list[dict[str, Any]] = [dict(r) for r in await db.fetch_all(
        "SELECT d.id, d.inbox, d.host, d.attempts, d.last_status, d.last_error, d.updated_at, a.type, a.object_iri"
        " FROM deliveries d JOIN activities a ON a.id = d.activity_id WHERE d.state = 'failed'"
        " ORDER BY d.id DESC LIMIT 100")]
    return await page(request, "admin/deliveries.html", {
        "by_state": by_state, "by_domain": by_domain, "failed": failed, "troubled": await hosts.troubled(db),
        "waits_after": HOST_FAILURES_TO_WAIT, "expire_days": FOLLOWERS_EXPIRE_AFTER_SECONDS // 86400,
        "section": "admin"})
