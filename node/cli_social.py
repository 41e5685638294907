"""`maillage share`, `unshare`, `comments`, `reply`, `block` and `unblock`: re-sharing a peer's item,
moderating comments and accounts, and replying from the node. Kept out of node/cli.py (which registers
them) so that file stays readable; the same contract holds: add to these commands, never change them."""

import argparse
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from protocol.langmap import is_lang_tag

from . import account_blocks, comments
from .fetch import FetchError
from .following import FollowError, resolve_target
from .replying import reply
from .sharing import ShareError, share, unshare
from .urls import Urls


def add_parsers(sub: Any) -> None:
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


async def cmd_share(args: argparse.Namespace) -> int:
    from .cli import CommandError, _load, _network_fetcher, _organizer

    config = _load(args.data)
    async with _network_fetcher(config) as (db, fetcher, _group):
        organizer = await _organizer(db, args.author)
        try:
            await share(db, Urls(config.base_url), fetcher, network=config.network, organizer=organizer,
                        iri=args.iri)
        except ShareError as exc:
            raise CommandError(str(exc)) from exc
    print(f"{args.iri} shared")
    return 0


async def cmd_unshare(args: argparse.Namespace) -> int:
    from .cli import CommandError, _load, _network_fetcher, _organizer

    config = _load(args.data)
    async with _network_fetcher(config) as (db, fetcher, _group):
        await _organizer(db, args.author)
        try:
            await unshare(db, Urls(config.base_url), fetcher, network=config.network, iri=args.iri)
        except ShareError as exc:
            raise CommandError(str(exc)) from exc
    print(f"{args.iri} unshared")
    return 0


async def cmd_comments(args: argparse.Namespace) -> int:
    """Without --approve/--reject: one line per held comment, `IRI<TAB>AUTHOR<TAB>ITEM<TAB>TEXT`."""
    from .cli import CommandError, _database, _load

    config = _load(args.data)
    async with _database(config) as db:
        if args.remove is not None:
            async with db.transaction() as tx:
                if not await comments.withdraw(tx, Urls(config.base_url), args.remove):
                    raise CommandError(f"no comment {args.remove} from elsewhere is shown here")
            print(f"{args.remove} removed")
            return 0
        target = args.approve or args.reject
        if target is None:
            for c in await comments.held(db):
                print("\t".join([c["iri"], c["author_iri"], c["root_iri"], c["text"]]))
            return 0
        try:
            state = await comments.decide(db, Urls(config.base_url), target, approve=args.approve is not None)
        except comments.CommentError as exc:
            raise CommandError(str(exc)) from exc
    print(f"{target} {state}")
    return 0


async def cmd_reply(args: argparse.Namespace) -> int:
    from .cli import CommandError, _load, _network_fetcher, _organizer

    config = _load(args.data)
    if (args.file is None) == (args.text is None):
        raise CommandError("give the reply as FILE or as --text, not both")
    lang = args.lang or config.default_lang
    if not is_lang_tag(lang):
        raise CommandError(f"--lang is not a language tag: {lang!r}")
    try:
        text = args.text if args.text is not None else args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from exc
    async with _network_fetcher(config) as (db, fetcher, _group):
        organizer = await _organizer(db, args.author)
        try:
            note = await reply(db, Urls(config.base_url), fetcher, network=config.network, organizer=organizer,
                               target=args.iri, text_md=text, lang=lang)
        except (comments.CommentError, FetchError) as exc:
            raise CommandError(str(exc)) from exc
    print(note)
    return 0


async def cmd_block(args: argparse.Namespace) -> int:
    from .cli import CommandError, _load, _network_fetcher

    config = _load(args.data)
    async with _network_fetcher(config) as (db, fetcher, _group):
        try:
            iri = await resolve_target(fetcher, args.target)
            blocked = await account_blocks.block(db, Urls(config.base_url), iri, args.reason)
        except (FollowError, FetchError, account_blocks.BlockError) as exc:
            raise CommandError(str(exc)) from exc
    print(f"{iri} blocked" if blocked else f"{iri} was blocked already")
    return 0


async def cmd_unblock(args: argparse.Namespace) -> int:
    from .cli import _database, _load

    async with _database(_load(args.data)) as db:
        unblocked = await account_blocks.unblock(db, args.target)
    print(f"{args.target} unblocked" if unblocked else f"{args.target} was not blocked")
    return 0


COMMANDS: dict[tuple[str, str | None], Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    ("share", None): cmd_share,
    ("unshare", None): cmd_unshare,
    ("comments", None): cmd_comments,
    ("reply", None): cmd_reply,
    ("block", None): cmd_block,
    ("unblock", None): cmd_unblock,
}
