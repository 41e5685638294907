"""`maillage participants`: a journey's participants listed, a request to join approved or rejected."""

import argparse

from .common import CommandError, database, load, network_fetcher


async def cmd_participants(args: argparse.Namespace) -> int:
    """Without --approve/--reject: one line per participant, `ACTOR<TAB>STATE<TAB>SOURCE[<TAB>MESSAGE]`."""
    from ..content import find_object
    from ..fetch import FetchError
    from ..participation import ParticipationError, decide, list_participants
    from ..urls import Urls

    config = load(args.data)
    target = args.approve or args.reject
    if target is None:
        async with database(config) as db:
            journey = await find_object(db, "journey", args.journey)
            if journey is None or journey.deleted_at:
                raise CommandError(f"no journey {args.journey!r}")
            for p in await list_participants(db, journey.id):
                message = [" ".join(p.message.split())] if p.message else []
                print("\t".join([p.actor_iri, p.state, p.source, *message]))
        return 0
    async with network_fetcher(config) as (db, fetcher, _group):
        try:
            state = await decide(db, Urls(config.base_url), fetcher, slug=args.journey, actor_iri=target,
                                 approve=args.approve is not None)
        except (ParticipationError, FetchError) as exc:
            raise CommandError(str(exc)) from exc
    print(f"{target} {state}")
    return 0
