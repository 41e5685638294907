"""What a POST to an inbox may cost before its signature is proven (node/web/inbox.py applies it).

Per-domain limit: each sending server may deliver `inbox_rate_per_minute` activities a minute (a minute's
worth in a burst); past that, `429 Too Many Requests` with `Retry-After`, which every fediverse server
honours by retrying later (nothing is lost). The domain is the one named by the signature's keyId.

Refusals count too, toward whoever is proven to have sent them: the signer's domain once the signature
verified (an activity refused after that is its doing), else the sender's address. Never toward the
domain a keyId merely names: a forger naming someone else's keyId would spend that server's allowance.
The address's token is taken when the POST arrives and given back once its signature is proven, so
that requests still in flight count too.

Uploads: a body is read only once its headers passed (node/inbox.py `screen`), within `read_seconds`
(else `408`), with at most `per_address` uploads in flight from one address and `total` in all (else
`429`/`503` with `Retry-After`, before a byte of the body is read). Once read, a body not yet verified
(its signer's key may be fetched from a slow server) stays counted, in bytes (at least HELD_MIN a
request), until its signature is proven or refused: at most `per_address` full bodies' worth from one
address and `total` in all (else `429`/`503`). Many small honest activities from one server whose keys
are new pass; 1 MB bodies waiting for a stalled key server do not pile up. The node's memory for bodies
not yet verified is bounded by `total` full bodies, being read or waiting."""

import asyncio
import ctypes
import ctypes.util
import functools
import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from protocol.iri import iri_host

from .inbox import MAX_BODY_BYTES, InboxRejection
from .ratelimit import RateLimiter

HELD_MIN = 16_384  # what a request not yet verified counts for at least, however small its body

# keyId="..." (draft-cavage, in Signature or Authorization) and keyid="..." (RFC 9421 Signature-Input).
_KEY_ID = re.compile(r'keyid\s*=\s*"([^"]{1,2048})"', re.IGNORECASE)


def claimed_domain(request: web.Request) -> str:
    """The host of the keyId the request claims to be signed with ("" when there is none)."""
    for name in ("Signature", "Signature-Input", "Authorization"):
        match = _KEY_ID.search(request.headers.get(name, "")[:8192])
        if match:
            return iri_host(match.group(1))
    return ""


def address_key(remote: str | None) -> str:
    """Who an address is, for limits: an IPv4 address, or the /64 of an IPv6 one (a single host
    commonly has the whole /64)."""
    try:
        ip = ipaddress.ip_address((remote or "").split("%")[0])
    except ValueError:
        return remote or ""
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ip.ipv4_mapped or ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass(frozen=True)
class Sender:
    """Who a POST claims to come from (its keyId's domain, "" when unsigned) and where it comes from."""

    domain: str
    address: str

    @classmethod
    def of(cls, request: web.Request) -> "Sender":
        return cls(claimed_domain(request), address_key(request.remote))


@dataclass
class Intake:
    """The inbox's limits, one per app (appkeys.INTAKE); `per_minute` 0 turns the rate limits off."""

    per_minute: int
    per_address: int = 4
    total: int = 32
    read_seconds: float = 10.0
    in_flight: int = field(default=0, init=False)
    held: int = field(default=0, init=False)  # bytes of bodies read and not yet verified
    _uploads: Counter[str] = field(default_factory=Counter, init=False)  # in flight, by address
    _held: Counter[str] = field(default_factory=Counter, init=False)  # bytes held, by address
    _cut: bool = field(default=False, init=False)  # an upload was cut since the last `give_back_memory`

    def __post_init__(self) -> None:
        limited = self.per_minute > 0
        self._domains = RateLimiter(self.per_minute, 60.0) if limited else None
        self._refusals = RateLimiter(self.per_minute, 60.0) if limited else None

    def admit(self, sender: Sender) -> None:
        """From the headers alone: refuse a sender past its allowance (429 with Retry-After), else take
        a refusal token of its address (given back by `count` once the signature is proven)."""
        if self._domains is not None and sender.domain and (wait := self._domains.wait(sender.domain)) > 0:
            raise InboxRejection(429, f"too many activities from {sender.domain}: retry later", retry_after=wait)
        if self._refusals is not None and (wait := self._refusals.take(sender.address)) > 0:
            raise InboxRejection(429, "too many refused requests from your address: retry later", retry_after=wait)

    def count(self, sender: Sender, *, proven: bool) -> None:
        """One admitted POST answered: counted toward the signer's domain when its signature verified
        (accepted or not), its address's token given back; else that token stays spent."""
        if proven and sender.domain:
            if self._domains is not None:
                self._domains.spend(sender.domain)
            if self._refusals is not None:
                self._refusals.refund(sender.address)

    def hold(self, address: str) -> "Slot":
        """A slot for one upload from `address`, or InboxRejection (429 or 503) when the caps are reached.
        Once the body is read it counts in bytes (`read`), until `Slot.release` (once the signature is
        proven or refused)."""
        if self._uploads[address] >= self.per_address:
            raise InboxRejection(429, f"more than {self.per_address} uploads in flight from your address: retry later",
                                 retry_after=self.read_seconds)
        if self.in_flight >= self.total:
            raise InboxRejection(503, f"more than {self.total} uploads in flight: retry later",
                                 retry_after=self.read_seconds)
        self._uploads[address] += 1
        self.in_flight += 1
        return Slot(self, address)

    async def read(self, request: web.Request, slot: "Slot") -> bytes:
        """The body, within the deadline, refused past MAX_BODY_BYTES while reading (aiohttp stops at the
        app's `client_max_size`, a little above) or once read (see also `check_length`); `slot` is held."""
        too_large = _too_large()
        try:
            async with asyncio.timeout(self.read_seconds):
                body = await request.read()  # one call: iterating over chunks cost 5 % of a busy inbox
        except BaseException as exc:  # cut at the deadline, or the sender went away
            slot.cut = True
            if isinstance(exc, TimeoutError):
                raise InboxRejection(408, f"body not received within {self.read_seconds:g} s") from None
            if isinstance(exc, web.HTTPRequestEntityTooLarge):
                raise too_large from None
            if isinstance(exc, (ConnectionResetError, aiohttp.ClientPayloadError)):  # the sender went away
                raise InboxRejection(400, "upload interrupted") from None
            raise
        if len(body) > MAX_BODY_BYTES:
            raise too_large
        self._end_upload(slot)
        self._keep(slot, max(len(body), HELD_MIN))
        return body

    def _keep(self, slot: "Slot", size: int) -> None:
        if self._held[slot.address] + size > self.per_address * MAX_BODY_BYTES:
            raise InboxRejection(429, "too many requests not yet verified from your address: retry later",
                                 retry_after=self.read_seconds)
        if self.held + size > self.total * MAX_BODY_BYTES:
            raise InboxRejection(503, "too many requests not yet verified: retry later", retry_after=self.read_seconds)
        self._held[slot.address] += size
        self.held += size
        slot.held = size

    def _end_upload(self, slot: "Slot") -> None:
        if slot.uploading:
            slot.uploading = False
            self.in_flight -= 1
            self._uploads[slot.address] -= 1
            if not self._uploads[slot.address]:
                del self._uploads[slot.address]

    def _release(self, slot: "Slot") -> None:
        self._end_upload(slot)
        if slot.held:
            self.held -= slot.held
            self._held[slot.address] -= slot.held
            if not self._held[slot.address]:
                del self._held[slot.address]
            slot.held = 0
        self._cut = self._cut or slot.cut
        if self._cut and not self.in_flight:
            self._cut = False
            give_back_memory()

    @staticmethod
    def check_length(request: web.Request) -> None:
        """A body announced larger than MAX_BODY_BYTES is refused before anything else is read."""
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise _too_large()


@dataclass
class Slot:
    """One request counted in `Intake`'s caps (as an upload, then by the bytes of its body) until
    `release` (idempotent)."""

    intake: Intake
    address: str
    uploading: bool = True
    held: int = 0  # bytes counted once the body is read
    cut: bool = False  # its upload was cut: the heap may hold pages to give back
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.intake._release(self)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c")), "malloc_trim", None)
    except OSError:
        return None


def give_back_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's `malloc_trim`; nothing elsewhere). The
    buffers of cut uploads are freed among live objects, and glibc keeps such pages for the process:
    stalled uploads left it 17 MB larger for good, without this."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _too_large() -> InboxRejection:
    return InboxRejection(413, f"body larger than {MAX_BODY_BYTES} bytes")
