"""Remote fetches: signed GETs by the instance actor, bounded in time and size, SSRF-guarded,
with a cache of remote actors and their keys (refetched when a key seems to have rotated, at most once a
minute per key owner and a few times a minute per host).
Signed GETs double-knock as deliveries do (node/signing.py)."""

import asyncio
import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import aiohttp

from protocol.actors import RemoteActor, parse_actor
from protocol.errors import ParseError
from protocol.handles import Handle
from protocol.iri import iri_host, require_http_iri, same_origin
from protocol.sig import sign_request
from protocol.sig.common import key_owner_iri
from protocol.webfinger import parse_jrd_actor_iri, webfinger_url

from . import clock
from .compaction import compact_document
from .db import Database
from .netguard import BlockedAddressError, blocked_cause, check_url
from .ratelimit import RateLimiter
from .signing import KNOCK_AGAIN, KnownSchemes, other_scheme

AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
AP_MEDIA_TYPES = ("application/activity+json", "application/ld+json", "application/json", "application/jrd+json")
ACTOR_CACHE_SECONDS = 24 * 3600
KEY_FETCH_SECONDS = 60.0
HOST_KEY_FETCHES = 30  # key fetches a minute per host, beyond those that found their key
MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    """A remote document could not be fetched or is not what was asked for; `status` is the HTTP status,
    `unreached` True when the server could not be reached or did not answer in time (a passing failure)."""

    def __init__(self, reason: str, status: int | None = None, *, unreached: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.unreached = unreached

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)


async def _read_bounded(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise FetchError(f"response larger than {max_bytes} bytes")
    chunks, size = [], 0
    async for chunk in resp.content.iter_chunked(65536):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"response larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Signer:
    """Whose key signs outgoing requests."""

    key_id: str
    private_key_pem: str


class Fetcher:
    """Fetches remote ActivityPub documents for one node."""

    def __init__(
        self, *, session: aiohttp.ClientSession, db: Database, signer: Signer, allow_private: bool,
        timeout: float, max_bytes: int, user_agent: str, schemes: KnownSchemes | None = None,
    ) -> None:
        self.session = session
        self.db = db
        self.schemes = schemes or KnownSchemes(db)  # the app's, shared with its delivery worker
        self.signer = signer
        self.allow_private = allow_private
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self.key_fetches = RateLimiter(1, KEY_FETCH_SECONDS, clock=lambda: clock.timestamp())  # by key owner
        self.host_key_fetches = RateLimiter(HOST_KEY_FETCHES, KEY_FETCH_SECONDS, clock=lambda: clock.timestamp())
        self._key_tasks: dict[str, asyncio.Task[tuple[str, str]]] = {}  # fetches in flight, by keyId

    async def get_json(self, url: str, *, accept: str = AP_ACCEPT, sign: bool = True) -> tuple[str, Any]:
        """GET a JSON document; returns (final URL, parsed JSON). See `_get` for redirects and signatures."""
        url, body = await self._get(url, accept, sign=sign, media_types=AP_MEDIA_TYPES, max_bytes=self.max_bytes)
        try:
            return url, json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise FetchError(f"GET {url} returned invalid JSON") from exc

    async def get_media(self, url: str, *, max_bytes: int) -> bytes:
        """An unsigned GET of a file (a peer's image), at most `max_bytes`, whatever its Content-Type: the
        caller checks what the bytes are."""
        return (await self._get(url, "image/*", sign=False, media_types=None, max_bytes=max_bytes))[1]

    async def _get(self, url: str, accept: str, *, sign: bool, media_types: tuple[str, ...] | None,
                   max_bytes: int) -> tuple[str, bytes]:
        """(final URL, body) of a GET. Redirects are followed by hand so each hop is re-signed for its own
        URL and re-checked by the SSRF guard. A signed GET answered 400 or 401 is sent once more with the
        other signature scheme, remembered for the host when it works."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                require_http_iri(url, "URL")  # a keyId or Location is anything a remote chose to send
            except ParseError as exc:
                raise FetchError(f"refused to fetch {url[:200]}: {exc.reason}") from exc
            try:
                check_url(url, self.allow_private)
            except BlockedAddressError as exc:
                raise FetchError(f"refused to fetch {url}: {exc}") from exc
            scheme = None
            if sign:
                await self.schemes.load()
                scheme = self.schemes.of(iri_host(url))
            status, location, body = await self._get_once(url, accept, scheme, media_types, max_bytes)
            if scheme is not None and status in KNOCK_AGAIN:
                scheme = other_scheme(scheme)
                status, location, body = await self._get_once(url, accept, scheme, media_types, max_bytes)
                if status == 200 or location is not None:  # the signature was taken
                    await self.schemes.remember(iri_host(url), scheme)
            if location is not None:
                url = urljoin(url, location)
                continue
            if body is None:
                raise FetchError(f"GET {url} answered {status}", status)
            return url, body
        raise FetchError(f"GET {url}: more than {MAX_REDIRECTS} redirects")

    async def _get_once(self, url: str, accept: str, scheme: str | None, media_types: tuple[str, ...] | None,
                        max_bytes: int) -> tuple[int, str | None, bytes | None]:
        """One GET of `url`, signed with `scheme` (unsigned when None): its status, then the redirect's
        Location or None, then the body of a 200 (None for any other status), of one of `media_types`
        (any when None)."""
        headers = {"Accept": accept, "User-Agent": self.user_agent}
        if scheme is not None:
            headers = sign_request(scheme, method="GET", url=url, headers=headers, body=None,
                                   key_id=self.signer.key_id, private_key_pem=self.signer.private_key_pem,
                                   now=clock.now())
        try:
            async with self.session.get(url, headers=headers, allow_redirects=False, timeout=self.timeout) as resp:
                if resp.status in REDIRECTS and "Location" in resp.headers:
                    return resp.status, resp.headers["Location"], None
                if resp.status != 200:
                    return resp.status, None, None
                media = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if media_types is not None and media not in media_types:
                    raise FetchError(f"GET {url} returned {media or 'no content type'}, not JSON")
                return resp.status, None, await _read_bounded(resp, max_bytes)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:  # ValueError: a host IDNA refuses
            if blocked := blocked_cause(exc):
                raise FetchError(f"refused to fetch {url}: {blocked}") from exc
            raise FetchError(f"GET {url} failed: {exc.__class__.__name__}: {exc}", unreached=True) from exc

    async def get_object(self, iri: str, *, require_id: bool = True) -> dict[str, Any]:
        """Fetch an AS2 object from its origin; its `id` must sit on the host it was served from. Without
        `require_id`, a document with no `id` (a collection Takahē serves) gets the URL it came from."""
        final_url, doc = await self.get_json(iri)
        try:
            doc = await compact_document(doc)
        except ParseError as exc:
            raise FetchError(f"{iri}: {exc.reason}") from exc
        if isinstance(doc, dict) and "id" not in doc and not require_id:
            doc["id"] = final_url
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise FetchError(f"{iri}: document has no id")
        if not same_origin(doc["id"], final_url):
            raise FetchError(f"{iri}: document id {doc['id']} is not on {iri_host(final_url)}")
        return doc

    async def get_actor(self, iri: str, *, refresh: bool = False) -> RemoteActor:
        """A remote actor from the cache, or fetched and cached (for a day)."""
        if not refresh:
            row = await self.db.fetch_one(
                "SELECT document, fetched_at FROM remote_actors WHERE iri = ?", (iri,)
            )
            if row and clock.timestamp() - row["fetched_at"] < ACTOR_CACHE_SECONDS:
                return parse_actor(json.loads(row["document"]))
        doc = await self.get_object(iri)
        try:
            actor = parse_actor(doc)
        except ParseError as exc:
            raise FetchError(f"{iri}: {exc.reason}") from exc
        if actor.iri != iri:
            raise FetchError(f"{iri}: actor document has id {actor.iri}")
        await self.store_actor(actor, doc)
        return actor

    async def store_actor(self, actor: RemoteActor, doc: dict[str, Any]) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO remote_actors (iri, type, host, username, name, url, inbox, shared_inbox, followers,"
                " following, outbox, icon_url, key_id, public_key_pem, document, fetched_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (iri) DO UPDATE SET type = excluded.type, host = excluded.host,"
                " username = excluded.username, name = excluded.name, url = excluded.url, inbox = excluded.inbox,"
                " shared_inbox = excluded.shared_inbox, followers = excluded.followers,"
                " following = excluded.following, outbox = excluded.outbox, icon_url = excluded.icon_url,"
                " key_id = excluded.key_id, public_key_pem = excluded.public_key_pem,"
                " document = excluded.document, fetched_at = excluded.fetched_at",
                (actor.iri, actor.type, iri_host(actor.iri), actor.username, actor.name, actor.url, actor.inbox,
                 actor.shared_inbox, actor.followers, actor.following, actor.outbox, actor.icon_url,
                 actor.key_id, actor.public_key_pem, json.dumps(doc), clock.timestamp()),
            )

    async def get_key(self, key_id: str, *, refresh: bool = False) -> tuple[str, str]:
        """(owner actor IRI, public key PEM) for a `keyId`. The key must be listed by its owner actor, on
        the keyId's host. Anyone can sign with any keyId, and a wrong signature asks for a refetch (the key
        may have rotated): without bounds each forged POST would send a signed GET to the keyId's server.
        So an actor document fetched less than a minute ago is read again instead of fetched (`refresh`
        included), and a fetch, counted when it starts, is allowed once a minute per key owner (the keyId
        without fragment or query) and HOST_KEY_FETCHES a minute per host (a fetch that finds its key is
        given back: a busy server's new actors are not refused). Requests that need the same key
        meanwhile wait for the same fetch."""
        if not refresh:
            row = await self.db.fetch_one(
                "SELECT iri, public_key_pem FROM remote_actors WHERE key_id = ?", (key_id,)
            )
            if row:
                return row["iri"], row["public_key_pem"]
        task = self._key_tasks.get(key_id)
        if task is None:
            task = self._key_tasks[key_id] = asyncio.create_task(self._fetch_key(key_id))
            task.add_done_callback(lambda _: self._key_tasks.pop(key_id, None))
        return await asyncio.shield(task)

    async def _fetch_key(self, key_id: str) -> tuple[str, str]:
        recent = await self.db.fetch_one(
            "SELECT document FROM remote_actors WHERE (iri = ? OR key_id = ?) AND fetched_at > ?"
            " ORDER BY id LIMIT 1", (key_owner_iri(key_id), key_id, clock.timestamp() - KEY_FETCH_SECONDS))
        if recent is not None:
            return _key_of(parse_actor(json.loads(recent["document"])), key_id)
        self._start_key_fetch(key_id)
        try:
            found = await self._fetch_key_now(key_id)
        except FetchError as exc:
            if exc.unreached:  # nobody was asked: the owner may try again at once (its host's count stays)
                self.key_fetches.refund(_key_fetch_owner(key_id))
            raise
        self.host_key_fetches.refund(iri_host(key_id))
        return found

    async def _fetch_key_now(self, key_id: str) -> tuple[str, str]:
        owner = key_owner_iri(key_id)
        if "#" not in key_id:
            # Some servers (GoToSocial) publish keys as documents of their own with an `owner`.
            doc = await self.get_object(key_id)
            if isinstance(doc.get("owner"), str):
                owner = doc["owner"]
            elif "publicKey" in doc:
                owner = doc["id"]
            if not same_origin(owner, key_id):
                raise FetchError(f"key document {key_id} names an owner on another host, {owner[:200]}")
        return _key_of(await self.get_actor(owner, refresh=True), key_id)

    def _start_key_fetch(self, key_id: str) -> None:
        """Count a key fetch toward its owner and its host, or raise FetchError when either is spent."""
        owner, host = _key_fetch_owner(key_id), iri_host(key_id)
        wait = max(self.key_fetches.wait(owner), self.host_key_fetches.wait(host))
        if wait > 0:
            raise FetchError(f"fetched less than a minute ago, again in {math.ceil(wait)} s")
        self.key_fetches.take(owner)
        self.host_key_fetches.take(host)

    async def resolve_handle(self, handle: Handle) -> str:
        """The actor IRI for `@name@host`, by WebFinger (RFC 7033). Loopback dev nodes speak plain http."""
        scheme = "http" if self.allow_private else "https"
        _, jrd = await self.get_json(webfinger_url(handle, scheme), accept="application/jrd+json", sign=False)
        try:
            return parse_jrd_actor_iri(jrd)
        except ParseError as exc:
            raise FetchError(f"{handle}: {exc.reason}") from exc


def _key_of(actor: RemoteActor, key_id: str) -> tuple[str, str]:
    """(actor IRI, PEM) of the key `key_id` that `actor` publishes; FetchError when it publishes none such."""
    for candidate_id, pem in ((actor.key_id, actor.public_key_pem), *actor.extra_keys):
        if candidate_id == key_id:
            return actor.iri, pem
    raise FetchError(f"actor {actor.iri} does not publish key {key_id}")


def _key_fetch_owner(key_id: str) -> str:
    """What key fetches are counted by: the keyId without fragment or query (invented `#k1`, `?x=1`...
    name the same owner)."""
    return key_id.split("#", 1)[0].split("?", 1)[0]
