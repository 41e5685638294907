"""Reading what an organizer submits (Markdown with YAML front matter, or a web form turned into the
same mapping) into a `Draft`: one language of one object, its structured fields already in their AS2
form so that storage, documents and pages share a single shape.

Every refusal names the front matter key and the problem; nothing is stored until the whole draft
is valid. Independent checks all run (`Checks`): one submission is refused with every problem it has,
so that a form shows all its mistakes at once and `maillage publish` lists them one a line. A refusal
is a message id with its values (node/formerrors.py): the CLI prints it in English, the desk in its
reader's language, naming each key by its form field's label. Reading single values: node/draft_checks.py.
"""

import functools
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
from protocol.practices import RESOURCE_ORIGINS, Contact, PracticeDetails, Resource, Stakeholder, build_practice_details

from .draft_checks import MAX_TEXT, Checks
from .draft_checks import DraftError as DraftError  # where every caller imports it from
from .draft_checks import read_localized as _localized
from .draft_checks import read_markdown as _markdown
from .draft_checks import read_place as _place
from .draft_checks import read_text as _text
from .draft_checks import read_url as _url
from .formerrors import Key, Term, Typed, _, ngettext
from .urls import KIND_PATHS

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
MAX_THEME = 64
MAX_TITLE, MAX_SUMMARY, MAX_BODY = 300, 2000, 200_000
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


# Fields written in Markdown and published as HTML (language maps), besides the body: their Markdown is
# kept too (Draft.sources, translations.sources), for the edit form to show what was written.
RICH_KEYS = {"practice": ("needs", "results", "lessons", "transferability"), "journey": (), "outcome": ("feedback",)}


def _attachment(lang: str, i: int, item: Any) -> Attachment:
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
    return Attachment(url=url, media_type=media, alt=alt)


def _guess_media_type(url: str) -> str:
    suffix = url.rsplit(".", 1)[-1].lower() if "." in url.rsplit("/", 1)[-1] else ""
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif",
            "svg": "image/svg+xml", "pdf": "application/pdf", "odt": "application/vnd.oasis.opendocument.text",
            }.get(suffix, "application/octet-stream")


def _stakeholder(lang: str, i: int, item: Any) -> Stakeholder:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, Mapping):
        raise DraftError(_("%(key)s must be a name or a mapping with name, role, url"), key=Key(f"stakeholders[{i}]"))
    return Stakeholder(name=_text(item, "name", 300, required=True, where=f"stakeholders[{i}]."),
                       role=_localized(item.get("role"), f"stakeholders[{i}].role", lang),
                       url=_url(item.get("url"), f"stakeholders[{i}].url"))


def _resource(lang: str, i: int, item: Any) -> Resource:
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
    return Resource(label=label, monetary=bool(item.get("monetary", False)), origin=origin)


def _contact(raw: Any) -> Contact | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise DraftError(_("%(key)s must be a mapping with name, email, url"), key=Key("contact"))
    email = _text(raw, "email", 200, where="contact.") or None
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise DraftError(_("%(key)s is not an e-mail address"), key=Key("contact.email"))
    return Contact(name=_text(raw, "name", 200, where="contact.") or None, email=email,
                   url=_url(raw.get("url"), "contact.url"))


def _practice(meta: Mapping[str, Any], lang: str, attachments: tuple[Attachment, ...],
              checks: Checks) -> dict[str, Any]:
    run = checks.run
    details = PracticeDetails(
        territory=run(_place, meta.get("territory"), "territory"),
        stakeholders=tuple(checks.each(meta, "stakeholders", lambda i, item: _stakeholder(lang, i, item))),
        needs=run(_markdown, meta, "needs", lang) or {},
        resources=tuple(checks.each(meta, "resources", lambda i, item: _resource(lang, i, item))),
        results=run(_markdown, meta, "results", lang) or {}, lessons=run(_markdown, meta, "lessons", lang) or {},
        transferability=run(_markdown, meta, "transferability", lang) or {},
        contact=run(_contact, meta.get("contact")), attachments=attachments,
        license=run(_url, meta.get("license"), "license"),
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


def _after(first: datetime, then: Any, key: str, other: str, zone: ZoneInfo) -> datetime:
    """`then` (a date-time, or a time on `first`'s day), which must come after `first`."""
    moment = _moment(then, key, zone, first.date())
    if moment <= first:
        raise DraftError(_("%(key)s must be after %(other)s"), key=Key(key), other=Key(other))
    return moment


def _programme_item(lang: str, zone: ZoneInfo | None, start: datetime | None, i: int, raw: Any) -> ProgrammeItem:
    """One line of the programme; its times are read only when the journey's zone and start are known."""
    if not isinstance(raw, Mapping):
        raise DraftError(_("%(key)s must be a mapping with time, title, host"), key=Key(f"programme[{i}]"))
    title = _localized(raw.get("title"), f"programme[{i}].title", lang, 300)
    if not title:
        raise DraftError(_("%(key)s is required"), key=Key(f"programme[{i}].title"))
    begins = ends = None
    if zone is not None and start is not None:
        begins = _moment(raw["time"], f"programme[{i}].time", zone, start.date()) if raw.get("time") else None
        if raw.get("end"):
            ends = _after(begins, raw["end"], f"programme[{i}].end", f"programme[{i}].time", zone) if begins \
                else _moment(raw["end"], f"programme[{i}].end", zone, start.date())
    return ProgrammeItem(title=title, start_time=_iso(begins) if begins else None,
                         end_time=_iso(ends) if ends else None,
                         host=_text(raw, "host", 300, where=f"programme[{i}].") or None,
                         place=_place(raw.get("place"), f"programme[{i}].place"))


def _capacity(meta: Mapping[str, Any]) -> int | None:
    capacity = meta.get("capacity")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1):
        raise DraftError(_("%(key)s must be a positive whole number (leave it out for no limit)"), key=Key("capacity"))
    return capacity


def _join_mode(meta: Mapping[str, Any]) -> tuple[str, str | None]:
    """(join mode, external registration page)."""
    join_mode = _text(meta, "join_mode", 20) or "free"
    if join_mode not in JOIN_MODES:
        raise DraftError(_("%(key)s must be one of %(choices)s"), key=Key("join_mode"), choices=", ".join(JOIN_MODES))
    external = _url(meta.get("external_url"), "external_url")
    if join_mode == "external" and external is None:
        raise DraftError(_("%(key)s is required when %(other)s is %(value)s"), key=Key("external_url"),
                         other=Key("join_mode", quoted=False),
                         value=Term("external", _("Registration on another site")))
    return join_mode, external


def _status(meta: Mapping[str, Any]) -> str:
    status = (_text(meta, "status", 20) or "confirmed").upper()
    if status not in STATUSES:
        raise DraftError(_("%(key)s must be one of %(choices)s"), key=Key("status"),
                         choices=", ".join(s.lower() for s in STATUSES))
    return status


def _flag(meta: Mapping[str, Any], key: str, default: bool) -> bool:
    value = meta.get(key, default)
    if not isinstance(value, bool):
        raise DraftError(_("%(key)s must be true or false"), key=Key(key))
    return value


def _journey(meta: Mapping[str, Any], lang: str, attachments: tuple[Attachment, ...],
             checks: Checks) -> dict[str, Any]:
    run = checks.run
    zone_name, zone = run(_zone, meta) or ("", None)
    start = end = None
    if meta.get("start") is None:
        checks.add(DraftError(_("%(key)s is required"), key=Key("start")))
    elif zone is not None:
        start = run(_moment, meta["start"], "start", zone)
    if zone is not None and start is not None and meta.get("end") is not None:
        end = run(_after, start, meta["end"], "end", "start", zone)
    before = len(checks.problems)
    location = run(_place, meta.get("location"), "location")
    online = run(_url, meta.get("online"), "online")
    if location is None and online is None and len(checks.problems) == before:
        checks.add(DraftError(_("a journey needs a %(location)s or an %(online)s"), location=Key("location"),
                              online=Term("'online' link", _("Online link"))))
    items = checks.each(meta, "programme", functools.partial(_programme_item, lang, zone, start))
    capacity, (join_mode, external) = run(_capacity, meta), run(_join_mode, meta) or ("free", None)
    status, comments = run(_status, meta) or "", run(_flag, meta, "comments", True)
    if checks.problems or start is None:
        return {}  # refused: no details to build
    details = JourneyDetails(
        start_time=_iso(start), end_time=_iso(end) if end else None, timezone=zone_name, location=location,
        online_url=online, programme=tuple(items), capacity=capacity, join_mode=join_mode,
        external_url=external, status=status, comments_enabled=bool(comments), attachments=attachments,
    )
    return build_journey_details(details, lang)


def _line(key: str, i: int, item: Any) -> str:
    if not isinstance(item, str | int | float) or isinstance(item, bool) or not str(item).strip():
        raise DraftError(_("%(key)s must be a line of text"), key=Key(f"{key}[{i}]"))
    return str(item).strip()[:2000]


def _participant(i: int, item: Any) -> Participant:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, Mapping):
        raise DraftError(_("%(key)s must be a name or a mapping with name and url"), key=Key(f"participants[{i}]"))
    return Participant(name=_text(item, "name", 300, required=True, where=f"participants[{i}]."),
                       url=_url(item.get("url"), f"participants[{i}].url"))


def _outcome(meta: Mapping[str, Any], lang: str, attachments: tuple[Attachment, ...],
             checks: Checks) -> dict[str, Any]:
    before = len(checks.problems)
    lists: dict[str, dict[str, list[str]]] = {}
    for key in OUTCOME_LISTS:
        items = checks.each(meta, key, functools.partial(_line, key))
        lists[key] = {lang: items} if items else {}
    if not any(lists.values()) and len(checks.problems) == before:
        checks.add(DraftError(_("an outcome needs at least one of: %(keys)s"),
                              keys=tuple(Key(k, quoted=False) for k in OUTCOME_LISTS)))
    details = OutcomeDetails(
        achievements=lists["achievements"], new_initiatives=lists["new_initiatives"], issues=lists["issues"],
        goals=lists["goals"], next_steps=lists["next_steps"], feedback=checks.run(_markdown, meta, "feedback", lang)
        or {}, participants=tuple(checks.each(meta, "participants", _participant)), attachments=attachments,
    )
    return build_outcome_details(details, lang)


def theme_slug(text: str) -> str:
    """A theme as typed, as a slug: `Monnaie locale` -> `monnaie-locale`, `#Commons` -> `commons`. Letters
    keep their accents (`économie-sociale`), as themes always have (protocol/hashtags.py federates it as
    `#ÉconomieSociale`, which Mastodon keeps whole); anything else between words becomes one hyphen."""
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-")


def _themes(meta: Mapping[str, Any]) -> tuple[str, ...]:
    raw = meta.get("themes")
    if raw is None:  # `themes:` left empty
        raw = []
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise DraftError(_("%(key)s must be a list of words"), key=Key("themes"))
    for theme in raw:
        if theme.strip() and not 0 < len(theme_slug(theme)) <= MAX_THEME:
            raise DraftError(_("theme %(value)s must have letters or digits, and at most 64 characters"),
                             about="themes", value=Typed(theme.strip()))
    return tuple(dict.fromkeys(theme_slug(t) for t in raw if t.strip()))


def _slug(meta: Mapping[str, Any]) -> str:
    slug = _text(meta, "slug", 100, required=True)
    if not SLUG.match(slug):
        raise DraftError(_("%(key)s must be lowercase letters, digits and '-', got %(value)s"), key=Key("slug"),
                         value=Typed(slug))
    return slug


def _lang(meta: Mapping[str, Any], default_lang: str) -> str:
    lang = _text(meta, "lang", 35) or default_lang
    if not is_lang_tag(lang):
        raise DraftError(_("%(key)s is not a BCP 47 language tag: %(value)s"), key=Key("lang"), value=Typed(lang))
    return canonical_lang_tag(lang)  # `pt-br` and `pt-BR` are one language: one translation


def _journey_ref(kind: str, meta: Mapping[str, Any]) -> str | None:
    """An outcome's journey: a slug on this node, or an IRI."""
    journey = _text(meta, "journey", 2048) or None
    if kind == "outcome" and journey is None:
        raise DraftError(_("%(key)s is required for an outcome (the slug of the journey it reports on)"),
                         key=Key("journey"))
    if journey is not None and not (SLUG.match(journey) or re.match(r"^https?://[^\s/]+", journey)):
        raise DraftError(_("%(key)s must be the slug of a journey on this node, or its IRI, got %(value)s"),
                         key=Key("journey"), value=Typed(journey))
    return journey


def draft_from_mapping(meta: Mapping[str, Any], body: str, *, default_lang: str) -> Draft:
    """Validate one submission (front matter or form fields) and build its Draft; refused with every
    problem found (`DraftError.problems`)."""
    kind = _text(meta, "type", 20, required=True)
    if kind not in KIND_PATHS:
        raise DraftError(_("%(key)s must be one of %(choices)s, got %(value)s"), key=Key("type"),
                         choices=", ".join(KIND_PATHS), value=Typed(kind))
    checks = Checks()
    run = checks.run
    unknown = sorted(str(k) for k in set(meta) - KEYS[kind])  # YAML keys may be numbers or dates too
    if unknown:
        checks.add(DraftError(f"unknown key(s) for {'an' if kind == 'outcome' else 'a'} {kind}: {', '.join(unknown)}"))
    slug = run(_slug, meta)
    lang = run(_lang, meta, default_lang) or default_lang
    title = run(_text, meta, "title", MAX_TITLE, required=True)
    summary = run(_text, meta, "summary", MAX_SUMMARY, required=True)
    themes = run(_themes, meta) or ()
    if len(body) > MAX_BODY:
        checks.add(DraftError(ngettext("the body is longer than %(num)s character",
                                       "the body is longer than %(num)s characters", MAX_BODY), about="body"))
    attachments = tuple(checks.each(meta, "attachments", functools.partial(_attachment, lang)))
    journey = run(_journey_ref, kind, meta)
    builders = {"practice": _practice, "journey": _journey, "outcome": _outcome}
    details = builders[kind](meta, lang, attachments, checks)
    cycle = run(_text, meta, "cycle", 100) or None
    checks.done()
    assert slug is not None and title is not None and summary is not None  # refused above otherwise
    return Draft(
        kind=kind, slug=slug, lang=lang, title=title, summary=summary, body_md=body.strip(), themes=themes,
        details=details, journey=journey, cycle=cycle,
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
    except DraftError as refused:  # each problem on its line, said where it is
        raise DraftError.of([_located(p) for p in refused.problems]) from None


def _located(problem: DraftError) -> DraftError:
    """A problem of a file's front matter said so (`front matter: 'slug' is required`), for the CLI."""
    message = str(problem.args[0])
    located = DraftError(message if message.startswith("the body") else f"front matter: {message}",
                         about=problem.about)
    located.message = problem.message  # a page still shows the message itself, in its language
    return located
