"""Local actors (the network Group, organizers, the instance actor) and organizer logins: adding
them, their roles and passwords, and suspending a login while its actor and posts stay."""

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from protocol.actors import LocalActor, build_actor
from protocol.handles import is_valid_username
from protocol.keys import generate_private_key_pem, public_key_pem

from . import clock
from .db import Database, Transaction
from .urls import INSTANCE_ACTOR_USERNAME, RESERVED_USERNAMES, Urls

_hasher = PasswordHasher()
ROLES = ("organizer", "admin")
MIN_PASSWORD_LENGTH = 8


class AccountError(Exception):
    """A user or actor cannot be created or found; the message is shown to the user as is."""


@dataclass(frozen=True)
class ActorRow:
    """A local actor as stored, with its private key for signing."""

    id: int
    username: str
    type: str
    name: str
    summary: str
    private_key_pem: str
    public_key_pem: str
    manually_approves: bool
    created_at: str
    icon_url: str | None = None

    def iri(self, urls: Urls) -> str:
        return urls.actor(self.username)

    def key_id(self, urls: Urls) -> str:
        return urls.key_id(self.username)


def _row_to_actor(row: object) -> ActorRow:
    r = dict(row)  # type: ignore[call-overload]
    return ActorRow(
        id=r["id"], username=r["username"], type=r["type"], name=r["name"], summary=r["summary"],
        private_key_pem=r["private_key_pem"], public_key_pem=r["public_key_pem"],
        manually_approves=bool(r["manually_approves"]), created_at=r["created_at"], icon_url=r.get("icon_url"),
    )


def check_username(username: str) -> None:
    if not is_valid_username(username):
        raise AccountError(
            f"invalid name {username!r}: use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    if username.lower() in RESERVED_USERNAMES:
        raise AccountError(f"the name {username!r} is reserved")


async def create_actor(
    tx: Transaction, *, username: str, type: str, name: str, summary: str = "", manually_approves: bool = False
) -> int:
    """Insert a local actor with a fresh RSA-2048 key pair."""
    if username != INSTANCE_ACTOR_USERNAME:
        check_username(username)
    if await tx.fetch_value("SELECT 1 FROM actors WHERE username = ?", (username,)):
        raise AccountError(f"the name {username!r} is already taken")
    private_pem = generate_private_key_pem()
    return await tx.execute(
        "INSERT INTO actors (username, type, name, summary, private_key_pem, public_key_pem, manually_approves,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (username, type, name, summary, private_pem, public_key_pem(private_pem), int(manually_approves),
         clock.iso()),
    )


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def add_user(
    tx: Transaction, *, username: str, password: str, role: str = "organizer", display_name: str | None = None
) -> int:
    """An organizer (or admin): a `Person` actor plus a login, created together."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (expected one of: {', '.join(ROLES)})")
    password_hash = hash_password(password)
    # Follow approval is the node's (settings.apply_approval): the network Group's row holds it.
    manual = await tx.fetch_value("SELECT manually_approves FROM actors WHERE type = 'Group' ORDER BY id LIMIT 1")
    actor_id = await create_actor(tx, username=username, type="Person", name=display_name or username,
                                  manually_approves=bool(manual))
    await tx.execute(  # what was received before they joined is not news to them (node/unseen.py)
        "INSERT INTO users (actor_id, password_hash, role, created_at, comments_seen, messages_seen)"
        " VALUES (?, ?, ?, ?, (SELECT coalesce(max(id), 0) FROM comments),"
        " (SELECT coalesce(max(id), 0) FROM mentions))",
        (actor_id, password_hash, role, clock.iso()),
    )
    return actor_id


@dataclass(frozen=True)
class Login:
    """What a login needs: the user's actor, password hash and role, and whether it is suspended."""

    actor_id: int
    username: str
    name: str
    password_hash: str
    role: str
    suspended_at: str | None = None
    session_epoch: int = 0


LOGIN_QUERY = ("SELECT a.id, a.username, a.name, u.password_hash, u.role, u.suspended_at, u.session_epoch"
               " FROM users u JOIN actors a ON a.id = u.actor_id")


async def get_login(db: Database | Transaction, username: str) -> Login | None:
    row = await db.fetch_one(f"{LOGIN_QUERY} WHERE a.username = ?", (username,))
    return Login(*row) if row else None


async def list_logins(db: Database | Transaction) -> list[Login]:
    return [Login(*row) for row in await db.fetch_all(f"{LOGIN_QUERY} ORDER BY a.username")]


async def set_password(tx: Transaction, actor_id: int, password: str) -> None:
    """A new password; every session opened with the old one ends (node/auth.py fingerprints it)."""
    await tx.execute("UPDATE users SET password_hash = ? WHERE actor_id = ?", (hash_password(password), actor_id))


def generated_password() -> str:
    """A password to hand over once (16 characters, about 96 bits), for the user to change."""
    return secrets.token_urlsafe(12)


async def _other_active_admins(tx: Transaction, actor_id: int) -> int:
    return int(await tx.fetch_value(
        "SELECT count(*) FROM users WHERE role = 'admin' AND suspended_at IS NULL AND actor_id != ?",
        (actor_id,)))


async def suspend(tx: Transaction, login: Login) -> bool:
    """Refuse this login from now on, and end its sessions; the actor and its posts stay. False when it
    was suspended already. Never the last admin who can log in: nobody could then lift it from the web."""
    if login.suspended_at is not None:
        return False
    if login.role == "admin" and not await _other_active_admins(tx, login.actor_id):
        raise AccountError(f"{login.username} is the only admin who can log in: make another admin first")
    await tx.execute("UPDATE users SET suspended_at = ?, session_epoch = session_epoch + 1 WHERE actor_id = ?",
                     (clock.iso(), login.actor_id))
    return True


async def reactivate(tx: Transaction, login: Login) -> bool:
    """Let a suspended login in again (with the same password; the sessions the suspension ended stay
    ended). False when it was not suspended."""
    if login.suspended_at is None:
        return False
    await tx.execute("UPDATE users SET suspended_at = NULL WHERE actor_id = ?", (login.actor_id,))
    return True


async def set_role(tx: Transaction, actor_id: int, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (expected one of: {', '.join(ROLES)})")
    await tx.execute("UPDATE users SET role = ? WHERE actor_id = ?", (role, actor_id))


async def get_actor(db: Database | Transaction, username: str) -> ActorRow | None:
    row = await db.fetch_one("SELECT * FROM actors WHERE username = ?", (username,))
    return _row_to_actor(row) if row else None


def local_actor_document(actor: ActorRow, urls: Urls, *, title_suffix: str = "") -> dict[str, object]:
    """The AS2 document of a local actor. The instance actor (FEP-2677) is not discoverable and
    accepts no follows; it exists to sign fetches."""
    is_instance = actor.username == INSTANCE_ACTOR_USERNAME
    iri = actor.iri(urls)
    doc = build_actor(
        LocalActor(
            iri=iri,
            type=actor.type,
            username=actor.username,
            name=actor.name + title_suffix,
            summary_html=actor.summary,
            profile_url=iri,
            public_key_pem=actor.public_key_pem,
            shared_inbox_iri=urls.shared_inbox,
            published=actor.created_at,
            manually_approves_followers=actor.manually_approves,
            discoverable=not is_instance,
            icon_url=actor.icon_url,
        )
    )
    if is_instance:
        doc["manuallyApprovesFollowers"] = True
    return doc
