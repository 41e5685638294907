"""iCalendar (RFC 5545) for learning journeys, so people can put them in the calendar they already use.
Times are written as wall time in the journey's own IANA zone (`DTSTART;TZID=Europe/Paris`) with its
VTIMEZONE included: a journey at 09:30 in Paris stays at 09:30 in Paris whatever the reader's zone."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from protocol.journeys import JourneyDetails
from protocol.langmap import pick
from protocol.objects import Publication

from .i18n import translator
from .views import address_line, in_zone, time_range

PRODID = "-//Maillage//Learning journeys//EN"


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)


def _description(pub: Publication, details: JourneyDetails, lang: str) -> str:
    """The teaser, the programme (times in the journey's zone), the online link and the page's URL."""
    _ = translator(lang)
    text = pub.translation(lang)
    lines = [text.summary]
    if details.programme:
        lines += ["", _("Programme")]
        for item in details.programme:
            times = time_range(item.start_time, item.end_time, details.timezone, text.lang,
                               first_day=details.start_time)
            line = " ".join(p for p in (times, pick(item.title, text.lang, pub.default_lang)) if p)
            if item.host:
                line += f" — {item.host}"
            if item.place:
                line += f" ({item.place.label()})"
            lines.append(line)
    if details.online_url:
        lines += ["", f"{_('Online:')} {details.online_url}"]
    lines += ["", pub.url]
    return "\n".join(lines)


def journey_event(pub: Publication, details: JourneyDetails, lang: str) -> Event:
    """One VEVENT; its UID is the journey's IRI, so a re-import updates rather than duplicates."""
    text = pub.translation(lang)
    event = Event()
    event.add("uid", pub.iri)
    changed = pub.updated or pub.published  # a peer's journey may say neither
    event.add("dtstamp", _utc(changed) if changed else datetime.now(UTC))
    if pub.published:
        event.add("created", _utc(pub.published))
    if changed:
        event.add("last-modified", _utc(changed))
    event.add("dtstart", in_zone(details.start_time, details.timezone))
    if details.end_time:
        event.add("dtend", in_zone(details.end_time, details.timezone))
    event.add("summary", text.title, parameters={"LANGUAGE": text.lang})
    event.add("description", _description(pub, details, lang), parameters={"LANGUAGE": text.lang})
    if details.location:
        event.add("location", address_line(details.location))
        if details.location.latitude is not None and details.location.longitude is not None:
            event.add("geo", (details.location.latitude, details.location.longitude))
    elif details.online_url:
        event.add("location", details.online_url)
    event.add("url", pub.url)
    event.add("status", details.status)
    if pub.tags:
        event.add("categories", [t.name for t in pub.tags])
    return event


def build_calendar(journeys: Sequence[tuple[Publication, JourneyDetails]], *, name: str, lang: str) -> bytes:
    """A VCALENDAR of journeys, with the VTIMEZONE of every zone they use (covering their dates only)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    for pub, details in journeys:
        calendar.add_component(journey_event(pub, details, lang))
    if journeys:
        moments = [in_zone(v, "UTC") for _, d in journeys for v in (d.start_time, d.end_time) if v]
        calendar.add_missing_timezones(first_date=(min(moments) - timedelta(days=2)).date(),
                                       last_date=(max(moments) + timedelta(days=400)).date())
    return bytes(calendar.to_ical())
