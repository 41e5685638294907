"""Meeting outcomes: the report after a learning journey or a stock-taking meeting (an `Article`
whose `context` and `inReplyTo` are its journey). Following the Pactes Locaux method, the observers'
feedback to the hosts describes without evaluating; then the structured outcomes."""

from dataclasses import dataclass, field
from typing import Any

from .attachments import Attachment, build_attachments, parse_attachments
from .langmap import LangMap, parse_lang_list_map, parse_lang_map

LIST_SECTIONS = ("achievements", "newInitiatives", "issues", "goals", "nextSteps")
MAX_PARTICIPANTS = 500


@dataclass(frozen=True)
class Participant:
    """A network, initiative or person that took part."""

    name: str
    url: str | None = None
    kind: str = "Organization"


@dataclass(frozen=True)
class OutcomeDetails:
    """Lists are language maps of lists: {"fr": ["...", "..."], "en": [...]}."""

    journey_iri: str | None = None
    achievements: dict[str, list[str]] = field(default_factory=dict)
    new_initiatives: dict[str, list[str]] = field(default_factory=dict)
    issues: dict[str, list[str]] = field(default_factory=dict)
    goals: dict[str, list[str]] = field(default_factory=dict)
    next_steps: dict[str, list[str]] = field(default_factory=dict)
    feedback: LangMap = field(default_factory=dict)
    participants: tuple[Participant, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    def section(self, name: str) -> dict[str, list[str]]:
        """A list section by its AS2 term (`newInitiatives` -> new_initiatives)."""
        return dict(getattr(self, _ATTRIBUTES[name]))


_ATTRIBUTES = {"achievements": "achievements", "newInitiatives": "new_initiatives", "issues": "issues",
               "goals": "goals", "nextSteps": "next_steps"}


def build_outcome_details(details: OutcomeDetails, default_lang: str) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if details.journey_iri:
        doc["context"] = details.journey_iri
        doc["inReplyTo"] = details.journey_iri
    for term in LIST_SECTIONS:
        values = details.section(term)
        if values:
            doc[term] = values
    if details.feedback:
        doc["feedback"] = dict(details.feedback)
    if details.participants:
        doc["participants"] = [
            {"type": p.kind, "name": p.name, **({"url": p.url} if p.url else {})} for p in details.participants
        ]
        doc["participantCount"] = len(details.participants)
    if details.attachments:
        doc["attachment"] = build_attachments(details.attachments, default_lang)
    return doc


def parse_outcome_details(doc: dict[str, Any], default_lang: str) -> OutcomeDetails:
    journey = doc.get("context") or doc.get("inReplyTo")
    if isinstance(journey, dict):
        journey = journey.get("id")
    raw = doc.get("participants")
    participants = []
    for item in (raw if isinstance(raw, list) else [raw] if raw else [])[:MAX_PARTICIPANTS]:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            url = item.get("url")
            participants.append(Participant(
                name=item["name"][:300],
                url=url if isinstance(url, str) and url.startswith(("http://", "https://")) else None,
                kind="Person" if item.get("type") == "Person" else "Organization",
            ))
    lists = {term: parse_lang_list_map(doc.get(term), fallback_lang=default_lang) for term in LIST_SECTIONS}
    return OutcomeDetails(
        journey_iri=journey if isinstance(journey, str) and journey.startswith(("http://", "https://")) else None,
        achievements=lists["achievements"],
        new_initiatives=lists["newInitiatives"],
        issues=lists["issues"],
        goals=lists["goals"],
        next_steps=lists["nextSteps"],
        feedback=parse_lang_map(doc.get("feedback"), fallback_lang=default_lang),
        participants=tuple(participants),
        attachments=parse_attachments(doc.get("attachment"), default_lang),
    )
