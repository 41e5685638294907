"""The application factory. Resources (database, HTTP client, workers) are opened in cleanup_ctx and
reached through typed AppKeys; nothing happens at import time."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Middleware

from protocol.handles import handle_text

from . import retention, settings, social
from .accounts import get_actor
from .appkeys import (
    BACKFILL,
    CONFIG,
    DB,
    DELIVERY,
    FETCHER,
    HTTP,
    INBOX_WORKER,
    INTAKE,
    PEERS,
    SETTINGS,
    URLS,
    WORKER_TASKS,
)
from .assets import asset_dir
from .auth import LOGIN_LIMITS, LoginLimits, csrf_middleware, sessions
from .backfill import BackfillSettings, BackfillWorker
from .config import Config, user_agent
from .datadir import make_private
from .db import Database
from .delivery import DeliveryWorker
from .fetch import Fetcher, Signer
from .i18n import load_catalogs
from .inbox_context import InboxContext
from .inbox_limit import Intake
from .inbox_worker import InboxWorker
from .middleware import error_middleware, security_headers
from .netguard import connector_kwargs
from .page_images import image_src, place_images
from .peers import PeerSettings, PeerWorker
from .proxy import forwarded_middleware
from .response_cache import RESPONSE_CACHE, ResponseCache, response_cache_middleware
from .routes import setup_routes
from .signing import KnownSchemes
from .urls import INSTANCE_ACTOR_USERNAME, Urls
from .web.errors import error_pages

log = logging.getLogger(__name__)
DRAIN_SECONDS = 10.0
LINGER_SECONDS = 2.0


async def _resources(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    make_private(config.data_dir)  # an older node's files were readable by others
    db = await Database.open(config.database_path)
    connector = aiohttp.TCPConnector(limit=100, **connector_kwargs(config.allow_private_network))
    session = aiohttp.ClientSession(connector=connector)
    try:
        instance = await get_actor(db, INSTANCE_ACTOR_USERNAME)
        if instance is None:
            raise RuntimeError("database has no instance actor: was it created with `maillage init`?")
        app[SETTINGS].update(await settings.load(db, config))  # maillage.toml with the admin's changes
        await settings.start(db, app[URLS], app[SETTINGS])  # actors say how follows are approved now
        await social.sync_comment_mode(db, app[SETTINGS].comments)  # what documents and the inbox apply
        aiohttp_jinja2.get_env(app).globals["site_title"] = app[SETTINGS].title
        urls = app[URLS]
        app[DB] = db
        app[HTTP] = session
        schemes = KnownSchemes(db)  # what a GET learns of a domain's signatures, a POST uses at once
        app[FETCHER] = Fetcher(
            session=session, db=db, signer=Signer(urls.key_id(INSTANCE_ACTOR_USERNAME), instance.private_key_pem),
            allow_private=config.allow_private_network, timeout=config.fetch_timeout,
            max_bytes=config.fetch_max_bytes, user_agent=user_agent(config), schemes=schemes,
        )
        app[DELIVERY] = DeliveryWorker(
            db=db, session=session, urls=urls, allow_private=config.allow_private_network,
            concurrency=config.delivery_concurrency, timeout=config.fetch_timeout, user_agent=user_agent(config),
            schemes=schemes,
        )
        app[INBOX_WORKER] = InboxWorker(
            InboxContext(db=db, fetcher=app[FETCHER], urls=urls, manual_approval=app[SETTINGS].manual_approval),
            on_sent=app[DELIVERY].wakeup.set,
        )
        app[BACKFILL] = BackfillWorker(db=db, fetcher=app[FETCHER], local_base=urls.base,
                                       settings=BackfillSettings.of(config), group_iri=urls.actor(config.network))
        app[PEERS] = PeerWorker(db=db, fetcher=app[FETCHER], local_base=urls.base, settings=PeerSettings.of(config))
        yield
    finally:
        try:
            await session.close()
        finally:
            await db.close()


async def _workers(app: web.Application) -> AsyncIterator[None]:
    """Background loops for serving; tests build the app with `workers=False` and call run_once().
    On shutdown (after the server stopped accepting) the delivery POSTs in flight may finish, for at
    most DRAIN_SECONDS, so a SIGTERM does not throw away POSTs already on the wire; what is left stays
    `pending` in the queue for the next start. The inbox worker is cancelled: its rows roll back."""
    delivery = asyncio.create_task(app[DELIVERY].run(), name="delivery")
    inbox = asyncio.create_task(app[INBOX_WORKER].run(), name="inbox")
    # Backfill and the peer directory only read from other servers: cancelled at once, like the inbox.
    readers = [asyncio.create_task(app[BACKFILL].run(), name="backfill"),
               asyncio.create_task(app[PEERS].run(), name="peers")]
    if app[CONFIG].log_retention_days > 0:  # so is the pruning of old logs
        readers.append(asyncio.create_task(retention.run(app[DB], app[CONFIG].log_retention_days), name="retention"))
    app[WORKER_TASKS] = [delivery, inbox, *readers]
    yield
    inbox.cancel()
    for task in readers:
        task.cancel()
    app[DELIVERY].stop()
    done, _ = await asyncio.wait([delivery], timeout=DRAIN_SECONDS)
    if not done:
        log.warning("deliveries still in flight after %ss; they stay queued for the next start", DRAIN_SECONDS)
    for task in (delivery, inbox, *readers):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def create_app(config: Config, *, workers: bool = True) -> web.Application:
    cache = ResponseCache(config.response_cache_mb * 1_000_000)
    middlewares: list[Middleware] = [
        forwarded_middleware(config.trusted_proxies), response_cache_middleware(cache), security_headers,
        error_pages, error_middleware, sessions(config), csrf_middleware]
    # A request refused before its body was read: what is left of the body is read and dropped for
    # LINGER_SECONDS at most (so that the sender reads the answer), then the connection is closed.
    app = web.Application(middlewares=middlewares, client_max_size=1_048_576,
                          handler_args={"lingering_time": LINGER_SECONDS})
    app[CONFIG] = config
    app[INTAKE] = Intake(config.inbox_rate_per_minute)
    app[RESPONSE_CACHE] = cache
    app[URLS] = Urls(config.base_url)
    # Templates do not change while a node runs: skipping Jinja's per-render file checks is ~5% of a page.
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(asset_dir("templates")), autoescape=jinja2.select_autoescape(default=True),
        auto_reload=False,
    )
    env.globals["handle"] = handle_text  # `@name@host`, or None when the name could pose as another handle
    app[SETTINGS] = settings.NodeSettings(title=config.title, languages=config.languages,
                                          manual_approval=config.manual_approval, comments=config.comments,
                                          default_lang=config.default_lang)
    app[LOGIN_LIMITS] = LoginLimits()
    env.globals.update(site_title=config.title, base_url=config.base_url, lang=config.default_lang,
                       node_settings=app[SETTINGS])
    # Every image a page shows is this node's (node/page_images.py): `html | images(at) | safe`, `url | image_src`.
    env.filters.update(images=lambda html, at=None: place_images(html, config.base_url, at),
                       image_src=lambda url, at=None: image_src(url, config.base_url, at))
    load_catalogs()  # the interface's gettext catalogs, compiled once: a broken .po stops the start, not a page
    app.cleanup_ctx.append(_resources)
    if workers:
        app.cleanup_ctx.append(_workers)
    setup_routes(app)
    return app

