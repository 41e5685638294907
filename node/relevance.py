"""Which received posts the node keeps. Any server can sign a Create or an Announce and send it to our
inbox: kept blindly, a stranger could fill the disk within the rate limit and put "practices" into our
library and search. As Mastodon keeps a Create only when it relates to local activity, a post is kept
when:

- its sender's server hosts an actor one of our actors follows (a peer network, a followed account);
- it replies into a thread shown here (a comment), or votes on our poll (its handler checks that);
- it addresses or mentions one of our actors.

Anything else is marked ignored: its inbox row stays until the logs are pruned, nothing else is written
(a post sent by IRI, or boosted, is fetched first: what it replies to may decide).

Hosts, not actors: a Maillage node's posts are its organizers', addressed to its Group's followers, and
the Group is what a network follows. A followed Mastodon account's server may then send its other users'
posts too: rows, never pages.

The library (practices, journeys and outcomes listed, searched, on the home page) is narrower
(`Followed.lists`): an item enters it only when written by an actor we follow (an organizer) or on the
node of a network we follow (a Group or Organization: its organizers' items), or sent by one of those
(a network's re-share). A stranger's article that names one of us is a message, one that answers a thread
of ours at most a comment: addressing us must not be a way into our library.
"""

import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from protocol.iri import iri_host

from . import comments, follows
from .db import Database, per_database
from .urls import Urls

REFRESH_SECONDS = 30.0  # follows another process changed (`maillage unfollow` while `serve` runs) show after this
NETWORK_ACTOR_TYPES = frozenset({"Group", "Organization"})  # how a network presents itself (a Maillage node's Group)
_ADDRESSING = ("to", "cc", "bto", "bcc", "audience")


@dataclass(frozen=True)
class Followed:
    """The actors our actors follow (accepted), their hosts, and the hosts of those that are networks."""

    actors: frozenset[str] = frozenset()
    hosts: frozenset[str] = frozenset()
    network_hosts: frozenset[str] = frozenset()

    def lists(self, *actors: str) -> bool:
        """Whether a practice, journey or outcome written or sent by one of `actors` enters the library:
        one of them is followed, or lives on the node of a followed network."""
        return any(actor in self.actors or iri_host(actor) in self.network_hosts for actor in actors)


class FollowedHosts:
    """What our actors follow (`Followed`), read from `follows` (and the cached type of each followed actor)
    and read again after a follow changed in this process (`follows.generation`) or REFRESH_SECONDS: the
    inbox asks for every post."""

    def __init__(self) -> None:
        self.followed = Followed()
        self.generation = -1
        self.loaded_at = float("-inf")

    @classmethod
    def of(cls, db: Database) -> "FollowedHosts":
        return per_database(_followed, db, cls)

    async def get(self, db: Database, urls: Urls) -> frozenset[str]:
        """The hosts of the actors our actors follow."""
        return (await self.load(db, urls)).hosts

    async def load(self, db: Database, urls: Urls) -> Followed:
        now = time.monotonic()
        if self.generation != follows.generation or now - self.loaded_at > REFRESH_SECONDS:
            generation = follows.generation
            rows = await db.fetch_all_quick(  # our actors are the followers whose IRI is under our base
                "SELECT DISTINCT f.followee_iri, a.type FROM follows f LEFT JOIN remote_actors a"
                " ON a.iri = f.followee_iri WHERE f.state = 'accepted' AND f.follower_iri >= ? AND f.follower_iri < ?",
                (f"{urls.base}/", f"{urls.base}0"))
            self.followed = Followed(
                actors=frozenset(r[0] for r in rows), hosts=frozenset(host for r in rows if (host := iri_host(r[0]))),
                network_hosts=frozenset(iri_host(r[0]) for r in rows if r[1] in NETWORK_ACTOR_TYPES))
            self.generation, self.loaded_at = generation, now
        return self.followed


_followed: "weakref.WeakKeyDictionary[Database, FollowedHosts]" = weakref.WeakKeyDictionary()


def _iris(value: Any) -> Iterator[str]:
    for entry in value if isinstance(value, list) else [value]:
        entry = entry.get("id") if isinstance(entry, dict) else entry
        if isinstance(entry, str):
            yield entry


def addressed_iris(document: dict[str, Any]) -> Iterator[str]:
    """The IRIs `document` is addressed to (`to`, `cc`, `bto`, `bcc`, `audience`) and the ones its Mention
    tags name."""
    for field in _ADDRESSING:
        yield from _iris(document.get(field))
    tags = document.get("tag")
    for tag in tags if isinstance(tags, list) else [tags]:
        if isinstance(tag, dict) and tag.get("type") == "Mention" and isinstance(tag.get("href"), str):
            yield tag["href"]


def addresses_us(urls: Urls, *documents: Any) -> bool:
    """Whether one of `documents` (an activity, its object) names one of our actors in its addressing
    or in a Mention: a message, or someone calling an organizer into a discussion."""
    ours = f"{urls.base}/"
    return any(iri.startswith(ours) for document in documents if isinstance(document, dict)
               for iri in addressed_iris(document))


async def followed(db: Database, urls: Urls) -> Followed:
    """What our actors follow, for `Followed.lists`: which items enter the library."""
    return await FollowedHosts.of(db).load(db, urls)


async def from_followed_host(db: Database, urls: Urls, sender: str) -> bool:
    """Whether `sender`'s server hosts an actor one of ours follows."""
    return iri_host(sender) in await FollowedHosts.of(db).get(db, urls)


async def related(db: Database, urls: Urls, sender: str, document: dict[str, Any], activity: dict[str, Any]) -> bool:
    """Whether the post `document`, received from `sender` in `activity`, is one to keep."""
    if await from_followed_host(db, urls, sender) or addresses_us(urls, activity, document):
        return True
    parent = comments.reply_target(document)
    return parent is not None and await comments.in_thread(db, urls, parent)
