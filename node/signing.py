"""Which HTTP signature scheme a request to a domain carries, for deliveries and fetches alike.

Double knocking (https://swicg.github.io/activitypub-http-signature/#how-to-upgrade-supported-versions):
a request is signed with draft-cavage HTTP Signatures, or with the scheme the domain is known to accept;
a 400 or 401 answer sends it again at once with the other scheme (RFC 9421), and the scheme that got it
accepted is remembered in `domains.signature_scheme` for the next requests to that domain.
"""

from protocol.sig import Scheme

from .db import Database

DRAFT_CAVAGE, RFC9421 = Scheme.DRAFT_CAVAGE, Scheme.RFC9421
KNOCK_AGAIN = (400, 401)
REMEMBER_SCHEME = ("INSERT INTO domains (host, signature_scheme) VALUES (?, ?) ON CONFLICT (host) DO UPDATE"
                   " SET signature_scheme = excluded.signature_scheme")


def other_scheme(scheme: str) -> Scheme:
    """The scheme of the second knock."""
    return DRAFT_CAVAGE if scheme == RFC9421 else RFC9421


class KnownSchemes:
    """The scheme each domain accepted last, read from `domains` at first use and kept in step with it
    after: one per process, shared by its fetcher and its delivery worker, so a scheme one of them
    learns the other uses at once (a per-request read would cost a query for each GET, a copy each a
    second knock until the next start). A domain not known gets draft-cavage."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._by_host: dict[str, str] | None = None

    async def load(self) -> None:
        if self._by_host is None:
            rows = await self.db.fetch_all(
                "SELECT host, signature_scheme FROM domains WHERE signature_scheme IN (?, ?)", (DRAFT_CAVAGE, RFC9421))
            self._by_host = {r["host"]: r["signature_scheme"] for r in rows}

    def of(self, host: str) -> str:
        """The scheme to knock with first (after `load`)."""
        assert self._by_host is not None, "KnownSchemes.load() first"
        return self._by_host.get(host, DRAFT_CAVAGE)

    def learn(self, host: str, scheme: str) -> bool:
        """Note that `host` accepted `scheme` at the second knock; True when that is new, and the caller
        then writes REMEMBER_SCHEME in its transaction (a delivery batch records it with its outcomes)."""
        assert self._by_host is not None, "KnownSchemes.load() first"
        if self._by_host.get(host) == scheme:
            return False
        self._by_host[host] = scheme
        return True

    async def remember(self, host: str, scheme: str) -> None:
        """`learn`, written at once when new."""
        if self.learn(host, scheme):
            async with self.db.transaction() as tx:
                await tx.execute(REMEMBER_SCHEME, (host, scheme))
