"""Reading what an organizer submits (Markdown with YAML front matter, or a web form turned into the
same mapping) into a `Draft`: one language of one object, its structured fields already in their AS2
form so that storage, documents and pages share a single shape.

Every refusal names the front matter key and the problem; nothing is stored until the whole draft
is valid. A refusal is a message id with its values (node/formerrors.py): the CLI prints it in English,
the desk in its reader's language, naming each key by its form field's label.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import frontmatter
import yaml

from protocol.attachments import Attachment
from protocol.journeys import JOIN_MODES, STATUSES, JourneyDetails, ProgrammeItem, build_journey_details
from protocol.langmap import canonical_lang_tag, is_lang_tag
from protocol.outcomes import OutcomeDetails, Participant, build_outcome_details
from protocol.places import Address, Place
from protocol.practices import RESOURCE_ORIGINS, Contact, PracticeDetails, Resource, Stakeholder, build_practice_details

from .formerrors import Key, Message, Plural, Term, Typed, _, ngettext
from .render import markdown_to_html
from .urls import KIND_PATHS

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
TAG = re.compile(r"^[\w-]{1,64}$")
MAX_TITLE, MAX_SUMMARY, MAX_BODY, MAX_TEXT, MAX_ITEMS = 300, 2000, 200_000, 20_000, 50
OUTCOME_LISTS = ("achievements", "new_initiatives", "issues", "goals", "next_steps")
COMMON_KEYS = {"type", "slug", "lang", "title", "summary", "themes", "attachments"}
KEYS = {
    "practice": COMMON_KEYS | {"territory", "stakeholders", "needs", "resources", "results", "lessons",
                               "transferability", "contact", "license"},
    "journey": COMMON_KEYS | {"start", "end", "timezone", "location", "online", "programme", "capacity",
                              "join_mode", "external_url", "status", "cycle", "comments"},
    "outcome": COMMON_KEYS | {"journey", "achievements", "new_initiatives", "issues", "goals", "next_steps",
                              "feedback", "participants"},
}


class DraftError(Exception):
    """The submission is invalid; the message names the key and the problem. `str()` is the English the
    CLI prints; `message.text(lang, ...)` the same message in a page's language (node/formerrors.py);
    `about` the front matter key it is about ("" when none), for a form to show it beside that field."""

    def __init__(self, message: str | Plural, /, *, about: str | None = None, **values: object) -> None:
        self.message = Message(message, **values)
        keys = self.message.keys()
        self.about = about if about is not None else (keys[0].path if keys else "")
        super().__init__(str(self.message))


@dataclass(frozen=True)
class Draft:
    """One language of one object. `details` holds the type's structured terms in AS2 form
    (language maps keyed by this draft's `lang`); `journey` is an outcome's journey slug or IRI."""

    kind: str
    slug: str
    lang: str
    title: str
    summary: str
    body_md: str
    themes: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    journey: str | None = None
    cycle: str | None = None
    sources: dict[str, str] = field(default_factory=dict)  # the Markdown of the RICH_KEYS written here


def _text(meta: Mapping[str, Any], key: str, limit: int, *, required: bool = False, where: str = "") -> str:
    """`meta[key]` as text; `where` is the path of `meta` in the front matter (`stakeholders[0].`)."""
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DraftError(_("%(key)s is required"), key=Key(f"{where}{key}"))
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DraftError(_("%(key)s must be text"), key=Key(f"{where}{key}"))
    text = str(value).strip()
    if len(text) > limit:
        raise DraftError(ngettext("%(key)s is longer than %(num)s character",
                                  "%(key)s is longer than %(num)s characters", limit), key=Key(f"{where}{key}"))
    return text


def _url(value: Any, key: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise DraftError(_("%(key)s must be an http(s) URL"), key=Key(key))
    return value.strip()


def _list(meta: Mapping[str, Any], key: str) -> list[Any]:
    value = meta.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise DraftError(_("%(key)s must be a list"), key=Key(key))
    if len(value) > MAX_ITEMS:
        raise DraftError(ngettext("%(key)s has more than %(num)s entry", "%(key)s has more than %(num)s entries",
                                  MAX_ITEMS), key=Key(key))
    return value


def _localized(value: Any, key: str, lang: str, limit: int = 1000) -> dict[str, str]:
    """A short text in the draft's language, or a mapping of several languages ({fr: ..., en: ...})."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        out = {}
        for tag, text in value.items():
            if not isinstance(tag, str) or not is_lang_tag(tag) or not isinstance(text, str):
                raise DraftError(_("%(key)s must map language tags to text"), key=Key(key))
            if text.strip():  # an empty text is no text: `alt: ""` must not pass for an alt text
                out[canonical_lang_tag(tag)] = text.strip()[:limit]
        return out
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()[:limit]
        return {lang: text} if text else {}
    raise DraftError(_("%(key)s must be text"), key=Key(key))


# Fields written in Markdown and published as HTML (language maps), besides the body: their Markdown is
# kept too (Draft.sources, translations.sources), for the edit form to show what was written.
RICH_KEYS = {"practice": ("needs", "results", "lessons", "transferability"), "journey": (), "outcome": ("feedback",)}


def _markdown(meta: Mapping[str, Any], key: str, lang: str) -> dict[str, str]:
    text = _text(meta, key, MAX_TEXT)
    return {lang: markdown_to_html(text)} if text else {}


def _place(value: Any, key: str) -> Place | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Place(name=value.strip()[:300]) if value.strip() else None
    if not isinstance(value, Mapping):
        raise DraftError(_("%(key)s must be a place name or a mapping with name, street, locality..."), key=Key(key))
    name = _text(value, "name", 300, where=f"{key}.") or _text(value, "locality", 200, where=f"{key}.")
    if not name:
        raise DraftError(_("%(key)s is required"), key=Key(f"{key}.name"))
    lat, lon = value.get("latitude"), value.get("longitude")
    if (lat is None) != (lon is None):  # `about`: the form field to show it beside
        raise DraftError(_("%(key)s needs both latitude and longitude, or neither"), key=Key(key),
                         about=f"{key}.{'longitude' if lon is None else 'latitude'}")
    if lat is not None:
        for part, number, bound in (("latitude", lat, 90), ("longitude", lon, 180)):
            if isinstance(number, bool) or not isinstance(number, int | float) or not -bound <= number <= bound:
                raise DraftError(_("%(key)s latitude must be within ±90 and longitude within ±180"), key=Key(key),
                                 about=f"{key}.{part}")
    parts = [_text(value, k, 200, where=f"{key}.") or None
             for k in ("street", "postal_code", "locality", "region", "country")]
    return Place(name=name, address=Address(*parts) if any(parts) else None,
                 latitude=float(lat) if lat is not None else None, longitude=float(lon) if lon is not None else None)


def _attachments(meta: Mapping[str, Any], lang: str) -> tuple[Attachment, ...]:
    out = []
    for i, item in enumerate(_list(meta, "attachments")):
        if not isinstance(item, Mapping):
            raise DraftError(_("%(key)s must be a mapping with url, alt and media_type"), key=Key(f"attachments[{i}]"))
        url = _url(item.get("url"), f"attachments[{i}].url")
        if url is None:
            raise DraftError(_("%(key)s is required"), key=Key(f"attachments[{i}].url"))
        media = _text(item, "media_type", 100, where=f"attachments[{i}].") or _guess_media_type(url)
        alt = _localized(item.get("alt"), f"attachments[{i}].alt", lang, 1500)
        if media.startswith("image/") and not alt:
            raise DraftError(_("%(key)s is required for an image (people using screen readers need it)"),
                             key=Key(f"attachments[{i}].alt"))
        out.append(Attachment(url=url, media_type=media, alt=alt))
    return tuple(out)


def _guess_media_type(url: str) -> str:
    suffix = url.rsplit(".", 1)[-1].lower() if "." in url.rsplit("/", 1)[-1] else ""
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif",
            "svg": "image/svg+xml", "pdf": "application/pdf", "odt": "application/vnd.oasis.opendocument.text",
            }.get(suffix, "application/octet-stream")


def _practice(meta: Mapping[str, Any], lang: str, attachments: tuple[Attachment, ...]) -> dict[str, Any]:
    stakeholders = []
    for i, item in enumerate(_list(meta, "stakeholders")):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping):
            raise DraftError(_("%(key)s must be a name or a mapping with name, role, url"),
                             key=Key(f"stakeholders[{i}]"))
        stakeholders.append(Stakeholder(
            name=_text(item, "name", 300, required=True, where=f"stakeholders[{i}]."),
            role=_localized(item.get("role"), f"stakeholders[{i}].role", lang),
            url=_url(item.get("url"), f"stakeholders[{i}].url")))
    resources = []
    for i, item in enumerate(_list(meta, "resources")):
        if not isinstance(item, Mapping):
            raise DraftError(_("%(key)s must be a mapping with label, monetary, origin"), key=Key(f"resources[{i}]"))
        origin = item.get("origin", "mixed")
        if origin not in RESOURCE_ORIGINS:
            raise DraftError(_("%(key)s must be one of %(choices)s"), key=Key(f"resources[{i}].origin"),
                             choices=", ".join(RESOURCE_ORIGINS))
        if not isinstance(item.get("monetary", False), bool):
            raise DraftError(_("%(key)s must be true or false"), key=Key(f"resources[{i}].monetary"))
        label = _localized(item.get("label"), f"resources[{i}].label", lang)
        if not label:
            raise DraftError(_("%(key)s is required"), key=Key(f"resources[{i}].label"))
        resources.append(Resource(label=label, monetary=bool(item.get("monetary", False)), origin=origin))
    raw_contact = meta.get("contact")
    contact = None
    if raw_contact is not None:
        if not isinstance(raw_contact, Mapping):
            raise DraftError(_("%(key)s must be a mapping with name, email, url"), key=Key("contact"))
        email = _text(raw_contact, "email", 200, where="contact.") or None
        if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            raise DraftError(_("%(key)s is not an e-mail address"), key=Key("contact.email"))
        contact = Contact(name=_text(raw_contact, "name", 200, where="contact.") or None, email=email,
                          url=_url(raw_contact.get("url"), "contact.url"))
    details = PracticeDetails(
        territory=_place(meta.get("territory"), "territory"), stakeholders=tuple(stakeholders),
        needs=_markdown(meta, "needs", lang), resources=tuple(resources), results=_markdown(meta, "results", lang),
        lessons=_markdown(meta, "lessons", lang), transferability=_markdown(meta, "transferability", lang),
        contact=contact, attachments=attachments, license=_url(meta.get("license"), "license"),
    )
    return build_practice_details(details, lang)


def _zone(meta: Mapping[str, Any]) -> tuple[str, ZoneInfo]:
    name = _text(meta, "timezone", 64, required=True)
    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DraftError(_("%(key)s is not an IANA time zone (like Europe/Paris): %(value)s"), key=Key("timezone"),
                         value=Typed(name)) from None


def _moment(value: Any, key: str, zone: ZoneInfo, day: date | None = None) -> datetime:
    """A local date-time (`2027-03-14 09:30`, or `09:30` on the journey's day) in the journey's zone."""
    if isinstance(value, int) and not isinstance(value, bool) and day is not None and 0 <= value < 24 * 60:
        # YAML 1.1 (PyYAML) reads an unquoted 17:00 as the base-60 integer 1020.
        value = f"{value // 60}:{value % 60:02d}"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and day is not None and re.match(r"^\d{1,2}:\d{2}$", value.strip()):
        hours, minutes = (int(p) for p in value.strip().split(":"))
        if hours > 23 or minutes > 59:
            raise DraftError(_("%(key)s is not a valid time: %(value)s"), key=Key(key), value=Typed(value))
        moment = datetime.combine(day, time(hours, minutes))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise DraftError(_("%(key)s must be a date and time like 2027-03-14 09:30: %(value)s"), key=Key(key),
                             value=Typed(value)) from None
    else:
        raise DraftError(_("%(key)s must be a date and time like 2027-03-14 09:30"), key=Key(key))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _journey(meta: Mapping[str, Any], lang: str, attachments: tuple[Attachment, ...]) -> dict[str, Any]:
    zone_name, zone = _zone(meta)
    if meta.get("start") is None:
        raise DraftError(_("%(key)s is required"), key=Key("start"))
    start = _moment(meta.get("start"), "start", zone)
    end = _moment(meta["end"], "end", zone, start.date()) if meta.get("end") is not None else None
    if end is not None and end <= start:
        raise DraftError(_("%(key)s must be after %(other)s"), key=Key("end"), other=Key("start"))
    location = _place(meta.get("location"), "location")
    online = _url(meta.get("online"), "online")
    if location is None and online is None:
        raise DraftError(_("a journey needs a %(location)s or an %(online)s"), location=Key("location"),
                         online=Term("'online' link", _("Online link")))
    items = []
    for i, raw in enumerate(_list(meta, "programme")):
        if not isinstance(raw, Mapping):
            raise DraftError(_("%(key)s must be a mapping with time, title, host"), key=Key(f"programme[{i}]"))
        title = _localized(raw.get("title"), f"programme[{i}].title", lang, 300)
        if not title:
            raise DraftError(_("%(key)s is required"), key=Key(f"programme[{i}].title"))
        begins = _moment(raw["time"], f"programme[{i}].time", zone, start.date()) if raw.get("time") else None
        ends = _moment(raw["end"], f"programme[{i}].end", zone, start.date()) if raw.get("end") else None
        if begins is not None and ends is not None and ends <= begins:
            raise DraftError(_("%(key)s must be after %(other)s"), key=Key(f"programme[{i}].end"),
                             other=Key(f"programme[{i}].time"))
        items.append(ProgrammeItem(title=title, start_time=_iso(begins) if begins else None,
                                   end_time=_iso(ends) if ends else None,
                                   host=_text(raw, "host", 300, where=f"programme[{i}].") or None,
                                   place=_place(raw.get("place"), f"programme[{i}].place")))
    capacity = meta.get("capacity")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1):
        raise DraftError(_("%(key)s must be a positive whole number (leave it out for no limit)"), key=Key("capacity"))
    join_mode = _text(meta, "join_mode", 20) or "free"
    if join_mode not in JOIN_MODES:
        raise DraftError(_("%(key)s must be one of %(choices)s"), key=Key("join_mode"), choices=", ".join(JOIN_MODES))
    external = _url(meta.get("external_url"), "external_url")
    if join_mode == "external" and external is None:
        raise DraftError(_("%(key)s is required when %(other)s is %(value)s"), key=Key("external_url"),
                         other=Key("join_mode", quoted=False),
                         value=Term("external", _("Registration on another site")))
    status = (_text(meta, "status", 20) or "confirmed").upper()
    if status not in STATUSES:
        raise DraftError(_("%(key)s must be one of %(choices)s"), key=Key("status"),
                         choices=", ".join(s.lower() for s in STATUSES))
    comments = meta.get("comments", True)
    if not isinstance(comments, bool):
        raise DraftError(_("%(key)s must be true or false"), key=Key("comments"))
    details = JourneyDetails(
        start_time=_iso(start), end_time=_iso(end) if end else None, timezone=zone_name, location=location,
        online_url=online, programme=tuple(items), capacity=capacity, join_mode=join_mode,
        external_url=external, status=status, comments_enabled=comments, attachments=attachments,
    )
    return build_journey_details(details, lang)


def _outcome(meta: Mapping[str, Any], lang: str, attachments: tuple[Attachment, ...]) -> dict[str, Any]:
    lists: dict[str, dict[str, list[str]]] = {}
    for key in OUTCOME_LISTS:
        items = []
        for i, item in enumerate(_list(meta, key)):
            if not isinstance(item, str | int | float) or isinstance(item, bool) or not str(item).strip():
                raise DraftError(_("%(key)s must be a line of text"), key=Key(f"{key}[{i}]"))
            items.append(str(item).strip()[:2000])
        lists[key] = {lang: items} if items else {}
    participants = []
    for i, item in enumerate(_list(meta, "participants")):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping):
            raise DraftError(_("%(key)s must be a name or a mapping with name and url"), key=Key(f"participants[{i}]"))
        participants.append(Participant(name=_text(item, "name", 300, required=True, where=f"participants[{i}]."),
                                        url=_url(item.get("url"), f"participants[{i}].url")))
    if not any(lists.values()):
        raise DraftError(_("an outcome needs at least one of: %(keys)s"),
                         keys=tuple(Key(k, quoted=False) for k in OUTCOME_LISTS))
    details = OutcomeDetails(
        achievements=lists["achievements"], new_initiatives=lists["new_initiatives"], issues=lists["issues"],
        goals=lists["goals"], next_steps=lists["next_steps"], feedback=_markdown(meta, "feedback", lang),
        participants=tuple(participants), attachments=attachments,
    )
    return build_outcome_details(details, lang)


def draft_from_mapping(meta: Mapping[str, Any], body: str, *, default_lang: str) -> Draft:
    """Validate one submission (front matter or form fields) and build its Draft."""
    kind = _text(meta, "type", 20, required=True)
    if kind not in KIND_PATHS:
        raise DraftError(_("%(key)s must be one of %(choices)s, got %(value)s"), key=Key("type"),
                         choices=", ".join(KIND_PATHS), value=Typed(kind))
    unknown = sorted(str(k) for k in set(meta) - KEYS[kind])  # YAML keys may be numbers or dates too
    if unknown:
        raise DraftError(f"unknown key(s) for {'an' if kind == 'outcome' else 'a'} {kind}: {', '.join(unknown)}")
    slug = _text(meta, "slug", 100, required=True)
    if not SLUG.match(slug):
        raise DraftError(_("%(key)s must be lowercase letters, digits and '-', got %(value)s"), key=Key("slug"),
                         value=Typed(slug))
    lang = _text(meta, "lang", 35) or default_lang
    if not is_lang_tag(lang):
        raise DraftError(_("%(key)s is not a BCP 47 language tag: %(value)s"), key=Key("lang"), value=Typed(lang))
    lang = canonical_lang_tag(lang)  # `pt-br` and `pt-BR` are one language: one translation
    themes_raw = meta.get("themes")
    if themes_raw is None:  # `themes:` left empty
        themes_raw = []
    if isinstance(themes_raw, str):
        themes_raw = [t.strip() for t in themes_raw.split(",")]
    if not isinstance(themes_raw, list) or not all(isinstance(t, str) for t in themes_raw):
        raise DraftError(_("%(key)s must be a list of words"), key=Key("themes"))
    themes = tuple(dict.fromkeys(t.strip().lstrip("#").lower() for t in themes_raw if t.strip()))
    for theme in themes:
        if not TAG.match(theme):
            raise DraftError(_("theme %(value)s must be one word (letters, digits, '-', '_')"), about="themes",
                             value=Typed(theme))
    if len(body) > MAX_BODY:
        raise DraftError(ngettext("the body is longer than %(num)s character",
                                  "the body is longer than %(num)s characters", MAX_BODY), about="body")
    attachments = _attachments(meta, lang)
    builders = {"practice": _practice, "journey": _journey, "outcome": _outcome}
    journey = _text(meta, "journey", 2048) or None
    if kind == "outcome" and journey is None:
        raise DraftError(_("%(key)s is required for an outcome (the slug of the journey it reports on)"),
                         key=Key("journey"))
    if journey is not None and not (SLUG.match(journey) or re.match(r"^https?://[^\s/]+", journey)):
        raise DraftError(_("%(key)s must be the slug of a journey on this node, or its IRI, got %(value)s"),
                         key=Key("journey"), value=Typed(journey))
    return Draft(
        kind=kind, slug=slug, lang=lang, title=_text(meta, "title", MAX_TITLE, required=True),
        summary=_text(meta, "summary", MAX_SUMMARY, required=True), body_md=body.strip(), themes=themes,
        details=builders[kind](meta, lang, attachments), journey=journey,
        cycle=_text(meta, "cycle", 100) or None,
        sources={key: text for key in RICH_KEYS[kind] if (text := _text(meta, key, MAX_TEXT))},
    )


def parse_markdown(text: str, *, default_lang: str) -> Draft:
    """Markdown with YAML front matter, as `maillage publish` reads it."""
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise DraftError(f"front matter is not valid YAML: {exc}") from exc
    except TypeError:  # python-frontmatter passes the keys as keyword arguments
        raise DraftError("front matter keys must be names like 'title' (not numbers or dates)") from None
    if not post.metadata:
        raise DraftError("the file has no front matter (it must start with a '---' block)")
    try:
        return draft_from_mapping(dict(post.metadata), post.content, default_lang=default_lang)
    except DraftError as exc:
        message = str(exc)
        raise DraftError(message if message.startswith("the body") else f"front matter: {message}") from None
