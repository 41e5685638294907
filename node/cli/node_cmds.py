"""`maillage init`, `serve`, `demo`, `doctor`, `status`, `backup` and `restore`: the node itself.
Each command imports what it needs when it runs (`serve` the web application, `init` the key and
account machinery), so the other commands do not pay for them."""

import argparse
import asyncio
import json
import logging
import secrets
import sqlite3

from .common import CommandError, load


async def cmd_init(args: argparse.Namespace) -> int:
    from protocol.langmap import is_lang_tag

    from ..accounts import AccountError, check_username
    from ..bootstrap import InitError, init_node
    from ..config import Config, ConfigError, validate_base_url
    from ..db import StorageError
    from ..timezones import check_zone, default_zone
    from ..urls import Urls

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
    from aiohttp import web

    from ..app import create_app
    from ..eventloop import new_event_loop

    config = load(args.data)
    host = args.host or config.host
    port = args.port or config.listen_port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"Maillage node @{config.network}@{config.domain} serving on http://{host}:{port}", flush=True)
    web.run_app(create_app(config), host=host, port=port, print=None, shutdown_timeout=10, access_log=None,
                loop=new_event_loop())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import main as demo_main

    return demo_main(args.data, args.port)


async def cmd_doctor(args: argparse.Namespace) -> int:
    from .. import ops

    checks = await ops.doctor(load(args.data))
    print(ops.format_checks(checks))
    return 1 if any(c.level == "FAIL" for c in checks) else 0


async def cmd_status(args: argparse.Namespace) -> int:
    from .. import ops

    try:
        info = await asyncio.to_thread(ops.status, load(args.data))
    except (OSError, sqlite3.Error) as exc:
        raise CommandError(str(exc)) from exc
    print(json.dumps(info, indent=2) if args.json else ops.format_status(info))
    return 0


async def cmd_backup(args: argparse.Namespace) -> int:
    from .. import backup

    try:
        path = await asyncio.to_thread(backup.create_backup, args.data, args.output)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from exc
    print(path)
    return 0


async def cmd_restore(args: argparse.Namespace) -> int:
    from .. import backup

    try:
        restored = await asyncio.to_thread(backup.restore_backup, args.data, args.file, force=args.force)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from exc
    if restored.previous:
        print(f"The node that was in {args.data} is archived in {restored.previous}")
    print(f"Restored {args.file} into {args.data} (schema {restored.schema_version}); start `maillage serve`")
    return 0
