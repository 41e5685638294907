"""What every page of the desk, the admin and the account pages shares: the logged-in user, the CSRF
token their forms carry, a one-time notice after a redirect ("Saved."), the submitted fields, and
rendering in the reader's language (node/web/language.py)."""

from typing import Any

from aiohttp import web
from aiohttp_session import get_session
from multidict import MultiDictProxy

from .. import unseen
from ..accounts import Login
from ..appkeys import CONFIG, DB, URLS
from ..auth import csrf_token, current_user
from ..i18n import translator
from ..uploads import FORM
from .language import Reader, reader, render


async def user_of(request: web.Request) -> Login:
    """The logged-in user of a handler behind login_required/admin_required."""
    user = await current_user(request)
    if user is None:  # the decorators make this unreachable; a bug must not serve a page anyway
        raise web.HTTPForbidden(text="Log in first.")
    return user


def gettext(request: web.Request) -> tuple[Reader, Any]:
    """(the reader, `_` in their language) for messages a handler writes."""
    who = reader(request)
    return who, translator(who.ui)


async def notice(request: web.Request, message: str) -> None:
    """A message shown once on the next page (already translated)."""
    session = await get_session(request)
    session["notice"] = message[:500]


async def page(request: web.Request, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    """Render a logged-in page: the user, the CSRF token for its forms, and a pending notice."""
    session = await get_session(request)
    shown = session.pop("notice", None)
    user = await current_user(request)
    news = await unseen.count(request.app[DB], user, request.app[CONFIG].network) if user is not None else 0
    waiting = await unseen.waiting(request.app[DB], request.app[URLS]) if user is not None and user.role == "admin" \
        else 0
    base = {"user": user, "csrf_token": await csrf_token(request), "notice": shown, "errors": {}, "form": {},
            "unseen": news, "waiting": waiting}
    response = render(request, template, {**base, **context}, who=reader(request), status=status)
    response.headers["Cache-Control"] = "no-store"  # personal pages: never kept by a shared cache
    return response


async def _posted(request: web.Request) -> MultiDictProxy[Any]:
    """The form as the CSRF middleware read it (node/uploads.py for a form with a file)."""
    return request[FORM] if FORM in request else await request.post()


async def fields(request: web.Request) -> dict[str, str]:
    """The text fields of the submitted form (the CSRF middleware has read it already); files are left
    out (`files()`)."""
    form = await _posted(request)
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


async def files(request: web.Request) -> dict[str, web.FileField]:
    form = await _posted(request)
    return {k: v for k, v in form.items() if isinstance(v, web.FileField)}


def read_upload(upload: web.FileField | None, limit: int) -> bytes:
    """The bytes of an uploaded file, at most `limit` + 1 (enough to tell it is too large)."""
    if upload is None or not upload.filename:
        return b""
    return upload.file.read(limit + 1)


def redirect(location: str) -> web.HTTPSeeOther:
    """After a POST that changed something: 303, so reloading the next page sends nothing again."""
    return web.HTTPSeeOther(location)
