"""Journeys and the people who join them, for participation tests: publishing a journey from Markdown,
a Mobilizon-shaped remote server, the Join/Leave Mobilizon emits and the vote Mastodon emits."""

import copy
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient
from aiohttp.web import Application

from node.accounts import get_actor
from node.appkeys import DB, URLS
from node.drafts import parse_markdown
from node.publishing import publish
from tests.support.node import AS_CONTEXT, post_signed, process
from tests.support.peer import Peer, Received, start_peer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mobilizon"
ZONE = "Europe/Paris"
_ids = itertools.count(1)


def local_time(delta: timedelta) -> str:
    """Now plus `delta`, as an organizer writes it in front matter (local time of the journey's zone)."""
    return (datetime.now(UTC) + delta).astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M")


def journey_markdown(slug: str, *, start: str, capacity: int | None = None, join_mode: str = "free",
                     status: str = "confirmed", title: str = "Voyage apprenant en Drôme") -> str:
    lines = ["---", "type: journey", f"slug: {slug}", "lang: fr", f"title: {title}",
             "summary: Deux jours chez les coopératives de la vallée.", f"start: {start}", f"timezone: {ZONE}",
             "online: https://visio.example/voyage", f"join_mode: {join_mode}", f"status: {status}"]
    if capacity is not None:
        lines.append(f"capacity: {capacity}")
    if join_mode == "external":
        lines.append("external_url: https://inscriptions.example/voyage")
    return "\n".join([*lines, "---", "Le programme complet.", ""])


async def publish_journey(app: Application, slug: str = "voyage-drome", *, start: timedelta = timedelta(days=30),
                          **fields: Any) -> str:
    """Publish a journey as the admin (through the same use case as `maillage publish`); returns its IRI."""
    db = app[DB]
    author = await get_actor(db, "admin")
    assert author is not None
    draft = parse_markdown(journey_markdown(slug, start=local_time(start), **fields), default_lang="fr")
    return (await publish(db, app[URLS], network="reseau", author=author, draft=draft)).iri


async def start_mobilizon(*names: str) -> Peer:
    """A Mobilizon-shaped server: Person actors carrying the fields Mobilizon's actor converter writes
    (lib/federation/activity_stream/converter/actor.ex)."""
    remote = await start_peer(*names)
    for name in names:
        remote.actor_fields[name] = {"url": remote.actor_iri(name), "summary": "", "discoverable": True,
                                     "openness": None, "manuallyApprovesFollowers": False}
    return remote


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def mobilizon_join(peer: Peer, name: str, journey: dict[str, Any] | str, *, message: str | None = None,
                   organizer: str = "http://node.test/users/admin") -> dict[str, Any]:
    """The Join Mobilizon sends (converter/participant.ex + audience: to the participant and the organizer),
    from the captured fixture, with this peer's actor and a fresh participation id."""
    doc = copy.deepcopy(_fixture("join.json"))
    actor = peer.actor_iri(name)
    doc.update({"id": f"{peer.base}/join/event/{next(_ids)}", "actor": actor, "object": journey,
                "to": [actor, organizer], "cc": []})
    if message is None:
        doc.pop("participationMessage", None)
    else:
        doc["participationMessage"] = message
    return doc


def mobilizon_leave(peer: Peer, name: str, journey: str, *, organizer: str = "http://node.test/users/admin") -> dict[
        str, Any]:
    doc = copy.deepcopy(_fixture("leave.json"))
    actor = peer.actor_iri(name)
    doc.update({"id": f"{peer.base}/leave/event/{next(_ids)}", "actor": actor, "object": journey,
                "to": [actor, organizer], "cc": []})
    return doc


def mastodon_vote(peer: Peer, name: str, question: str, option: str, *, group: str = "http://node.test/users/reseau",
                  attributed_to: str | None = None) -> dict[str, Any]:
    """A poll vote as Mastodon sends it (app/serializers/activitypub/vote_serializer.rb): a Create of a Note
    with the option as `name`, `inReplyTo` the question, addressed to the poll's author only."""
    actor = peer.actor_iri(name)
    n = next(_ids)
    note = {"id": f"{actor}#votes/{n}", "type": "Note", "name": option, "attributedTo": attributed_to or actor,
            "inReplyTo": question, "to": [group]}
    return {"@context": AS_CONTEXT, "id": f"{actor}#votes/{n}/activity", "type": "Create", "actor": actor,
            "to": [group], "object": note}


async def deliver(client: TestClient, peer: Peer, name: str, doc: dict[str, Any], path: str = "/inbox") -> None:
    """POST a signed activity and run the inbox and delivery workers once."""
    resp = await post_signed(client, peer, name, path, doc)
    assert resp.status == 202, await resp.text()
    await process(client.app)


def sent(peer: Peer, kind: str, object_type: str | None = None) -> list[dict[str, Any]]:
    """Activities of this type the peer received (optionally with an embedded object of that type)."""
    return [doc for doc in (r.json for r in peer.inbox) if doc["type"] == kind
            and (object_type is None or isinstance(doc["object"], dict) and doc["object"].get("type") == object_type)]


def received_answers(peer: Peer) -> list[Received]:
    """Accepts and Rejects the peer received."""
    return [r for r in peer.inbox if r.json["type"] in ("Accept", "Reject")]
