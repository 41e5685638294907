"""The node's own time zone: what a new journey's form proposes. Set by `timezone` in maillage.toml (or
`maillage init --timezone`); without it, the zone of `default_lang`'s region (`fr` -> France ->
Europe/Paris, `pt-BR` -> Brazil -> America/Sao_Paulo), from Babel's CLDR data."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import Locale, UnknownLocaleError, get_global

# Regions of several zones: the one most people live in (CLDR lists them without saying which).
MAIN_ZONES = {"AR": "America/Argentina/Buenos_Aires", "AU": "Australia/Sydney", "BR": "America/Sao_Paulo",
              "CA": "America/Toronto", "CD": "Africa/Kinshasa", "CL": "America/Santiago", "DE": "Europe/Berlin",
              "EC": "America/Guayaquil", "ES": "Europe/Madrid", "ID": "Asia/Jakarta", "KZ": "Asia/Almaty",
              "MX": "America/Mexico_City", "PT": "Europe/Lisbon", "RU": "Europe/Moscow", "US": "America/New_York"}
FALLBACK = "UTC"


def check_zone(name: str) -> str:
    """`name` if it is an IANA time zone; ValueError otherwise."""
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not an IANA time zone (like Europe/Paris): {name!r}") from None
    return name


def default_zone(lang: str) -> str:
    """The time zone of `lang`'s region (its likely region when the tag names none), else UTC."""
    try:
        locale = Locale.parse(lang.replace("-", "_"))
        region = locale.territory or Locale.parse(get_global("likely_subtags").get(locale.language, "")).territory
    except (UnknownLocaleError, ValueError, TypeError):
        return FALLBACK
    zones = get_global("territory_zones").get(region or "", [])
    if len(zones) == 1:
        return str(zones[0])
    return MAIN_ZONES.get(region or "", FALLBACK)
