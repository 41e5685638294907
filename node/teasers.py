"""Teasers: the `summary` a Mastodon reader sees. Mastodon shows an Article or Event as its name,
its summary and a link, so the summary must stand on its own: for a practice, territory and themes
before the author's two sentences; for a journey, "date · time zone · place" first (as Mobilizon
does); for an outcome, the journey's name and its three main achievements."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date, format_time

from protocol.hashtags import hashtag_name
from protocol.places import parse_place


def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def format_when(start_iso: str, timezone: str, lang: str) -> str:
    """`samedi 14 mars 2027, 09:30 (Europe/Paris)` in the reader's language and the event's zone."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    moment = datetime.fromisoformat(start_iso).astimezone(zone)
    locale = _locale(lang)
    day = format_date(moment, format="full", locale=locale)
    return f"{day}, {format_time(moment, format='short', locale=locale)} ({timezone})"


def practice_teaser(summary: str, details: Mapping[str, Any], themes: Sequence[str]) -> str:
    place = parse_place(details.get("location"))
    hashtags = " ".join(f"#{hashtag_name(t)}" for t in themes)  # as Mastodon keeps them whole
    head = " · ".join(filter(None, (place.label() if place else "", hashtags)))
    return f"{head} — {summary}" if head else summary


def journey_teaser(summary: str, details: Mapping[str, Any], lang: str) -> str:
    start, zone = details.get("startTime"), details.get("timezone") or "UTC"
    parts = []
    if isinstance(start, str):
        parts.append(format_when(start, zone, lang))
    words = _WORDS.get(lang.split("-")[0], _WORDS["en"])
    place = parse_place(details.get("location"))
    if place:
        parts.append(place.label())
    elif details.get("isOnline"):
        parts.append(words["online"])
    status = details.get("ical:status")
    if status in ("CANCELLED", "TENTATIVE"):
        parts.insert(0, words[status])
    return f"{' · '.join(parts)} — {summary}" if parts else summary


# The teaser is read as it is on Mastodon: its few words are in the reader's language too.
_WORDS = {
    "fr": {"online": "en ligne", "CANCELLED": "ANNULÉ", "TENTATIVE": "À CONFIRMER"},
    "en": {"online": "online", "CANCELLED": "CANCELLED", "TENTATIVE": "TO BE CONFIRMED"},
    "es": {"online": "en línea", "CANCELLED": "CANCELADO", "TENTATIVE": "POR CONFIRMAR"},
    "pt": {"online": "on-line", "CANCELLED": "CANCELADA", "TENTATIVE": "A CONFIRMAR"},
}


def outcome_teaser(summary: str, details: Mapping[str, Any], lang: str, default_lang: str,
                   journey_name: str | None) -> str:
    achievements = details.get("achievements") or {}
    items: list[str] = []
    if isinstance(achievements, Mapping):
        chosen: Any = achievements.get(lang) or achievements.get(default_lang) or next(iter(achievements.values()), [])
        items = [a for a in chosen if isinstance(a, str)][:3]
    head = " · ".join(filter(None, (journey_name or "", "; ".join(items))))
    return f"{head} — {summary}" if head else summary



def written_summary(kind: str, summary: str, details: Mapping[str, Any], themes: Sequence[str], lang: str,
                    default_lang: str) -> str:
    """A Maillage peer's teaser without the head it put before the author's sentences (place, hashtags,
    date, achievements): what our cards and pages show beside the structured fields, which say the same
    in the reader's language. The head is rebuilt as this module writes it, compared ignoring case (a
    peer's themes arrive CamelCased); a summary that does not start so (another software's) stays whole."""
    if kind == "practice":
        head = practice_teaser("", details, themes)
    elif kind == "journey":
        head = journey_teaser("", details, lang)
    else:  # the journey's name, first, is not known here: the achievements end the head
        head = outcome_teaser("", details, lang, default_lang, None)
    at = summary.lower().find(head.lower()) if head else -1
    if at == 0 or (at > 0 and kind == "outcome" and " — " not in summary[:at]):
        return summary[at + len(head):]
    return summary
