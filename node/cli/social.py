"""`maillage follow`, `unfollow`, `backfill`, `share`, `unshare`, `comments`, `reply`, `block` and
`unblock`: the node's ties with other servers, re-sharing a peer's item, moderating comments and accounts,
and replying from the node. These talk to the network, so this module imports the network client; it
is imported only when one of them runs (node/cli/main.py)."""

import argparse

from protocol.langmap import is_lang_tag

from .. import account_blocks, backfill, comments
from ..fetch import FetchError
from ..following import FollowError, follow, resolve_target, unfollow
from ..replying import reply
from ..sharing import ShareError, share, unshare
from ..urls import Urls
from .common import CommandError, database, find_organizer, load, network_fetcher


async def cmd_follow(args: argparse.Namespace) -> int:
    config = load(args.data)
    async with network_fetcher(config) as (db, fetcher, group):
        try:
            result = await follow(db, Urls(config.base_url), fetcher, follower=group, target=args.target)
        except (FollowError, FetchError) as exc:
            raise CommandError(f"cannot follow {args.target}: {exc}") from exc
    print(f"{result.followee_iri} {result.state}")
    return 0


async def cmd_unfollow(args: argparse.Namespace) -> int:
    config = load(args.data)
    async with network_fetcher(config) as (db, fetcher, group):
        try:
            iri = await unfollow(db, Urls(config.base_url), fetcher, follower=group, target=args.target)
        except (FollowError, FetchError) as exc:
            raise CommandError(f"cannot unfollow {args.target}: {exc}") from exc
    print(f"{iri} unfollowed")
    return 0


async def cmd_backfill(args: argparse.Namespace) -> int:
    """Run a backfill here, to its end; prints `ACTOR STATE: N imported, N seen, N pages`."""
    config = load(args.data)
    async with network_fetcher(config) as (db, fetcher, _group):
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


async def cmd_share(args: argparse.Namespace) -> int:
    config = load(args.data)
    async with network_fetcher(config) as (db, fetcher, _group):
        organizer = await find_organizer(db, args.author)
        try:
            await share(db, Urls(config.base_url), fetcher, network=config.network, organizer=organizer,
                        iri=args.iri)
        except ShareError as exc:
            raise CommandError(str(exc)) from exc
    print(f"{args.iri} shared")
    return 0


async def cmd_unshare(args: argparse.Namespace) -> int:
    config = load(args.data)
    async with network_fetcher(config) as (db, fetcher, _group):
        await find_organizer(db, args.author)
        try:
            await unshare(db, Urls(config.base_url), fetcher, network=config.network, iri=args.iri)
        except ShareError as exc:
            raise CommandError(str(exc)) from exc
    print(f"{args.iri} unshared")
    return 0


async def cmd_comments(args: argparse.Namespace) -> int:
    """Without --approve/--reject: one line per held comment, `IRI<TAB>AUTHOR<TAB>ITEM<TAB>TEXT`."""
    config = load(args.data)
    async with database(config) as db:
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
    config = load(args.data)
    if (args.file is None) == (args.text is None):
        raise CommandError("give the reply as FILE or as --text, not both")
    lang = args.lang or config.default_lang
    if not is_lang_tag(lang):
        raise CommandError(f"--lang is not a language tag: {lang!r}")
    try:
        text = args.text if args.text is not None else args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from exc
    async with network_fetcher(config) as (db, fetcher, _group):
        organizer = await find_organizer(db, args.author)
        try:
            note = await reply(db, Urls(config.base_url), fetcher, network=config.network, organizer=organizer,
                               target=args.iri, text_md=text, lang=lang)
        except (comments.CommentError, FetchError) as exc:
            raise CommandError(str(exc)) from exc
    print(note)
    return 0


async def cmd_block(args: argparse.Namespace) -> int:
    config = load(args.data)
    async with network_fetcher(config) as (db, fetcher, _group):
        try:
            iri = await resolve_target(fetcher, args.target)
            blocked = await account_blocks.block(db, Urls(config.base_url), iri, args.reason)
        except (FollowError, FetchError, account_blocks.BlockError) as exc:
            raise CommandError(str(exc)) from exc
    print(f"{iri} blocked" if blocked else f"{iri} was blocked already")
    return 0


async def cmd_unblock(args: argparse.Namespace) -> int:
    async with database(load(args.data)) as db:
        unblocked = await account_blocks.unblock(db, args.target)
    print(f"{args.target} unblocked" if unblocked else f"{args.target} was not blocked")
    return 0
