"""`maillage publish`, `delete` and `export`: the node's practices, journeys and outcomes as Markdown
files. `publish` is run in loops by scripts (README's export | publish), so it imports only drafts,
publishing and the database, never the web application."""

import argparse
import asyncio

from .common import CommandError, database, find_organizer, load


async def cmd_publish(args: argparse.Namespace) -> int:
    from ..drafts import DraftError, parse_markdown
    from ..publishing import PublishError, publish
    from ..urls import Urls

    config = load(args.data)
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from exc
    async with database(config) as db:
        author = await find_organizer(db, args.author)
        try:
            draft = parse_markdown(text, default_lang=config.default_lang)
            result = await publish(db, Urls(config.base_url), network=config.network, author=author, draft=draft)
        except (DraftError, PublishError) as exc:  # a draft's every problem, one a line
            raise CommandError("\nerror: ".join(f"{args.file}: {line}" for line in str(exc).splitlines())) from exc
    print(result.iri)
    return 0


async def cmd_delete(args: argparse.Namespace) -> int:
    from ..publishing import PublishError, delete
    from ..urls import Urls

    config = load(args.data)
    async with database(config) as db:
        author = await find_organizer(db, args.author)
        try:
            iri = await delete(db, Urls(config.base_url), network=config.network, author=author, kind=args.type,
                               slug=args.slug)
        except PublishError as exc:
            raise CommandError(str(exc)) from exc
    print(f"{iri} deleted")
    return 0


async def cmd_export(args: argparse.Namespace) -> int:
    """One line per file written, `PATH<TAB>AUTHOR`: what `maillage publish --as AUTHOR PATH` publishes again."""
    from .. import export

    config = load(args.data)
    async with database(config) as db:
        try:
            files = await export.rendered(db, default_lang=config.default_lang)
            written = await asyncio.to_thread(export.write_folder, args.output, files)
        except (export.ExportError, OSError) as exc:
            raise CommandError(str(exc)) from exc
    for item in written:
        print(f"{item.path}\t{item.author}")
    return 0
