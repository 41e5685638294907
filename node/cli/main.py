"""The `maillage` command: argument parsing and dispatch. Its sub-commands and flags are a contract that
users and scripts rely on: add to them, never change them. Exit codes: 0 success, 1 a refused or failed
operation (the message on stderr says why; a full disk, in any command: `error: disk full ...`), 2 a usage
error.

Parsing imports nothing but argparse: each command's module (and what it needs: the database, the web
application, the network client) is imported only when that command runs, so `maillage --help` and
`maillage publish` start fast (tests/node/test_cli_startup.py holds it)."""

import argparse
import importlib
import sys
from collections.abc import Coroutine
from pathlib import Path


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
    p = sub.add_parser("share", help="re-share (Announce) a peer's item to the network's followers")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--as", dest="author", required=True, help="user name of the organizer re-sharing")
    p.add_argument("iri", help="the item's address (IRI)")

    p = sub.add_parser("unshare", help="undo a re-share")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--as", dest="author", required=True, help="user name of the organizer")
    p.add_argument("iri", help="the item's address (IRI)")

    p = sub.add_parser("comments", help="list the comments held for approval; approve or reject one")
    p.add_argument("--data", required=True, type=Path)
    decision = p.add_mutually_exclusive_group()
    decision.add_argument("--approve", metavar="IRI", help="show this comment (and relay it to followers)")
    decision.add_argument("--reject", metavar="IRI", help="refuse this comment")
    decision.add_argument("--remove", metavar="IRI", help="remove a shown comment (its relay is undone)")

    p = sub.add_parser("reply", help="reply from the node to an item or a comment (a Note with inReplyTo)")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--as", dest="author", required=True, help="user name of the organizer replying")
    p.add_argument("iri", help="what the reply answers: an item or a comment (IRI)")
    p.add_argument("file", nargs="?", type=Path, help="Markdown file with the reply (or --text)")
    p.add_argument("--text", help="the reply, in Markdown (instead of FILE)")
    p.add_argument("--lang", help="language of the reply (default: the node's default_lang)")

    p = sub.add_parser("block", help="block an account elsewhere: its activities are refused, its traces here removed")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("target", help="@name@host or the account's address")
    p.add_argument("--reason", default="", help="why (shown to the other admins)")

    p = sub.add_parser("unblock", help="lift an account's block")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("target", help="the account's address (as `maillage block` printed it)")
    return parser


# (command, user sub-command) -> (module of node/cli/, function); a function returns an exit status,
# or a coroutine giving one.
COMMANDS: dict[tuple[str, str | None], tuple[str, str]] = {
    ("init", None): ("node_cmds", "cmd_init"),
    ("serve", None): ("node_cmds", "cmd_serve"),
    ("demo", None): ("node_cmds", "cmd_demo"),
    ("doctor", None): ("node_cmds", "cmd_doctor"),
    ("status", None): ("node_cmds", "cmd_status"),
    ("backup", None): ("node_cmds", "cmd_backup"),
    ("restore", None): ("node_cmds", "cmd_restore"),
    ("publish", None): ("content", "cmd_publish"),
    ("delete", None): ("content", "cmd_delete"),
    ("export", None): ("content", "cmd_export"),
    ("participants", None): ("participants", "cmd_participants"),
    ("follow", None): ("social", "cmd_follow"),
    ("unfollow", None): ("social", "cmd_unfollow"),
    ("backfill", None): ("social", "cmd_backfill"),
    ("share", None): ("social", "cmd_share"),
    ("unshare", None): ("social", "cmd_unshare"),
    ("comments", None): ("social", "cmd_comments"),
    ("reply", None): ("social", "cmd_reply"),
    ("block", None): ("social", "cmd_block"),
    ("unblock", None): ("social", "cmd_unblock"),
    ("user", "add"): ("users", "cmd_user_add"),
    ("user", "list"): ("users", "cmd_user_list"),
    ("user", "password"): ("users", "cmd_user_password"),
    ("user", "suspend"): ("users", "cmd_user_suspend"),
    ("user", "reactivate"): ("users", "cmd_user_reactivate"),
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    module, name = COMMANDS[(args.command, getattr(args, "user_command", None))]
    try:
        result = getattr(importlib.import_module(f"{__package__}.{module}"), name)(args)
        if isinstance(result, Coroutine):
            import asyncio

            result = asyncio.run(result)
        return int(result)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the one place a full disk becomes a line for a person, whatever the command
        from .common import error_line

        data = getattr(args, "data", None)
        line = error_line(exc, data)
        if line is None:
            raise
        print(line, file=sys.stderr)
        return 1
