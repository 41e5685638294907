"""What the command modules share: the node's config and database opened for one command, the organizer
acting, a Fetcher for commands that talk to other servers, and the one mapping from a failure to
`error: ...` and exit status 1. Command modules import this; it imports none of them (no cycle).
Only light modules are imported here: the network ones are imported by the helper that needs them."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import diskspace
from ..config import Config, ConfigError, load_config
from ..db import Database, StorageError

if TYPE_CHECKING:
    from ..fetch import Fetcher


class CommandError(Exception):
    """A command cannot do what was asked; printed as `error: ...`, exit status 1."""


def error_line(exc: Exception, data: Path | None) -> str | None:
    """The `error: ...` line for a refused command or a full disk (whatever the command); None for any
    other failure, which stays a traceback."""
    full = diskspace.disk_full_cause(exc, data)
    if full is None and not isinstance(exc, CommandError):
        return None
    return f"error: {diskspace.message(full, data) if full is not None else exc}"


def load(data: Path) -> Config:
    try:
        return load_config(data)
    except ConfigError as exc:
        raise CommandError(str(exc)) from exc


@contextlib.asynccontextmanager
async def database(config: Config) -> AsyncIterator[Database]:
    try:
        db = await Database.open(config.database_path)
    except StorageError as exc:
        raise CommandError(str(exc)) from exc
    try:
        yield db
    finally:
        await db.close()


async def find_organizer(db: Database, name: str) -> Any:
    from ..accounts import get_actor

    author = await get_actor(db, name)
    role = await db.fetch_value("SELECT role FROM users WHERE actor_id = ?", (author.id,)) if author else None
    if author is None or role is None:
        raise CommandError(f"no organizer named {name!r} (add one with `maillage user add`)")
    if await db.fetch_value("SELECT suspended_at FROM users WHERE actor_id = ?", (author.id,)):
        raise CommandError(f"{name} is suspended (`maillage user reactivate` lets them act again)")
    return author


@contextlib.asynccontextmanager
async def network_fetcher(config: Config) -> AsyncIterator[tuple[Database, "Fetcher", Any]]:
    """The database, a Fetcher signing as the instance actor, and the network Group, for commands
    that talk to other servers."""
    import aiohttp

    from ..accounts import get_actor
    from ..config import user_agent
    from ..fetch import Fetcher, Signer
    from ..netguard import connector_kwargs
    from ..urls import INSTANCE_ACTOR_USERNAME, Urls

    urls = Urls(config.base_url)
    async with database(config) as db:
        group = await get_actor(db, config.network)
        instance = await get_actor(db, INSTANCE_ACTOR_USERNAME)
        if group is None or instance is None:
            raise CommandError("the database has no network actor; was it made with `maillage init`?")
        connector = aiohttp.TCPConnector(**connector_kwargs(config.allow_private_network))
        async with aiohttp.ClientSession(connector=connector) as session:
            yield db, Fetcher(
                session=session, db=db, signer=Signer(urls.key_id(INSTANCE_ACTOR_USERNAME), instance.private_key_pem),
                allow_private=config.allow_private_network, timeout=config.fetch_timeout,
                max_bytes=config.fetch_max_bytes, user_agent=user_agent(config),
            ), group
