"""RSVP polls: a journey's `Question` that Mastodon users answer, and reading their votes.

Mastodon shows a `Question` with `oneOf` options natively; a vote is a `Create` of a `Note` whose
`name` is the option's name and whose `inReplyTo` is the question (Mastodon's
app/lib/activitypub/activity/create.rb, `poll_vote?`). An option's `name` is in the journey's own
language, since it is what the vote sends back; its `nameMap` has every language we have labels for, and
the question's `contentMap` every language of the journey; votes in any of our languages are understood.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

RSVP_CHOICES = ("going", "maybe", "not_going")
RSVP_LABELS: dict[str, dict[str, str]] = {
    "fr": {"going": "Je viens", "maybe": "Peut-être", "not_going": "Je ne viens pas"},
    "en": {"going": "Going", "maybe": "Maybe", "not_going": "Not going"},
    "es": {"going": "Voy", "maybe": "Quizás", "not_going": "No voy"},
    "pt": {"going": "Vou", "maybe": "Talvez", "not_going": "Não vou"},
}
_LABEL_TO_CHOICE = {label.casefold(): choice for labels in RSVP_LABELS.values() for choice, label in labels.items()}


def rsvp_labels(lang: str) -> dict[str, str]:
    return RSVP_LABELS.get(lang.split("-")[0], RSVP_LABELS["en"])


def build_rsvp_question(
    *, iri: str, attributed_to: str, journey_iri: str, journey_url: str, question: str, lang: str,
    end_time: str, counts: Mapping[str, int], voters: int, published: str, to: list[str], cc: list[str],
    closed: bool = False, translations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Question (Mastodon poll) attached to a journey; `endTime` is the journey's start, after which
    Mastodon shows the poll as closed. `question` is plain text in `lang` (it holds the journey's title);
    `translations` the same question in the journey's other languages. Each language map starts with
    `lang`: Mastodon reads the first key as the post's language."""
    labels = rsvp_labels(lang)
    texts = {lang: question, **{k: v for k, v in (translations or {}).items() if k != lang}}
    # The option labels in the journey's languages first, then in every other language we have them in.
    label_langs = [k for k in dict.fromkeys([*texts, *RSVP_LABELS]) if k.split("-")[0] in RSVP_LABELS]

    def content(text: str) -> str:
        return f'<p>{escape(text)}</p><p><a href="{escape(journey_url)}">{escape(journey_url)}</a></p>'

    doc: dict[str, Any] = {
        "id": iri,
        "type": "Question",
        "attributedTo": attributed_to,
        "content": content(question),
        "contentMap": {k: content(v) for k, v in texts.items()},
        "context": journey_iri,
        "url": journey_url,
        "published": published,
        "endTime": end_time,
        "votersCount": voters,
        "oneOf": [
            {"type": "Note", "name": labels[choice], "nameMap": {k: rsvp_labels(k)[choice] for k in label_langs},
             "replies": {"type": "Collection", "totalItems": counts.get(choice, 0)}}
            for choice in RSVP_CHOICES
        ],
        "to": to,
        "cc": cc,
    }
    if closed:
        doc["closed"] = end_time
    return doc


@dataclass(frozen=True)
class Vote:
    question_iri: str
    choice: str


def parse_vote(obj: Any) -> Vote | None:
    """A vote if `obj` is a Note with a `name`, an `inReplyTo` and no content (Mastodon's shape);
    the option name may be in any of our languages."""
    if not isinstance(obj, dict) or obj.get("type") != "Note":
        return None
    name, target = obj.get("name"), obj.get("inReplyTo")
    if isinstance(target, dict):
        target = target.get("id")
    if not isinstance(name, str) or not isinstance(target, str) or obj.get("content"):
        return None
    choice = _LABEL_TO_CHOICE.get(name.strip().casefold())
    return Vote(question_iri=target, choice=choice) if choice else None
