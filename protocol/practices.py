"""Practice write-ups: the structured fields of a case study, carried on an AS2 `Article`.

Terms reuse AS2 (`location` as the territory, `tag`, `attachment`) and schema.org (`contactPoint`,
`license`, `roleName`) first; the rest live in our namespace (see FEDERATION.md, "Vocabulary").
Multilingual text fields are JSON-LD language maps of sanitized HTML.
"""

from dataclasses import dataclass, field
from typing import Any

from .attachments import Attachment, build_attachments, parse_attachments
from .langmap import LangMap, parse_lang_map
from .places import Place, build_place, parse_place

RESOURCE_ORIGINS = ("public", "private", "mixed")
TEXT_SECTIONS = ("needs", "results", "lessons", "transferability")
MAX_ITEMS = 50


@dataclass(frozen=True)
class Stakeholder:
    """An actor involved in the practice, with its role in each language."""

    name: str
    role: LangMap = field(default_factory=dict)
    url: str | None = None


@dataclass(frozen=True)
class Resource:
    """A resource mobilised: monetary or not, public, private or mixed (the seed text's categories)."""

    label: LangMap
    monetary: bool
    origin: str


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class PracticeDetails:
    """Everything a write-up holds beyond title, summary and body."""

    territory: Place | None = None
    stakeholders: tuple[Stakeholder, ...] = ()
    needs: LangMap = field(default_factory=dict)
    resources: tuple[Resource, ...] = ()
    results: LangMap = field(default_factory=dict)
    lessons: LangMap = field(default_factory=dict)
    transferability: LangMap = field(default_factory=dict)
    contact: Contact | None = None
    attachments: tuple[Attachment, ...] = ()
    license: str | None = None


def build_practice_details(details: PracticeDetails, default_lang: str) -> dict[str, Any]:
    """The extra terms of a practice `Article`."""
    doc: dict[str, Any] = {}
    if details.territory:
        doc["location"] = build_place(details.territory)
    if details.stakeholders:
        doc["stakeholders"] = [
            {"type": "Organization", "name": s.name, **({"role": dict(s.role)} if s.role else {}),
             **({"url": s.url} if s.url else {})}
            for s in details.stakeholders
        ]
    if details.resources:
        doc["mobilisedResources"] = [
            {"type": "Resource", "nameMap": dict(r.label), "monetary": r.monetary, "origin": r.origin}
            for r in details.resources
        ]
    for section in TEXT_SECTIONS:
        texts = getattr(details, section)
        if texts:
            doc[section] = dict(texts)
    if details.contact:
        contact = {k: v for k, v in (("name", details.contact.name), ("email", details.contact.email),
                                     ("url", details.contact.url)) if v}
        doc["contactPoint"] = {"type": "ContactPoint", **contact}
    if details.attachments:
        doc["attachment"] = build_attachments(details.attachments, default_lang)
    if details.license:
        doc["license"] = details.license
    return doc


def _http(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def _origin(value: Any) -> str:
    return value if isinstance(value, str) and value in RESOURCE_ORIGINS else "mixed"


def _items(value: Any) -> list[Any]:
    return (value if isinstance(value, list) else [value] if value is not None else [])[:MAX_ITEMS]


def parse_practice_details(doc: dict[str, Any], default_lang: str) -> PracticeDetails:
    """Read the structured fields back from a (compacted) Article; unknown or malformed parts are
    skipped, so a peer running a newer or older Maillage still shows what it can."""
    stakeholders = tuple(
        Stakeholder(name=s["name"][:300], role=parse_lang_map(s.get("role"), fallback_lang=default_lang),
                    url=_http(s.get("url")))
        for s in _items(doc.get("stakeholders")) if isinstance(s, dict) and isinstance(s.get("name"), str)
    )
    resources = tuple(
        Resource(label=parse_lang_map(r.get("nameMap")) or parse_lang_map(r.get("name"), fallback_lang=default_lang),
                 monetary=r.get("monetary") is True, origin=_origin(r.get("origin")))
        for r in _items(doc.get("mobilisedResources")) if isinstance(r, dict)
    )
    raw_contact = doc.get("contactPoint")
    contact = None
    if isinstance(raw_contact, dict):
        email = raw_contact.get("email")
        name = raw_contact.get("name")
        contact = Contact(name=name[:200] if isinstance(name, str) else None,
                          email=email[:200] if isinstance(email, str) and "@" in email else None,
                          url=_http(raw_contact.get("url")))
    license_iri = doc.get("license")
    if isinstance(license_iri, dict):
        license_iri = license_iri.get("id")
    return PracticeDetails(
        territory=parse_place(doc.get("location")),
        stakeholders=stakeholders,
        needs=parse_lang_map(doc.get("needs"), fallback_lang=default_lang),
        resources=tuple(r for r in resources if r.label),
        results=parse_lang_map(doc.get("results"), fallback_lang=default_lang),
        lessons=parse_lang_map(doc.get("lessons"), fallback_lang=default_lang),
        transferability=parse_lang_map(doc.get("transferability"), fallback_lang=default_lang),
        contact=contact,
        attachments=parse_attachments(doc.get("attachment"), default_lang),
        license=_http(license_iri),
    )
