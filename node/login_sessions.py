"""Login sessions kept on the server. The session cookie (node/auth.py) carries a random token naming a
row of `login_sessions`; logging out deletes the row, so a copy of the cookie made before is worth
nothing after. The row holds the token's SHA-256, never the token. A session lasts SESSION_MAX_AGE
from its login, whatever the cookie says, and a user keeps at most MAX_PER_USER of them (the oldest go).

Each request with a session cookie reads its row with the user's in one indexed query on the event
loop's thread (`Database.fetch_all_quick`): a unique-index lookup and two primary-key joins, tens of
microseconds, where the login was read before with a trip to the reader's thread."""

import hashlib
import secrets
from datetime import timedelta

from . import clock
from .accounts import LOGIN_QUERY, Login
from .db import Database

SESSION_MAX_AGE = 14 * 24 * 3600
MAX_PER_USER = 20


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _oldest_valid() -> str:
    return clock.iso(clock.now() - timedelta(seconds=SESSION_MAX_AGE))


async def open_session(db: Database, actor_id: int) -> str:
    """A new session of `actor_id`; returns its token. Expired sessions, and this user's beyond
    MAX_PER_USER, are deleted in the same transaction, which keeps the table bounded."""
    token = secrets.token_urlsafe(32)
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM login_sessions WHERE created_at < ?", (_oldest_valid(),))
        await tx.execute("INSERT INTO login_sessions (token_hash, actor_id, created_at) VALUES (?, ?, ?)",
                         (_hash(token), actor_id, clock.iso()))
        await tx.execute(
            "DELETE FROM login_sessions WHERE actor_id = ? AND id <= (SELECT id FROM login_sessions"
            " WHERE actor_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)", (actor_id, actor_id, MAX_PER_USER))
    return token


async def login_of(db: Database, token: str) -> Login | None:
    """The login whose open session `token` names, or None (logged out, expired, unknown)."""
    rows = await db.fetch_all_quick(
        f"{LOGIN_QUERY} JOIN login_sessions s ON s.actor_id = u.actor_id WHERE s.token_hash = ?"
        " AND s.created_at >= ?", (_hash(token), _oldest_valid()))
    return Login(*rows[0]) if rows else None


async def close_session(db: Database, token: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM login_sessions WHERE token_hash = ?", (_hash(token),))
