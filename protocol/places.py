"""Places: AS2 `Place` with a schema.org `PostalAddress`, as Mobilizon sends and reads them."""

from dataclasses import dataclass
from typing import Any

ADDRESS_FIELDS = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")


@dataclass(frozen=True)
class Address:
    """schema.org PostalAddress; every part optional."""

    street: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    region: str | None = None
    country: str | None = None

    def parts(self) -> tuple[str | None, ...]:
        return (self.street, self.postal_code, self.locality, self.region, self.country)

    def one_line(self) -> str:
        return ", ".join(p for p in (self.street, " ".join(filter(None, (self.postal_code, self.locality))),
                                      self.region, self.country) if p)


@dataclass(frozen=True)
class Place:
    """A territory or venue (AS2 vocabulary `Place`, with `latitude`/`longitude` in decimal degrees)."""

    name: str
    address: Address | None = None
    latitude: float | None = None
    longitude: float | None = None
    iri: str | None = None

    def label(self) -> str:
        """`name, locality` for teasers; Mastodon readers see this in the summary."""
        locality = self.address.locality if self.address else None
        return f"{self.name}, {locality}" if locality and locality not in self.name else self.name


def build_place(place: Place) -> dict[str, Any]:
    """AS2 Place; Mobilizon reads `address` as a PostalAddress and `latitude`/`longitude` as numbers."""
    doc: dict[str, Any] = {"type": "Place", "name": place.name}
    if place.iri:
        doc["id"] = place.iri
    if place.address and any(place.address.parts()):
        address: dict[str, Any] = {"type": "PostalAddress"}
        for key, value in zip(ADDRESS_FIELDS, place.address.parts(), strict=True):
            if value:
                address[key] = value
        doc["address"] = address
    if place.latitude is not None and place.longitude is not None:
        doc["latitude"] = place.latitude
        doc["longitude"] = place.longitude
    return doc


def _text(value: Any, limit: int = 300) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None


def _coordinate(value: Any, bound: float) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON integer beyond float range
        return None
    return number if -bound <= number <= bound else None


def parse_place(value: Any) -> Place | None:
    """Read a Place (or a bare name); an address given as a string (Pleroma, Gancio) goes to `street`."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return Place(name=value[:300]) if value.strip() and not value.startswith("http") else None
    if not isinstance(value, dict):
        return None
    raw_address = value.get("address")
    address = None
    if isinstance(raw_address, dict):
        parts = [_text(raw_address.get(k)) for k in ADDRESS_FIELDS]
        address = Address(*parts) if any(parts) else None
    elif isinstance(raw_address, str) and raw_address.strip():
        address = Address(street=raw_address.strip()[:300])
    name = _text(value.get("name")) or (address.one_line() if address else None)
    if not name:
        return None
    lat = _coordinate(value.get("latitude"), 90)
    lon = _coordinate(value.get("longitude"), 180)
    iri = value.get("id")
    return Place(
        name=name, address=address,
        latitude=lat if lon is not None else None, longitude=lon if lat is not None else None,
        iri=iri if isinstance(iri, str) and iri.startswith(("http://", "https://")) else None,
    )
