"""`maillage user add|list|password|suspend|reactivate`: organizer logins from the command line, the
way back in for an admin who lost their password or whose only admin left."""

import argparse
import json
from collections.abc import Callable, Coroutine
from typing import Any

from ..accounts import (
    AccountError,
    Login,
    add_user,
    generated_password,
    get_login,
    list_logins,
    reactivate,
    set_password,
    suspend,
)
from .common import CommandError, database, load


async def cmd_user_add(args: argparse.Namespace) -> int:
    config = load(args.data)
    async with database(config) as db:
        try:
            async with db.transaction() as tx:
                await add_user(tx, username=args.name, password=args.password, role=args.role,
                               display_name=args.display_name)
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
    print(f"Added {args.role} {args.name}: @{args.name}@{config.domain}")
    return 0


async def cmd_user_list(args: argparse.Namespace) -> int:
    config = load(args.data)
    async with database(config) as db:
        logins = await list_logins(db)
    if args.json:
        print(json.dumps([{"name": u.username, "display_name": u.name, "role": u.role,
                           "handle": f"@{u.username}@{config.domain}", "suspended_at": u.suspended_at}
                          for u in logins], ensure_ascii=False, indent=2))
        return 0
    for u in logins:
        state = f"suspended since {u.suspended_at}" if u.suspended_at else "active"
        print(f"{u.username}\t{u.role}\t{state}\t@{u.username}@{config.domain}")
    return 0


async def _change(args: argparse.Namespace, change: Callable[[Any, Login], Coroutine[Any, Any, Any]]) -> Any:
    """Run `change` on the user named in args, in one transaction; unknown names are refused."""
    async with database(load(args.data)) as db:
        try:
            async with db.transaction() as tx:
                login = await get_login(tx, args.name)
                if login is None:
                    raise CommandError(f"no user named {args.name!r} (see `maillage user list`)")
                return await change(tx, login)
        except AccountError as exc:
            raise CommandError(str(exc)) from exc


async def cmd_user_password(args: argparse.Namespace) -> int:
    password = args.password or generated_password()
    await _change(args, lambda tx, login: set_password(tx, login.actor_id, password))
    if args.password:
        print(f"Password of {args.name} changed; their open sessions are logged out")
    else:
        print(f"New password of {args.name}: {password}")
    return 0


async def cmd_user_suspend(args: argparse.Namespace) -> int:
    if await _change(args, suspend):
        print(f"{args.name} suspended: their login and open sessions are refused; their posts stay")
    else:
        print(f"{args.name} was suspended already")
    return 0


async def cmd_user_reactivate(args: argparse.Namespace) -> int:
    if await _change(args, reactivate):
        print(f"{args.name} can log in again")
    else:
        print(f"{args.name} was not suspended")
    return 0
