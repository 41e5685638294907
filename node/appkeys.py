"""Typed application state (`web.AppKey`): resources live as long as the app, opened in cleanup_ctx."""

import asyncio

import aiohttp
from aiohttp import web

from .backfill import BackfillWorker
from .config import Config
from .db import Database
from .delivery import DeliveryWorker
from .fetch import Fetcher
from .inbox_limit import Intake
from .inbox_worker import InboxWorker
from .peers import PeerWorker
from .settings import NodeSettings
from .urls import Urls

CONFIG = web.AppKey("config", Config)
URLS = web.AppKey("urls", Urls)
DB = web.AppKey("db", Database)
HTTP = web.AppKey("http", aiohttp.ClientSession)
FETCHER = web.AppKey("fetcher", Fetcher)
DELIVERY = web.AppKey("delivery", DeliveryWorker)
INBOX_WORKER = web.AppKey("inbox_worker", InboxWorker)
INTAKE = web.AppKey("intake", Intake)  # the inbox's limits before a signature is proven
BACKFILL = web.AppKey("backfill", BackfillWorker)
PEERS = web.AppKey("peers", PeerWorker)
WORKER_TASKS = web.AppKey("worker_tasks", list[asyncio.Task[None]])
SETTINGS = web.AppKey("settings", NodeSettings)  # mutable: an admin's change applies at once (node/settings.py)
