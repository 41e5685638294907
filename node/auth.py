"""Who is logged in, and proof that a form was sent from one of our pages.

Sessions live in a cookie encrypted and authenticated with Fernet (aiohttp-session's
EncryptedCookieStorage): HttpOnly, SameSite=Lax, Secure when the node is served over https. The key is
`DATA/session.key` (0600), made at `maillage init` or at the first start of an older node. A session
holds a random token naming its row in `login_sessions` (node/login_sessions.py: logging out deletes
the row, so a copy of the cookie is refused after), a fingerprint of the user's password hash and
session epoch (changing the password, or a suspension, logs out every other session) and a CSRF token.
The role and a suspension are read from the database on every request, so they apply at once.

CSRF: every form carries the session's token in a hidden `csrf_token` field; the middleware below
refuses (403) any POST whose token is missing or differs (compared in constant time), before the
handler runs. ActivityPub inboxes are exempt: they authenticate each request with HTTP Signatures
and never read the session."""

import functools
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

from aiohttp import web
from aiohttp_session import get_session, new_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet
from yarl import URL

from .accounts import Login
from .appkeys import DB
from .config import Config
from .login_sessions import SESSION_MAX_AGE, close_session, login_of, open_session
from .ratelimit import RateLimiter, client_key
from .uploads import FORM, read_form

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KEY_FILE = "session.key"
COOKIE = "maillage_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes that authenticate every request with an HTTP Signature: no session, no CSRF token.
CSRF_EXEMPT_ROUTES = frozenset({"/inbox", "/actor/inbox", "/users/{username}/inbox"})
_USER_KEY = web.RequestKey[Login | None]("maillage_user")
DEFAULT_NEXT, MAX_NEXT_LENGTH = "/desk", 2000
# Controls and spaces (browsers drop or strip them) and backslashes (browsers read them as slashes).
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")
_DOT_SEGMENT = re.compile(r"(^|/)\.{1,2}(/|$)")
# Failed logins allowed per 10 minutes: per account and client address; per address, over every account
# (one password tried on many names); per account, over every address (the ceiling of a spread guess).
LOGIN_PERIOD = 600.0
LOGIN_ATTEMPTS, ADDRESS_ATTEMPTS, ACCOUNT_ATTEMPTS = 10, 30, 100
KNOWN_LOGINS = 10_000


class LoginLimits:
    """Failed logins per (account, client address), per address and per account (node/ratelimit.py token
    buckets). A guesser at one address locks only itself out of the account; the account's ceiling, ten
    times higher, bounds a guess spread over many addresses, and does not apply where the account last
    logged in (at most KNOWN_LOGINS such pairs are remembered), so even many guessers cannot lock its
    owner out there. An IPv6 client counts as its /64, which one host usually holds whole."""

    def __init__(self, attempts: int = LOGIN_ATTEMPTS, period: float = LOGIN_PERIOD, *,
                 address_attempts: int = ADDRESS_ATTEMPTS, account_attempts: int = ACCOUNT_ATTEMPTS) -> None:
        self.by_pair = RateLimiter(attempts, period)
        self.by_address = RateLimiter(address_attempts, period)
        self.by_account = RateLimiter(account_attempts, period)
        self._known: dict[tuple[str, str], None] = {}  # (account, client) that logged in; oldest first

    def wait(self, address: str, name: str) -> float:
        account, client = name.lower(), client_key(address)
        waits = [self.by_pair.wait((account, client)), self.by_address.wait(client)]
        if (account, client) not in self._known:
            waits.append(self.by_account.wait(account))
        return max(waits)

    def failed(self, address: str, name: str) -> None:
        account, client = name.lower(), client_key(address)
        self.by_pair.spend((account, client))
        self.by_address.spend(client)
        self.by_account.spend(account)

    def succeeded(self, address: str, name: str) -> None:
        """The right password from here: this pair's failures are forgotten and the ceiling spares it."""
        pair = (name.lower(), client_key(address))
        self.by_pair.forget(pair)
        self._known.pop(pair, None)
        self._known[pair] = None
        if len(self._known) > KNOWN_LOGINS:
            del self._known[next(iter(self._known))]


LOGIN_LIMITS = web.AppKey("login_limits", LoginLimits)


def ensure_session_key(data_dir: Path) -> bytes:
    """The Fernet key of session cookies, created (0600) when missing (an existing file readable by
    others is made private at start, node/datadir.py)."""
    path = data_dir / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(Fernet.generate_key())
    return path.read_bytes().strip()


def session_storage(config: Config) -> EncryptedCookieStorage:
    return EncryptedCookieStorage(
        Fernet(ensure_session_key(config.data_dir)), cookie_name=COOKIE, max_age=SESSION_MAX_AGE, httponly=True,
        samesite="Lax", secure=config.base_url.startswith("https://"))


def sessions(config: Config) -> Callable[..., Awaitable[web.StreamResponse]]:
    return session_middleware(session_storage(config))


def fingerprint(user: Login) -> str:
    """Changes with the password and with each suspension: a session made before either no longer matches."""
    epoch = f"#{user.session_epoch}" if user.session_epoch else ""  # 0: the fingerprints made before epochs
    return hashlib.sha256(f"{user.password_hash}{epoch}".encode()).hexdigest()[:24]


async def csrf_token(request: web.Request) -> str:
    """The session's token, made on first use (which sets the session cookie)."""
    session = await get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def start_session(request: web.Request, user: Login) -> None:
    """A fresh session at login (never the one the visitor had before: no session fixation)."""
    session = await new_session(request)
    session["sid"] = await open_session(request.app[DB], user.actor_id)
    session["pw"] = fingerprint(user)
    session["csrf"] = secrets.token_urlsafe(32)


async def current_user(request: web.Request) -> Login | None:
    if _USER_KEY in request:
        return request[_USER_KEY]
    session = await get_session(request)
    user = None
    token = session.get("sid")
    if isinstance(token, str):  # a cookie made before server-side sessions has none: logged out
        found = await login_of(request.app[DB], token)
        # A suspension raised the epoch: no session made before it matches, even once reactivated.
        if found is not None and hmac.compare_digest(str(session.get("pw", "")), fingerprint(found)):
            user = found
    request[_USER_KEY] = user
    return user


async def end_session(request: web.Request) -> None:
    """Log out: the session's row goes, so every copy of its cookie is refused from now on."""
    session = await get_session(request)
    token = session.get("sid")
    if isinstance(token, str):
        await close_session(request.app[DB], token)
    session.invalidate()


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path on this node, else the desk. Parsed, not matched by prefix,
    and judged three times: as sent, as aiohttp writes it in `Location` (yarl, which drops tabs and
    newlines: slash, tab, `/evil.example` became `//evil.example`) and with its path decoded (what a
    proxy may make of `/%2F%2Fevil.example`). Browsers drop tabs and newlines too, strip leading controls and
    spaces, and read a backslash as a slash: any of them refuses the whole value, as do dot segments."""
    if not value or len(value) > MAX_NEXT_LENGTH:
        return DEFAULT_NEXT
    try:
        location = URL(value)
    except ValueError:
        return DEFAULT_NEXT
    if location.absolute or location.scheme or not all(map(_path_only, (value, str(location), location.path))):
        return DEFAULT_NEXT
    return value


def _path_only(text: str) -> bool:
    """`text` is a path from this node's root: no scheme, no authority, nothing a browser reads otherwise."""
    parts = urlsplit(text)
    return (text.startswith("/") and not text.startswith("//") and not _UNSAFE_IN_NEXT.search(text)
            and not parts.scheme and not parts.netloc and not _DOT_SEGMENT.search(parts.path))


def login_redirect(request: web.Request) -> web.HTTPFound:
    target = request.path_qs if request.method == "GET" else request.path
    return web.HTTPFound(f"/login?next={quote(target, safe='/')}")


def login_required(handler: Handler) -> Handler:
    """Logged-in organizers and admins only; others are sent to /login and back."""
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if await current_user(request) is None:
            raise login_redirect(request)
        return await handler(request)

    wrapper.login_required = True  # type: ignore[attr-defined]
    return wrapper


def admin_required(handler: Handler) -> Handler:
    """Admins only: an organizer gets 403."""
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        user = await current_user(request)
        if user is None:
            raise login_redirect(request)
        if user.role != "admin":
            raise web.HTTPForbidden(text="This page is for the node's admins.")
        return await handler(request)

    wrapper.login_required = True  # type: ignore[attr-defined]
    return wrapper


def accepts_upload(max_file: int) -> Callable[[Handler], Handler]:
    """A multipart form with a file: the file may be up to `max_file` bytes; a larger one reaches the
    handler cut at `max_file` + 1 bytes, its text fields kept, for the form to say so (node/uploads.py)."""
    def mark(handler: Handler) -> Handler:
        handler.max_file = max_file  # type: ignore[attr-defined]
        return handler
    return mark


def accepts_long_form(max_body: int) -> Callable[[Handler], Handler]:
    """A form of long texts: its body may be up to `max_body` bytes (others: the app's 1 MiB)."""
    def mark(handler: Handler) -> Handler:
        handler.max_body = max_body  # type: ignore[attr-defined]
        return handler
    return mark


def _exempt(request: web.Request) -> bool:
    route = request.match_info.route
    return route.resource is not None and route.resource.canonical in CSRF_EXEMPT_ROUTES


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a form POST without the session's token before the handler sees it."""
    if request.method not in UNSAFE_METHODS or request.match_info.http_exception is not None or _exempt(request):
        return await handler(request)
    route_handler = request.match_info.handler
    session = await get_session(request)
    if getattr(route_handler, "login_required", False) and await current_user(request) is None:
        raise login_redirect(request)  # an expired session: log in again rather than a bare 403
    expected = session.get("csrf")
    if not isinstance(expected, str):
        raise web.HTTPForbidden(text="This form has expired: reload the page and send it again.")
    max_file, max_body = getattr(route_handler, "max_file", None), getattr(route_handler, "max_body", None)
    if max_file:
        form = await read_form(request, max_file)
        request[FORM] = form
    else:
        if max_body:
            request = request.clone(client_max_size=max_body)
        form = await request.post()
    try:
        token = form.get("csrf_token")
        if not isinstance(token, str) or not hmac.compare_digest(token.encode(), expected.encode()):
            raise web.HTTPForbidden(text="This form has expired or was not sent from this site: reload the page "
                                         "and send it again.")
        return await handler(request)
    finally:
        for value in form.values():  # uploads wait in temporary files: gone with the request
            if isinstance(value, web.FileField):
                value.file.close()
