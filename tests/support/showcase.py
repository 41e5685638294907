"""A node worth looking at, for the site tests and the browser tests: the demo's practices (French with an
English translation), a journey next month with its programme, a past journey and its outcome, dated
from today so "upcoming" and "past" stay true whenever the tests run."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from node.accounts import get_actor
from node.appkeys import DB, URLS
from node.demo_content import ITEMS
from node.drafts import draft_from_mapping
from node.publishing import publish

PRACTICE_SLUG = "cooperative-consommateurs"
JOURNEY_SLUG = "voyage-apprenant-europe"
PAST_JOURNEY_SLUG = "rencontre-bilan-rennes"
OUTCOME_SLUG = "bilan-voyage-europe"


def _day(offset: int, time: str) -> str:
    return f"{(datetime.now(UTC) + timedelta(days=offset)).date().isoformat()} {time}"


def _redated(meta: dict[str, Any], offset: int) -> dict[str, Any]:
    """A journey moved `offset` days from today, its programme with it."""
    start = datetime.strptime(meta["start"], "%Y-%m-%d %H:%M")
    shift = (datetime.now(UTC).date() + timedelta(days=offset)) - start.date()
    def moved(value: str) -> str:
        return (datetime.strptime(value, "%Y-%m-%d %H:%M") + shift).strftime("%Y-%m-%d %H:%M")
    meta = {**meta, "start": moved(meta["start"])}
    if "end" in meta:
        meta["end"] = moved(meta["end"])
    if "programme" in meta:
        meta["programme"] = [{**p, "time": moved(p["time"]), **({"end": moved(p["end"])} if "end" in p else {})}
                             for p in meta["programme"]]
    return meta


def items() -> list[tuple[dict[str, Any], str]]:
    out: list[tuple[dict[str, Any], str]] = []
    for _node, meta, body in ITEMS:
        if meta["type"] == "journey":
            meta = _redated(meta, 30)
        out.append((meta, body))
    out.insert(5, ({
        "type": "journey", "slug": PAST_JOURNEY_SLUG, "lang": "fr",
        "title": "Rencontre nationale de bilan à Rennes",
        "summary": "Une journée pour faire le point sur le cycle de voyages apprenants.",
        "themes": ["territorial-social-dialogue"], "timezone": "Europe/Paris",
        "start": _day(-20, "09:00"), "end": _day(-20, "17:30"),
        "location": {"name": "Maison des associations", "street": "6 cours des Alliés", "postal_code": "35000",
                     "locality": "Rennes", "country": "FR", "latitude": 48.105, "longitude": -1.676},
        "capacity": 60, "join_mode": "free", "status": "confirmed",
    }, "Bilan national du cycle : ce qui a marché, ce qui reste à construire."))
    return [(({**m, "journey": PAST_JOURNEY_SLUG} if m["type"] == "outcome" else m), b) for m, b in out]


async def seed(app: web.Application, network: str, author: str = "admin") -> None:
    actor = await get_actor(app[DB], author)
    assert actor is not None
    for meta, body in items():
        draft = draft_from_mapping(meta, body, default_lang=meta["lang"])
        await publish(app[DB], app[URLS], network=network, author=actor, draft=draft)
