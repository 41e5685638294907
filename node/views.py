"""Formatting for pages, feeds and calendars: an event's dates in its own time zone and the reader's
locale (Babel), time ranges of programme items, map links, licence names. Pure functions."""

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_skeleton, format_time, get_timezone_gmt

from protocol.places import Place

from .i18n import babel_locale

_CC = re.compile(r"^https?://creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d(?:\.\d)?)/?")


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def in_zone(iso: str, zone: str | None) -> datetime:
    """An `xsd:dateTime` as wall time in `zone` (what the people who go there read on their clocks)."""
    return datetime.fromisoformat(iso).astimezone(zone_of(zone))


@dataclass(frozen=True)
class When:
    """When an event happens, ready to print: `date`, `start`[–`end`] (`end_date` if another day)."""

    start_iso: str
    end_iso: str | None
    date: str
    start: str
    end: str | None
    end_date: str | None
    zone: str
    offset: str


def when(start_iso: str, end_iso: str | None, zone: str, lang: str) -> When:
    locale = babel_locale(lang)
    start = in_zone(start_iso, zone)
    end = in_zone(end_iso, zone) if end_iso else None
    return When(
        start_iso=start_iso, end_iso=end_iso,
        date=format_date(start, format="full", locale=locale),
        start=format_time(start, format="short", locale=locale),
        end=format_time(end, format="short", locale=locale) if end else None,
        end_date=format_date(end, format="full", locale=locale) if end and end.date() != start.date() else None,
        zone=zone, offset=get_timezone_gmt(start, locale=locale),
    )


def time_range(start_iso: str | None, end_iso: str | None, zone: str, lang: str, *,
               first_day: str | None = None) -> str:
    """`09:30–11:00` (or `9:30 AM–11:00 AM`) for a programme item, in the journey's zone; items on
    another day than `first_day` (the journey's start) begin with their day: `ven. 21 mai · 09:00–12:00`."""
    locale = babel_locale(lang)
    parts = [format_time(in_zone(v, zone), format="short", locale=locale) for v in (start_iso, end_iso) if v]
    text = "–".join(parts)
    if start_iso and first_day and in_zone(start_iso, zone).date() != in_zone(first_day, zone).date():
        text = f"{format_skeleton('MMMEd', in_zone(start_iso, zone), locale=locale)} · {text}"
    return text


def osm_url(place: Place | None) -> str | None:
    """OpenStreetMap centred on the place, when its coordinates are known."""
    if place is None or place.latitude is None or place.longitude is None:
        return None
    lat, lon = f"{place.latitude:.6f}".rstrip("0").rstrip("."), f"{place.longitude:.6f}".rstrip("0").rstrip(".")
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}"


def license_label(url: str) -> str:
    """`CC BY-SA 4.0` for a Creative Commons URL; other licences show their address."""
    match = _CC.match(url)
    if not match:
        return url
    kind, code, version = match.groups()
    return f"CC0 {version}" if kind == "publicdomain" and code == "zero" else f"CC {code.upper()} {version}"


def address_line(place: Place | None) -> str:
    """`name, street, postcode locality` without repeating the name (calendar LOCATION, page address)."""
    if place is None:
        return ""
    address = place.address.one_line() if place.address else ""
    return f"{place.name}, {address}" if address and address != place.name else place.name


def format_day(iso: str | None, lang: str) -> str:
    """`14 mars 2027` for a publication or comment date; what cannot be parsed is shown as given."""
    if not iso:
        return ""
    try:
        return format_date(datetime.fromisoformat(iso), format="medium", locale=babel_locale(lang))
    except (TypeError, ValueError):
        return iso[:10]
