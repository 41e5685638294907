"""The `maillage` command. Its sub-commands and flags are a contract that users and scripts rely on:
add to them, never change them. Exit codes: 0 success, 1 a refused or failed operation (the message
on stderr says why; a full disk, in any command: `error: disk full ...`), 2 a usage error."""

import argparse
import asyncio
import contextlib
import json
import logging
import secrets
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from protocol.langmap import is_lang_tag

from . import backfill, backup, cli_social, cli_users, diskspace, export, ops
from .accounts import AccountError, check_username, get_actor
from .app import create_app, user_agent
from .bootstrap import InitError, init_node
from .config import Config, ConfigError, load_config, validate_base_url
from .content import find_object
from .db import Database, StorageError
from .drafts import DraftError, parse_markdown
from .eventloop import new_event_loop
from .fetch import Fetcher, FetchError, Signer
from .following import FollowError, follow, resolve_target, unfollow
from .netguard import connector_kwargs
from .participation import ParticipationError, decide, list_participants
from .publishing import PublishError, delete, publish
from .timezones import check_zone, default_zone
from .urls import INSTANCE_ACTOR_USERNAME, Urls


class CommandError(Exception):
    """A command cannot do what was asked; printed as `error: ...`, exit status 1."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="maillage", description="Run a Maillage node (ActivityPub).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create a node: data folder, config, database, keys, network actor, admin")
    p.add_argument("--data", required=True, type=Path, help="data folder to create")
    p.add_argument("--url", required=True, help="public base URL, e.g. https://network.example")
    p.add_argument("--name", required=True, help="user name of the network actor (@NAME@host)")
    p.add_argument("--title", help="display name of the network (default: NAME)")
    p.add_argument("--admin", help="user name of the first admin (default: admin)")
    p.add_argument("--admin-name", help="the first admin's display name, which signs what they publish"
                                        " (default: the network's title)")
    p.add_argument("--password", help="admin password (default: a generated one, printed once)")
    p.add_argument("--lang", default="fr", help="default language of the node (default: fr)")
    p.add_argument("--timezone", help="time zone new journeys start in, like Europe/Paris (default: the one of "
                                      "--lang's region)")
    p.add_argument("--dev", action="store_true", help="allow plain http and private/loopback addresses")

    p = sub.add_parser("serve", help="serve the node over HTTP and run its workers")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--host", help="address to listen on (default: from config, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default: the one in the base URL)")

    cli_users.add_parsers(sub)  # user add, list, password, suspend, reactivate

    p = sub.add_parser("publish", help="publish (or update, or translate) a Markdown file with front matter")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--as", dest="author", required=True, help="user name of the organizer publishing")
    p.add_argument("file", type=Path)

    p = sub.add_parser("delete", help="delete a practice, journey or outcome (a Tombstone stays at its IRI)")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--as", dest="author", required=True, help="user name of the organizer deleting")
    p.add_argument("type", choices=["practice", "journey", "outcome"])
    p.add_argument("slug")

    p = sub.add_parser("demo", help="run three federating sample nodes on loopback (Ctrl-C to stop)")
    p.add_argument("--data", type=Path, help="folder for the three nodes (default: a new temporary folder)")
    p.add_argument("--port", type=int, default=8101, help="port of the first node; the others follow (default 8101)")

    p = sub.add_parser("follow", help="make the network follow another actor (@name@host or URL)")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("target")

    p = sub.add_parser("unfollow", help="make the network stop following an actor (@name@host or URL)")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("target")

    p = sub.add_parser("participants", help="list a journey's participants; approve or reject a request to join")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("journey", metavar="JOURNEY_SLUG")
    decision = p.add_mutually_exclusive_group()
    decision.add_argument("--approve", metavar="ACTOR_IRI", help="give this participant a seat (sends the Accept)")
    decision.add_argument("--reject", metavar="ACTOR_IRI", help="refuse this participant (sends the Reject)")

    p = sub.add_parser("doctor", help="check the node from outside (public URL, proxy, clock) and inside")
    p.add_argument("--data", required=True, type=Path)

    p = sub.add_parser("status", help="followers, following, peers, delivery queue and inbox counts")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")

    p = sub.add_parser("backup", help="write a consistent .tar.gz of the database and config (safe while serving)")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--output", type=Path, help="archive file, or a folder for a timestamped name (default: here)")

    p = sub.add_parser("export", help="write every item in every language as Markdown files `publish` reads")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--output", required=True, type=Path, help="a new (or empty) folder for the files")

    p = sub.add_parser("backfill", help="import a peer's earlier practices, journeys and outcomes from its outbox")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("target", help="the peer's actor: @name@host or URL")

    p = sub.add_parser("restore", help="put a backup archive in place (the node must be stopped)")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("file", type=Path)
    p.add_argument("--force", action="store_true", help="replace an existing node (it is archived first)")
    cli_social.add_parsers(sub)  # share, unshare, comments, reply
    return parser


async def _open_db(config: Config) -> Database:
    try:
        return await Database.open(config.database_path)
    except StorageError as exc:
        raise CommandError(str(exc)) from exc


@contextlib.asynccontextmanager
async def _database(config: Config) -> AsyncIterator[Database]:
    db = await _open_db(config)
    try:
        yield db
    finally:
        await db.close()


async def cmd_init(args: argparse.Namespace) -> int:
    try:
        base_url = validate_base_url(args.url, args.dev)
        check_username(args.name)
        admin = args.admin or "admin"
        check_username(admin)
        if not is_lang_tag(args.lang):
            raise CommandError(f"--lang is not a language tag: {args.lang!r}")
        try:
            zone = check_zone(args.timezone) if args.timezone else default_zone(args.lang)
        except ValueError as exc:
            raise CommandError(f"--timezone is {exc}") from None
        password = args.password or secrets.token_urlsafe(12)
        config = Config(data_dir=args.data, base_url=base_url, network=args.name, title=args.title or args.name,
                        dev=args.dev, default_lang=args.lang, timezone=zone)
        await init_node(config, admin=admin, password=password,
                        admin_name=(args.admin_name or "").strip() or config.title)
    except (ConfigError, AccountError, InitError, StorageError) as exc:
        raise CommandError(str(exc)) from exc
    print(f"Initialised node in {args.data}")
    print(f"Network actor: @{args.name}@{config.domain} ({Urls(base_url).actor(args.name)})")
    print(f"Admin login: {admin}")
    if not args.password:
        print(f"Admin password: {password}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    config = _load(args.data)
    host = args.host or config.host
    port = args.port or config.listen_port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"Maillage node @{config.network}@{config.domain} serving on http://{host}:{port}", flush=True)
    web.run_app(create_app(config), host=host, port=port, print=None, shutdown_timeout=10, access_log=None,
                loop=new_event_loop())
    return 0


async def cmd_publish(args: argparse.Namespace) -> int:
    config = _load(args.data)
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from exc
    async with _database(config) as db:
        author = await _organizer(db, args.author)
        try:
            draft = parse_markdown(text, default_lang=config.default_lang)
            result = await publish(db, Urls(config.base_url), network=config.network, author=author, draft=draft)
        except (DraftError, PublishError) as exc:  # a draft's every problem, one a line
            raise CommandError("\nerror: ".join(f"{args.file}: {line}" for line in str(exc).splitlines())) from exc
    print(result.iri)
    return 0


async def cmd_delete(args: argparse.Namespace) -> int:
    config = _load(args.data)
    async with _database(config) as db:
        author = await _organizer(db, args.author)
        try:
            iri = await delete(db, Urls(config.base_url), network=config.network, author=author, kind=args.type,
                               slug=args.slug)
        except PublishError as exc:
            raise CommandError(str(exc)) from exc
    print(f"{iri} deleted")
    return 0


async def _organizer(db: Database, name: str) -> Any:
    author = await get_actor(db, name)
    role = await db.fetch_value("SELECT role FROM users WHERE actor_id = ?", (author.id,)) if author else None
    if author is None or role is None:
        raise CommandError(f"no organizer named {name!r} (add one with `maillage user add`)")
    if await db.fetch_value("SELECT suspended_at FROM users WHERE actor_id = ?", (author.id,)):
        raise CommandError(f"{name} is suspended (`maillage user reactivate` lets them act again)")
    return author


@contextlib.asynccontextmanager
async def _network_fetcher(config: Config) -> AsyncIterator[tuple[Database, Fetcher, Any]]:
    """The database, a Fetcher signing as the instance actor, and the network Group, for commands
    that talk to other servers."""
    urls = Urls(config.base_url)
    async with _database(config) as db:
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


async def cmd_follow(args: argparse.Namespace) -> int:
    config = _load(args.data)
    async with _network_fetcher(config) as (db, fetcher, group):
        try:
            result = await follow(db, Urls(config.base_url), fetcher, follower=group, target=args.target)
        except (FollowError, FetchError) as exc:
            raise CommandError(f"cannot follow {args.target}: {exc}") from exc
    print(f"{result.followee_iri} {result.state}")
    return 0


async def cmd_unfollow(args: argparse.Namespace) -> int:
    config = _load(args.data)
    async with _network_fetcher(config) as (db, fetcher, group):
        try:
            iri = await unfollow(db, Urls(config.base_url), fetcher, follower=group, target=args.target)
        except (FollowError, FetchError) as exc:
            raise CommandError(f"cannot unfollow {args.target}: {exc}") from exc
    print(f"{iri} unfollowed")
    return 0


async def cmd_participants(args: argparse.Namespace) -> int:
    """Without --approve/--reject: one line per participant, `ACTOR<TAB>STATE<TAB>SOURCE[<TAB>MESSAGE]`."""
    config = _load(args.data)
    target = args.approve or args.reject
    if target is None:
        async with _database(config) as db:
            journey = await find_object(db, "journey", args.journey)
            if journey is None or journey.deleted_at:
                raise CommandError(f"no journey {args.journey!r}")
            for p in await list_participants(db, journey.id):
                message = [" ".join(p.message.split())] if p.message else []
                print("\t".join([p.actor_iri, p.state, p.source, *message]))
        return 0
    async with _network_fetcher(config) as (db, fetcher, _group):
        try:
            state = await decide(db, Urls(config.base_url), fetcher, slug=args.journey, actor_iri=target,
                                 approve=args.approve is not None)
        except (ParticipationError, FetchError) as exc:
            raise CommandError(str(exc)) from exc
    print(f"{target} {state}")
    return 0


async def cmd_doctor(args: argparse.Namespace) -> int:
    checks = await ops.doctor(_load(args.data))
    print(ops.format_checks(checks))
    return 1 if any(c.level == "FAIL" for c in checks) else 0


async def cmd_status(args: argparse.Namespace) -> int:
    try:
        info = await asyncio.to_thread(ops.status, _load(args.data))
    except (OSError, sqlite3.Error) as exc:
        raise CommandError(str(exc)) from exc
    print(json.dumps(info, indent=2) if args.json else ops.format_status(info))
    return 0


async def cmd_backup(args: argparse.Namespace) -> int:
    try:
        path = await asyncio.to_thread(backup.create_backup, args.data, args.output)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from exc
    print(path)
    return 0


async def cmd_export(args: argparse.Namespace) -> int:
    """One line per file written, `PATH<TAB>AUTHOR`: what `maillage publish --as AUTHOR PATH` publishes again."""
    config = _load(args.data)
    async with _database(config) as db:
        try:
            files = await export.rendered(db, default_lang=config.default_lang)
            written = await asyncio.to_thread(export.write_folder, args.output, files)
        except (export.ExportError, OSError) as exc:
            raise CommandError(str(exc)) from exc
    for item in written:
        print(f"{item.path}\t{item.author}")
    return 0


async def cmd_restore(args: argparse.Namespace) -> int:
    try:
        restored = await asyncio.to_thread(backup.restore_backup, args.data, args.file, force=args.force)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from exc
    if restored.previous:
        print(f"The node that was in {args.data} is archived in {restored.previous}")
    print(f"Restored {args.file} into {args.data} (schema {restored.schema_version}); start `maillage serve`")
    return 0


async def cmd_backfill(args: argparse.Namespace) -> int:
    """Run a backfill here, to its end; prints `ACTOR STATE: N imported, N seen, N pages`."""
    config = _load(args.data)
    async with _network_fetcher(config) as (db, fetcher, _group):
        try:
            actor_iri = await resolve_target(fetcher, args.target)
            await fetcher.get_actor(actor_iri, refresh=True)
        except (FollowError, FetchError) as exc:
            raise CommandError(f"cannot backfill {args.target}: {exc}") from exc
        async with db.transaction() as tx:
            await backfill.schedule(tx, actor_iri)
        worker = backfill.BackfillWorker(db=db, fetcher=fetcher, local_base=config.base_url,
                                         settings=backfill.BackfillSettings.of(config))
        state = await worker.run_to_end(actor_iri)
    summary = f"{state.imported} imported, {state.seen} seen, {state.pages} pages"
    if state.state != "done":
        raise CommandError(f"backfill of {actor_iri} stopped after {summary}: {state.error}"
                           + (" (`maillage serve` retries it)" if state.state != "failed" else ""))
    print(f"{actor_iri} {state.state}: {summary}")
    return 0


def _load(data: Path) -> Config:
    try:
        return load_config(data)
    except ConfigError as exc:
        raise CommandError(str(exc)) from exc


COMMANDS: dict[tuple[str, str | None], Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    ("init", None): cmd_init,
    ("publish", None): cmd_publish,
    ("delete", None): cmd_delete,
    ("follow", None): cmd_follow,
    ("unfollow", None): cmd_unfollow,
    ("participants", None): cmd_participants,
    ("doctor", None): cmd_doctor,
    ("status", None): cmd_status,
    ("backup", None): cmd_backup,
    ("export", None): cmd_export,
    ("restore", None): cmd_restore,
    ("backfill", None): cmd_backfill,
    **cli_users.COMMANDS,
    **cli_social.COMMANDS,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return cmd_serve(args)
        if args.command == "demo":
            from .demo import main as demo_main

            return demo_main(args.data, args.port)
        command = COMMANDS[(args.command, getattr(args, "user_command", None))]
        return asyncio.run(command(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the one place a full disk becomes a line for a person, whatever the command
        data = getattr(args, "data", None)
        full = diskspace.disk_full_cause(exc, data)
        if full is None and not isinstance(exc, CommandError):
            raise
        print(f"error: {diskspace.message(full, data) if full is not None else exc}", file=sys.stderr)
        return 1
