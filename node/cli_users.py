"""`maillage user add|list|password|suspend|reactivate`: organizer logins from the command line, the
way back in for an admin who lost their password or whose only admin left. Kept out of node/cli.py
(which registers them); the same contract holds: add to these commands, never change them."""

import argparse
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from .accounts import (
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


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("user", help="manage organizers")
    user_sub = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    p = user_sub.add_parser("add", help="add an organizer or admin")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("name")
    p.add_argument("--password", required=True)
    p.add_argument("--role", choices=["organizer", "admin"], default="organizer")
    p.add_argument("--display-name", help="name shown on profiles (default: NAME)")

    p = user_sub.add_parser("list", help="list organizers and admins: name, role, active or suspended, since")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--json", action="store_true", help="print JSON instead of one line per user")

    p = user_sub.add_parser("password", help="set a user's password (ends their open sessions)")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("name")
    p.add_argument("--password", help="the new password (default: a generated one, printed once)")

    p = user_sub.add_parser("suspend", help="refuse a user's login and end their sessions; their posts stay")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("name")

    p = user_sub.add_parser("reactivate", help="let a suspended user log in again")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("name")


async def cmd_user_add(args: argparse.Namespace) -> int:
    from .cli import CommandError, _database, _load

    config = _load(args.data)
    async with _database(config) as db:
        try:
            async with db.transaction() as tx:
                await add_user(tx, username=args.name, password=args.password, role=args.role,
                               display_name=args.display_name)
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
    print(f"Added {args.role} {args.name}: @{args.name}@{config.domain}")
    return 0


async def cmd_user_list(args: argparse.Namespace) -> int:
    from .cli import _database, _load

    config = _load(args.data)
    async with _database(config) as db:
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
    from .cli import CommandError, _database, _load

    async with _database(_load(args.data)) as db:
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


COMMANDS: dict[tuple[str, str | None], Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    ("user", "add"): cmd_user_add,
    ("user", "list"): cmd_user_list,
    ("user", "password"): cmd_user_password,
    ("user", "suspend"): cmd_user_suspend,
    ("user", "reactivate"): cmd_user_reactivate,
}
