"""`/login`, `/logout`, `/account/password` and `/account/profile`. A failed login is counted per account
and client address, per address and per account (node/auth.py LoginLimits); past a limit the form
answers 429 with how long to wait, whether the password is right or not, so guessing gains nothing."""

import dataclasses
import math

from aiohttp import web
from aiohttp_session import get_session

from .. import media, profiles
from ..accounts import MIN_PASSWORD_LENGTH, AccountError, hash_password, set_password, verify_password
from ..accounts import get_login as find_login
from ..appkeys import CONFIG, DB, URLS
from ..auth import (
    LOGIN_LIMITS,
    accepts_upload,
    current_user,
    end_session,
    fingerprint,
    login_required,
    safe_next,
    start_session,
)
from ..formerrors import FieldError
from ..ratelimit import retry_after_header
from .forms import fields, files, gettext, notice, page, read_upload, redirect, user_of

# Verified when the name is unknown, so an unknown name costs the same time as a wrong password.
_DUMMY_HASH = hash_password("not anyone's password")


async def get_login(request: web.Request) -> web.Response:
    if await current_user(request) is not None:
        raise redirect(safe_next(request.query.get("next")))
    return await page(request, "desk/login.html", {"form": {"next": safe_next(request.query.get("next"))}})


async def post_login(request: web.Request) -> web.Response:
    form = await fields(request)
    _who, _ = gettext(request)
    name, password = form.get("username", "").strip(), form.get("password", "")
    shown = {"username": name, "next": safe_next(form.get("next"))}
    address = request.remote or "unknown"
    limits = request.app[LOGIN_LIMITS]
    wait = limits.wait(address, name)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        response = await page(request, "desk/login.html", {"form": shown, "errors": {
            "": _("Too many failed attempts. Try again in %(minutes)s minutes.", minutes=minutes)}}, status=429)
        response.headers["Retry-After"] = retry_after_header(wait)
        return response
    errors = {}
    if not name:
        errors["username"] = _("Enter your user name.")
    if not password:
        errors["password"] = _("Enter your password.")
    if errors:
        return await page(request, "desk/login.html", {"form": shown, "errors": errors}, status=400)
    user = await find_login(request.app[DB], name)
    if not verify_password(user.password_hash if user else _DUMMY_HASH, password) or user is None:
        limits.failed(address, name)
        return await page(request, "desk/login.html", {"form": shown, "errors": {
            "": _("Wrong user name or password.")}}, status=401)
    if user.suspended_at is not None:  # told only to whom knows the password
        return await page(request, "desk/login.html", {"form": shown, "errors": {
            "": _("This account is suspended. Ask an admin of the network to reactivate it.")}}, status=403)
    limits.succeeded(address, name)
    await start_session(request, user)
    raise redirect(shown["next"])


async def post_logout(request: web.Request) -> web.Response:
    await end_session(request)
    raise redirect("/")


@login_required
async def get_password(request: web.Request) -> web.Response:
    return await page(request, "desk/password.html", {})


@login_required
async def post_password(request: web.Request) -> web.Response:
    user = await user_of(request)
    form = await fields(request)
    _who, _ = gettext(request)
    current, new = form.get("current_password", ""), form.get("new_password", "")
    again = form.get("confirm_password", "")
    errors = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = _("This is not your current password.")
    try:
        hash_password(new)
    except AccountError:
        errors["new_password"] = _("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)
    if not errors.get("new_password") and new != again:
        errors["confirm_password"] = _("The two new passwords differ.")
    if errors:
        return await page(request, "desk/password.html", {"errors": errors}, status=400)
    async with request.app[DB].transaction() as tx:
        await set_password(tx, user.actor_id, new)
    fresh = await find_login(request.app[DB], user.username)
    assert fresh is not None
    session = await get_session(request)
    session["pw"] = fingerprint(fresh)  # this session stays; every other one is logged out
    await notice(request, _("Your password was changed."))
    raise redirect("/desk")


async def _profile_page(request: web.Request, form: dict[str, str], errors: dict[str, str],
                        status: int = 200) -> web.Response:
    user = await user_of(request)
    current = await profiles.load(request.app[DB], user.actor_id)
    return await page(request, "desk/profile.html", {
        "form": form, "errors": errors, "avatar": current.avatar_url, "handle": f"@{user.username}@"
        f"{request.app[CONFIG].domain}", "actor_url": request.app[URLS].actor(user.username),
        "max_mb": media.MAX_BYTES // (1024 * 1024), "section": "profile"}, status=status)


@login_required
async def get_profile(request: web.Request) -> web.Response:
    current = await profiles.load(request.app[DB], (await user_of(request)).actor_id)
    return await _profile_page(request, {"name": current.name, "bio": current.bio_md}, {})


@login_required
@accepts_upload(media.MAX_BYTES)
async def post_profile(request: web.Request) -> web.Response:
    """Save the organizer's own name, bio and avatar; their followers get an Update of the profile."""
    config, db = request.app[CONFIG], request.app[DB]
    user = await user_of(request)
    _who, _ = gettext(request)
    form = await fields(request)
    current = await profiles.load(db, user.actor_id)
    data = read_upload((await files(request)).get("avatar"), media.MAX_BYTES)
    try:
        media_type = media.check(data, "", file_field="avatar", need_alt=False) if data else ""
        new = profiles.validated(current, form)
    except FieldError as exc:
        return await _profile_page(request, form, {exc.field: exc.text(_)}, exc.status)
    if data:
        with media.written(config.data_dir, data, media_type) as name:
            new = dataclasses.replace(new, avatar_url=media.url_of(config.base_url, name))
            await profiles.save(db, request.app[URLS], user.username, current, new,
                                avatar=(name, media_type, len(data), config.default_lang))
    else:
        await profiles.save(db, request.app[URLS], user.username, current, new)
    await notice(request, _("Your profile was saved."))
    raise redirect("/account/profile")
