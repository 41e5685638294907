"""The peer directory: the nodes this node knows (followed, asked to follow, following us with a follow we
accepted, or followed by a node we follow), described by what each says about itself (NodeInfo and its
network actor). There is no central registry. Peers of peers come from the `following` collections of
the nodes we follow, one step out and bounded, so the directory grows with the network without crawling
it. A node that only sent us activities is not listed (anyone can send one); the inbox dates the last
activity of the peers known.
"""

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from protocol.collections import collection_items, item_iri
from protocol.errors import ParseError
from protocol.iri import iri_host
from protocol.peers import nodeinfo_href, parse_group_profile, parse_nodeinfo

from . import clock
from .config import Config
from .db import Database, Transaction
from .fetch import Fetcher, FetchError
from .relevance import NETWORK_ACTOR_TYPES

log = logging.getLogger(__name__)
NODEINFO_ACCEPT = "application/json"
MAX_FOLLOWING_PAGES = 5


@dataclass(frozen=True)
class PeerSettings:
    refresh_interval: float = 6 * 3600.0
    discovery_max: int = 50  # actors read from one peer's `following`
    batch: int = 4  # peers refreshed per pass

    @classmethod
    def of(cls, config: Config) -> "PeerSettings":
        return cls(refresh_interval=config.peer_refresh_interval, discovery_max=config.peer_discovery_max)


def _base(iri: str) -> str:
    parts = urlsplit(iri)
    return f"{parts.scheme}://{iri_host(iri)}"


async def note_actor(tx: Transaction, local_base: str, iri: str, *, via: str | None = None,
                     direct: bool = False, due: bool = False) -> None:
    """Know the node an actor lives on. `direct`: we have a follow with this actor, who stands for its
    node; `via`: the peer whose `following` named it; `due`: refresh it now (an accepted follow)."""
    host = iri_host(iri)
    if not host or host == iri_host(local_base):
        return
    await tx.execute(
        "INSERT INTO peers (host, base_url, actor_iri, via, first_seen_at, next_refresh_at) VALUES (?, ?, ?, ?, ?, 0)"
        " ON CONFLICT (host) DO UPDATE SET actor_iri = CASE WHEN ? OR peers.actor_iri IS NULL"
        " THEN COALESCE(excluded.actor_iri, peers.actor_iri) ELSE peers.actor_iri END,"
        " next_refresh_at = CASE WHEN ? THEN 0 ELSE peers.next_refresh_at END",
        (host, _base(iri), iri if direct or via else None, via, clock.iso(), int(direct), int(due)),
    )


class PeerWorker:
    """Finds new peers in follows, dates their last activity from the inbox, and refreshes due ones from
    what they publish."""

    def __init__(self, *, db: Database, fetcher: Fetcher, local_base: str, settings: PeerSettings) -> None:
        self.db = db
        self.fetcher = fetcher
        self.local_base = local_base
        self.settings = settings
        self.inbox_cursor = 0

    async def run_once(self) -> int:
        """Discover, then refresh at most `batch` due peers; returns how many were refreshed."""
        direct = await self._discover()
        rows = await self.db.fetch_all(
            "SELECT host, base_url, actor_iri FROM peers WHERE next_refresh_at <= ? ORDER BY next_refresh_at LIMIT ?",
            (clock.timestamp(), self.settings.batch))
        await asyncio.gather(*(self._refresh(r["host"], r["base_url"], r["actor_iri"], r["host"] in direct)
                               for r in rows))
        return len(rows)

    async def _discover(self) -> set[str]:
        """New hosts from follows: the actors ours follow or asked to follow, and the followers we
        accepted; returns the hosts ours follow (whose `following` names peers of peers). The inbox since
        the last pass only dates the last activity of the peers known: anyone can send an activity, and
        an unsolicited one must not list its host on our page, nor make us fetch from it."""
        rows = await self.db.fetch_all("SELECT host, actor_iri, via FROM peers")
        known = {r["host"]: r["actor_iri"] for r in rows}
        local = f"{self.local_base}/"
        followed: set[str] = set()
        others: list[str] = []
        for r in await self.db.fetch_all("SELECT follower_iri, followee_iri, state FROM follows"):
            if r["follower_iri"].startswith(local):
                followed.add(iri_host(r["followee_iri"]))
                others.append(r["followee_iri"])
            elif r["state"] == "accepted":
                others.append(r["follower_iri"])
        seen = await self.db.fetch_all(
            "SELECT max(id) AS last_id, actor_iri, max(received_at) AS last FROM inbox WHERE id > ? GROUP BY actor_iri",
            (self.inbox_cursor,))
        new = [iri for iri in others if known.get(iri_host(iri)) is None]
        # A node no follow ties us to any more, and no peer named (or one an older version listed because
        # it sent something): it leaves the directory.
        related = {iri_host(iri) for iri in others}
        gone = [(r["host"],) for r in rows if r["via"] is None and r["host"] not in related]
        if not new and not seen and not gone:
            return followed
        async with self.db.transaction() as tx:
            await tx.execute_many("DELETE FROM peers WHERE host = ?", gone)
            for host, in gone:
                del known[host]
            for iri in new:
                if known.get(iri_host(iri)) is None:
                    await note_actor(tx, self.local_base, iri, direct=True)
                    known[iri_host(iri)] = iri
            latest: dict[str, str] = {}  # host -> its newest activity: one statement for all (the lock is shared)
            for row in seen:
                host = iri_host(row["actor_iri"])
                latest[host] = max(latest.get(host, ""), row["last"])
            await tx.execute_many("UPDATE peers SET last_activity_at = max(COALESCE(last_activity_at, ''), ?)"
                                  " WHERE host = ?", [(last, host) for host, last in latest.items() if host in known])
        self.inbox_cursor = max([self.inbox_cursor, *(r["last_id"] for r in seen)])
        return followed

    async def _nodeinfo(self, base_url: str) -> Any:
        _, links = await self.fetcher.get_json(f"{base_url}/.well-known/nodeinfo", accept=NODEINFO_ACCEPT, sign=False)
        try:
            href = nodeinfo_href(links, base_url)
        except ParseError as exc:
            raise FetchError(exc.reason) from exc
        _, doc = await self.fetcher.get_json(href, accept=NODEINFO_ACCEPT, sign=False)
        return parse_nodeinfo(doc)

    async def _following(self, iri: str) -> list[str]:
        """Up to `discovery_max` actor IRIs from a `following` collection (its first pages)."""
        found: list[str] = []
        collection = await self.fetcher.get_object(iri)
        page: Any = collection.get("first", collection)
        for _ in range(MAX_FOLLOWING_PAGES):
            if isinstance(page, str):
                page = await self.fetcher.get_object(page)
            if not isinstance(page, dict):
                break
            for item in map(item_iri, collection_items(page)):
                if item is not None and item not in found:
                    found.append(item)
            page = page.get("next")
            if len(found) >= self.settings.discovery_max or not page:
                break
        return found[:self.settings.discovery_max]

    async def _refresh(self, host: str, base_url: str, actor_iri: str | None, direct: bool) -> None:
        """NodeInfo for the node's name, languages and counts; its network actor for name, territory and
        summary; for a node we have a follow with, its `following` for peers of peers."""
        errors: list[str] = []
        values: dict[str, Any] = {}
        try:
            info = await self._nodeinfo(base_url)
            values.update(software=info.software, name=info.name, summary=info.description, users=info.users,
                          posts=info.posts, languages=json.dumps(list(info.languages)))
            if actor_iri is None and info.network is not None and info.network.host == host:
                actor_iri = await self.fetcher.resolve_handle(info.network)
        except FetchError as exc:
            errors.append(f"nodeinfo: {exc.reason}")
        named: list[str] = []
        if actor_iri is not None:
            try:
                actor = await self.fetcher.get_actor(actor_iri)
                if actor.type in NETWORK_ACTOR_TYPES:  # a person's name is not their node's
                    document = await self.db.fetch_value("SELECT document FROM remote_actors WHERE iri = ?",
                                                         (actor_iri,))
                    profile = parse_group_profile(json.loads(document) if document else None)
                    values.update({k: v for k, v in (("name", profile.name), ("territory", profile.territory),
                                                     ("summary", profile.summary)) if v})
                if direct and actor.following:
                    named = await self._following(actor.following)
            except FetchError as exc:
                errors.append(f"actor: {exc.reason}")
        interval = self.settings.refresh_interval
        async with self.db.transaction() as tx:
            for iri in named:
                await note_actor(tx, self.local_base, iri, via=host)
            sets = ", ".join(f"{k} = ?" for k in values)
            await tx.execute(
                f"UPDATE peers SET {sets}{', ' if sets else ''}actor_iri = COALESCE(?, actor_iri), refreshed_at = ?,"
                " next_refresh_at = ?, error = ? WHERE host = ?",
                (*values.values(), actor_iri, clock.iso(),
                 clock.timestamp() + (min(interval, 600.0) if errors else interval), "; ".join(errors) or None, host))

    async def run(self, poll_interval: float = 2.0) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # a bug must not stop the loop; the next pass tries again
                log.exception("peer directory pass failed")
            await asyncio.sleep(poll_interval)


async def directory(db: Database, local_base: str) -> list[dict[str, Any]]:
    """Every known peer with its relation to us (follows read live): first the nodes we have a follow
    with (either way, even pending), then peers of peers and nodes we heard from, by name."""
    local = f"{local_base}/"
    followed: set[str] = set()
    following: set[str] = set()
    asked: set[str] = set()
    for r in await db.fetch_all("SELECT follower_iri, followee_iri, state FROM follows"):
        ours = r["follower_iri"].startswith(local)
        host = iri_host(r["followee_iri"] if ours else r["follower_iri"])
        asked.add(host)
        if r["state"] == "accepted":
            (followed if ours else following).add(host)
    items = {r["origin"]: r["n"] for r in await db.fetch_all(
        "SELECT origin, count(*) AS n FROM remote_content WHERE deleted_at IS NULL GROUP BY origin")}
    out = []
    for r in await db.fetch_all("SELECT * FROM peers ORDER BY host"):
        host = r["host"]
        out.append({
            "host": host, "url": r["base_url"], "actor": r["actor_iri"], "name": r["name"] or host,
            "summary": r["summary"], "territory": r["territory"], "languages": json.loads(r["languages"]),
            "software": r["software"], "users": r["users"], "posts": r["posts"], "items": items.get(host, 0),
            "followed": host in followed, "following": host in following, "via": r["via"],
            "seen": r["last_activity_at"] is not None, "last_activity": r["last_activity_at"],
            "refreshed": r["refreshed_at"],
        })
    out.sort(key=lambda p: (p["host"] not in asked, p["via"] is None and not p["seen"], p["name"].lower()))
    return out
