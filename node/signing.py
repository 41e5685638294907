"""Which HTTP signature scheme a request to a domain carries, for deliveries and fetches alike.

Double knocking (https://swicg.github.io/activitypub-http-signature/#how-to-upgrade-supported-versions):
a request is signed with draft-cavage HTTP Signatures, or with the scheme the domain is known to accept;
a 400 or 401 answer sends it again at once with the other scheme (RFC 9421), and the scheme that got it
accepted is remembered in `domains.signature_scheme` for the next requests to that domain.
"""

from collections.abc import Mapping
from datetime import datetime

from protocol import httpsig, httpsig9421

from .db import Database

DRAFT_CAVAGE, RFC9421 = "draft-cavage", "rfc9421"
KNOCK_AGAIN = (400, 401)
REMEMBER_SCHEME = ("INSERT INTO domains (host, signature_scheme) VALUES (?, ?) ON CONFLICT (host) DO UPDATE"
                   " SET signature_scheme = excluded.signature_scheme")


def other_scheme(scheme: str) -> str:
    """The scheme of the second knock."""
    return DRAFT_CAVAGE if scheme == RFC9421 else RFC9421


def sign_request(scheme: str, *, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                 key_id: str, private_key_pem: str, now: datetime) -> dict[str, str]:
    """`headers` plus the signature headers of `scheme` (and Host, Date, the body's digest)."""
    sign = httpsig9421.sign_request if scheme == RFC9421 else httpsig.sign_request
    return sign(method=method, url=url, headers=headers, body=body, key_id=key_id, private_key_pem=private_key_pem,
                now=now)


async def remembered_scheme(db: Database, host: str) -> str:
    """The scheme `host` accepted last time, draft-cavage when none is known."""
    scheme = await db.fetch_value("SELECT signature_scheme FROM domains WHERE host = ?", (host,))
    return scheme if scheme in (DRAFT_CAVAGE, RFC9421) else DRAFT_CAVAGE


async def remember_scheme(db: Database, host: str, scheme: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(REMEMBER_SCHEME, (host, scheme))
