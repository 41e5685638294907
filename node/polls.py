"""A journey's RSVP poll: the Question the network Group publishes so Mastodon users can answer
"going / maybe / not going" (Mastodon has no RSVP of its own), kept in step with participations."""

from typing import Any

from protocol.activities import build_create, build_update
from protocol.jsonld import AS_PUBLIC
from protocol.langmap import pick
from protocol.polls import RSVP_CHOICES, build_rsvp_question

from .content import StoredObject, participation_counts, rsvp_iri, titles
from .db import Database, Transaction
from .outbox import send
from .urls import Urls

QUESTION = {
    "fr": "Participerez-vous au voyage apprenant « {title} » ?",
    "en": "Will you join the learning journey “{title}”?",
    "es": "¿Participará en el viaje de aprendizaje «{title}»?",
    "pt": "Você vai participar da jornada de aprendizagem “{title}”?",
}


async def build_question_for(tx: Database | Transaction, urls: Urls, journey: StoredObject,
                             network: str) -> dict[str, Any]:
    """The Question document for a journey, with current counts, asked in each of the journey's languages
    we have the words for (in its own language always); votes close when the journey starts."""
    counts = await participation_counts(tx, journey.id)
    lang = journey.default_lang
    names = await titles(tx, journey.id)
    start = journey.fields.get("startTime")

    def ask(tag: str) -> str:
        return QUESTION.get(tag.split("-")[0], QUESTION["en"]).format(title=pick(names, tag, lang))

    return build_rsvp_question(
        iri=rsvp_iri(journey), attributed_to=urls.actor(network), journey_iri=journey.iri, journey_url=journey.iri,
        question=ask(lang), lang=lang,
        translations={tag: ask(tag) for tag in sorted(names) if tag.split("-")[0] in QUESTION},
        end_time=start if isinstance(start, str) else journey.published_at,
        counts=counts, voters=sum(counts.get(c, 0) for c in RSVP_CHOICES), published=journey.published_at,
        to=[AS_PUBLIC], cc=[urls.followers(network)],
    )


async def send_question(tx: Transaction, urls: Urls, question: dict[str, Any], *, group_id: int, network: str,
                        inboxes: list[str], created: bool, now: str) -> str:
    """Create the Question the first time, Update it afterwards (new counts or a new title)."""
    builder = build_create if created else build_update
    activity = builder(iri=urls.new_activity(), actor=urls.actor(network), obj=question, published=now)
    await send(tx, actor_id=group_id, document=activity, inboxes=inboxes)
    return str(activity["id"])
