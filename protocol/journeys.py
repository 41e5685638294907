"""Learning journeys: AS2 `Event` shaped so Mobilizon reads them and we read Mobilizon's.

Field names follow Mobilizon's event converter (lib/federation/activity_stream/converter/event.ex) and
FEP-8a8e: `startTime`/`endTime` with an offset, IANA `timezone`, `location` as a Place with a
PostalAddress, the online address as an attachment `Link` named "Website" with mediaType text/html,
`joinMode`, `maximumAttendeeCapacity`, `remainingAttendeeCapacity`, `participantCount`, and the status
in both `ical:status` and `status` (upper case), as Mobilizon sends it.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .attachments import Attachment, build_attachments, parse_attachments
from .langmap import LangMap, parse_lang_map
from .places import Place, build_place, parse_place

JOIN_MODES = ("free", "restricted", "external")
STATUSES = ("TENTATIVE", "CONFIRMED", "CANCELLED")
ONLINE_LINK_NAME = "Website"  # Mobilizon's name for the online address attachment
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})", re.ASCII)
# Every name of the IANA database (`EST5EDT`, `GMT-0` and `W-SU` included), nothing with a newline or a dot.
TIMEZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}", re.ASCII)
MAX_PROGRAMME = 100


@dataclass(frozen=True)
class ProgrammeItem:
    """One visit or talk of a journey: a schema.org `subEvent`."""

    title: LangMap
    start_time: str | None = None
    end_time: str | None = None
    host: str | None = None
    place: Place | None = None


@dataclass(frozen=True)
class JourneyDetails:
    """The event fields of a learning journey. `capacity` None means unlimited."""

    start_time: str
    timezone: str
    end_time: str | None = None
    location: Place | None = None
    online_url: str | None = None
    programme: tuple[ProgrammeItem, ...] = ()
    capacity: int | None = None
    participant_count: int = 0
    join_mode: str = "free"
    external_url: str | None = None
    status: str = "CONFIRMED"
    rsvp_iri: str | None = None
    programme_iri: str | None = None
    comments_enabled: bool = True
    attachments: tuple[Attachment, ...] = ()

    @property
    def remaining_capacity(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.participant_count)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.participant_count >= self.capacity


def is_datetime(value: Any) -> bool:
    """An `xsd:dateTime` with an explicit offset, as AS2 and Mobilizon require for `startTime`, and a real
    date and time (no month 13, no hour 25): pages, feeds and calendars parse it again."""
    if not isinstance(value, str) or not DATETIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def build_journey_details(details: JourneyDetails, default_lang: str) -> dict[str, Any]:
    """The extra terms of a journey `Event`."""
    doc: dict[str, Any] = {
        "startTime": details.start_time,
        "timezone": details.timezone,
        "joinMode": details.join_mode,
        "participantCount": details.participant_count,
        "ical:status": details.status,
        "status": details.status,
        "isOnline": details.online_url is not None and details.location is None,
        "commentsEnabled": details.comments_enabled,
        "repliesModerationOption": "allow_all" if details.comments_enabled else "closed",
        "anonymousParticipationEnabled": False,
        "draft": False,
        "category": "MEETING",
        "inLanguage": default_lang,
    }
    if details.end_time:
        doc["endTime"] = details.end_time
    if details.location:
        doc["location"] = build_place(details.location)
    if details.capacity is not None:
        doc["maximumAttendeeCapacity"] = details.capacity
        doc["remainingAttendeeCapacity"] = details.remaining_capacity
    if details.join_mode == "external" and details.external_url:
        doc["externalParticipationUrl"] = details.external_url
    if details.programme:
        doc["subEvent"] = [_build_item(item, default_lang) for item in details.programme]
    if details.rsvp_iri:
        doc["rsvp"] = details.rsvp_iri
    if details.programme_iri:
        doc["context"] = details.programme_iri
    attachments = build_attachments(details.attachments, default_lang)
    if details.online_url:
        attachments.append({"type": "Link", "name": ONLINE_LINK_NAME, "mediaType": "text/html",
                            "href": details.online_url})
    if attachments:
        doc["attachment"] = attachments
    return doc


def _build_item(item: ProgrammeItem, default_lang: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "Event", "name": item.title.get(default_lang) or next(iter(item.title.values()), ""),
                           "nameMap": dict(item.title)}
    if item.start_time:
        doc["startTime"] = item.start_time
    if item.end_time:
        doc["endTime"] = item.end_time
    if item.host:
        doc["organizer"] = {"type": "Organization", "name": item.host}
    if item.place:
        doc["location"] = build_place(item.place)
    return doc


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = int(value)
    except (ValueError, OverflowError):  # "12.5", NaN, infinity
        return None
    return number if 0 <= number <= 10_000_000 else None


def _online_url(attachments: Any) -> str | None:
    for item in attachments if isinstance(attachments, list) else [attachments]:
        if isinstance(item, dict) and item.get("type") == "Link" and item.get("name") == ONLINE_LINK_NAME:
            href = item.get("href")
            if isinstance(href, str) and href.startswith(("http://", "https://")):
                return href
    return None


def _parse_item(value: Any, default_lang: str) -> ProgrammeItem | None:
    if not isinstance(value, dict):
        return None
    title = parse_lang_map(value.get("nameMap")) or parse_lang_map(value.get("name"), fallback_lang=default_lang)
    if not title:
        return None
    organizer = value.get("organizer")
    host = organizer.get("name") if isinstance(organizer, dict) else organizer
    return ProgrammeItem(
        title=title,
        start_time=value["startTime"] if is_datetime(value.get("startTime")) else None,
        end_time=value["endTime"] if is_datetime(value.get("endTime")) else None,
        host=host[:300] if isinstance(host, str) else None,
        place=parse_place(value.get("location")),
    )


def parse_journey_details(doc: dict[str, Any], default_lang: str) -> JourneyDetails | None:
    """Read an Event (ours or Mobilizon's); None when it has no usable `startTime`.

    Mobilizon's context maps `location` to schema.org, so after compaction it may arrive as
    `schema:location`; both are read. Status comes from `ical:status`, else `status`.
    """
    start = doc.get("startTime")
    if not isinstance(start, str) or not is_datetime(start):
        return None
    timezone = doc.get("timezone")
    status = doc.get("ical:status") or doc.get("status") or "CONFIRMED"
    status = status.upper() if isinstance(status, str) else "CONFIRMED"
    join_mode = doc.get("joinMode")
    capacity = _int(doc.get("maximumAttendeeCapacity"))
    items = doc.get("subEvent")
    programme = tuple(
        item for item in (_parse_item(v, default_lang) for v in (items if isinstance(items, list) else [items])[
            :MAX_PROGRAMME]) if item is not None
    )
    rsvp = doc.get("rsvp")
    context = doc.get("context")
    external = doc.get("externalParticipationUrl")
    return JourneyDetails(
        start_time=start,
        end_time=doc["endTime"] if is_datetime(doc.get("endTime")) else None,
        timezone=timezone if isinstance(timezone, str) and TIMEZONE.fullmatch(timezone) else "UTC",
        location=parse_place(doc.get("location") or doc.get("schema:location")),
        online_url=_online_url(doc.get("attachment")),
        programme=programme,
        capacity=capacity if capacity else None,  # Mobilizon sends 0 for "no limit"
        participant_count=_int(doc.get("participantCount")) or 0,
        join_mode=join_mode if join_mode in JOIN_MODES else "free",
        external_url=external if isinstance(external, str) and external.startswith(("http://", "https://")) else None,
        status=status if status in STATUSES else "CONFIRMED",
        rsvp_iri=rsvp if isinstance(rsvp, str) and rsvp.startswith(("http://", "https://")) else None,
        programme_iri=context if isinstance(context, str) and context.startswith(("http://", "https://")) else None,
        comments_enabled=doc.get("commentsEnabled") is not False,
        attachments=parse_attachments(doc.get("attachment"), default_lang),
    )

