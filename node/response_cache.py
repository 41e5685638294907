"""Anonymous GETs of public resources answered from memory while the database has not changed.

Why: the fediverse reads the same few things in bursts (every server that sees a boost fetches the
post and its author; a link shared in a newsletter brings readers to one page), and building such a
response again costs ten to fifty times what sending its bytes does. An entry stays valid while
SQLite's `data_version` is unchanged, i.e. no connection of this process or any other (the CLI)
has committed anything since it was stored, and for no longer than the response allows shared
caches to keep it (`Cache-Control: public, max-age=N`; `no-cache` pages at most NO_CACHE_TTL
seconds, so that labels which depend on the time, such as "upcoming", are never older than that).

Only responses their handler declared `public` are kept, only for requests without a session
cookie, never with a `Set-Cookie`; the key holds every request header that such a response may
vary on (Accept, Accept-Language, the language cookie, Host).
"""

import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware
from multidict import CIMultiDict

from .appkeys import DB
from .auth import COOKIE as SESSION_COOKIE
from .web.language import LANG_COOKIE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NO_CACHE_TTL = 30.0  # seconds: `public, no-cache` pages (HTML) are revalidated against the database
MAX_TTL = 300.0
MAX_ENTRY_BYTES = 1_000_000
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")
# Recomputed for each answer by aiohttp; a stored copy would be wrong or repeated.
_UNSTORED_HEADERS = frozenset(h.lower() for h in (hdrs.CONTENT_LENGTH, hdrs.DATE, hdrs.SERVER,
                                                   hdrs.TRANSFER_ENCODING, hdrs.CONNECTION))

_Key = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class _Entry:
    version: int
    expires: float
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _ttl(cache_control: str) -> float:
    """How long a response with this Cache-Control may be kept here; 0 when it may not."""
    directives = cache_control.lower()
    if "public" not in directives or "private" in directives or "no-store" in directives:
        return 0.0
    if "no-cache" in directives:
        return NO_CACHE_TTL
    match = _MAX_AGE.search(directives)
    return min(float(match.group(1)), MAX_TTL) if match else 0.0


class ResponseCache:
    """A bounded LRU of response bytes, `max_bytes` in all (0 turns it off)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()

    @staticmethod
    def key(request: web.Request) -> _Key | None:
        """The request's key, or None when its answer must not come from (or go to) the cache."""
        if request.method != hdrs.METH_GET or SESSION_COOKIE in request.cookies:
            return None
        headers = request.headers
        return (request.path_qs, headers.get(hdrs.ACCEPT, ""), headers.get(hdrs.ACCEPT_LANGUAGE, ""),
                request.cookies.get(LANG_COOKIE, ""), request.host)

    def get(self, key: _Key, version: int) -> web.Response | None:
        entry = self._entries.get(key)
        if entry is None or entry.version != version or entry.expires < time.monotonic():
            if entry is not None:
                self._drop(key)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return web.Response(body=entry.body, status=entry.status, headers=CIMultiDict(entry.headers))

    def put(self, key: _Key, version: int, response: web.StreamResponse) -> None:
        """Keep `response` if it is a complete public 200 answer that sets no cookie."""
        if (self.max_bytes <= 0 or type(response) is not web.Response or response.status != 200
                or not isinstance(response.body, bytes) or response.cookies or hdrs.SET_COOKIE in response.headers
                or response.compression):
            return
        ttl = _ttl(response.headers.get(hdrs.CACHE_CONTROL, ""))
        body = response.body
        if ttl <= 0 or len(body) > min(MAX_ENTRY_BYTES, self.max_bytes):
            return
        headers = tuple((name, value) for name, value in response.headers.items()
                        if name.lower() not in _UNSTORED_HEADERS)
        self._drop(key)
        self._entries[key] = _Entry(version, time.monotonic() + ttl, response.status, headers, body)
        self.size += len(body)
        while self.size > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: _Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry.body)


RESPONSE_CACHE = web.AppKey("response_cache", ResponseCache)


def response_cache_middleware(cache: ResponseCache) -> Middleware:
    @web.middleware
    async def cached(request: web.Request, handler: Handler) -> web.StreamResponse:
        key = ResponseCache.key(request) if cache.max_bytes > 0 else None
        if key is None:
            return await handler(request)
        # Read before the handler runs: whatever it reads is at least this recent, so an entry is
        # never filed under a version older than the data it shows.
        version = request.app[DB].data_version()
        hit = cache.get(key, version)
        if hit is not None:
            return hit
        response = await handler(request)
        cache.put(key, version, response)
        return response

    return cached
