"""The desk's item forms and the front matter mapping node/drafts.py validates: a form is turned into the
mapping `maillage publish` reads (so a form and a Markdown file are checked by the same code), and a
stored item back into the form's fields, to edit it or translate it. List fields are one entry a line,
their parts separated by `|` ("name | role | https://..."), as the hints say. A refusal of node/drafts.py
names the front matter keys: here they become the form's fields and labels, in the reader's language."""

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from protocol.journeys import parse_journey_details
from protocol.langmap import pick
from protocol.outcomes import parse_outcome_details
from protocol.practices import parse_practice_details

from ..content import StoredObject
from ..db import Database
from ..drafts import RICH_KEYS
from ..formerrors import FieldError, Gettext, Message, _, quote

COMMON = ("slug", "lang", "title", "summary", "themes", "body")
PLACE_PARTS = ("name", "street", "postal_code", "locality", "region", "country", "latitude", "longitude")
ADDRESS_PARTS = PLACE_PARTS[1:6]
COORDINATES = ("latitude", "longitude")
FIELDS = {
    "practice": (*COMMON, *(f"territory_{p}" for p in PLACE_PARTS), "stakeholders", "needs", "resources", "results",
                 "lessons", "transferability", "contact_name", "contact_email", "contact_url", "license"),
    "journey": (*COMMON, "start", "end", "timezone", *(f"location_{p}" for p in PLACE_PARTS), "online", "programme",
                "capacity", "join_mode", "external_url", "status", "cycle", "comments"),
    "outcome": (*COMMON, "journey", "achievements", "new_initiatives", "issues", "goals", "next_steps", "feedback",
                "participants"),
}
LISTS = ("achievements", "new_initiatives", "issues", "goals", "next_steps")
YES = {"yes", "oui", "sí", "si", "true", "monetary", "monétaire", "monetaire", "monetario", "money", "€", "1"}
ORIGINS = {"public": "public", "público": "public", "publico": "public", "private": "private", "privé": "private",
           "prive": "private", "privado": "private", "mixed": "mixed", "mixte": "mixed", "mixto": "mixed"}
# A programme line's time: `09:30`, `09:30-11:00`, on the journey's first day, or with the day before it
# (`2027-03-15 09:30-11:00`) on another day of a journey of several days.
TIME_RANGE = re.compile(r"^(?:(\d{4}-\d{2}-\d{2})\s+)?(\d{1,2}[:h]\d{2})(?:\s*[-–]\s*(\d{1,2}[:h]\d{2}))?$")
MAX_ATTACHMENTS = 50  # attachment rows a form keeps


def slugify(title: str) -> str:
    """A slug from a title: `Épicerie solidaire à Crest` -> `epicerie-solidaire-a-crest`."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:80].strip("-")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _parts(line: str, count: int) -> list[str]:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) > count:  # a `|` in the last part belongs to it
        return [*parts[:count - 1], " | ".join(parts[count - 1:])]
    return (parts + [""] * count)[:count]


def _place(form: dict[str, str], prefix: str) -> dict[str, Any] | None:
    values: dict[str, Any] = {p: form.get(f"{prefix}_{p}", "").strip() for p in PLACE_PARTS}
    values = {k: v for k, v in values.items() if v}
    for key in COORDINATES:  # a number as the front matter has it; anything else is left for drafts to refuse
        try:
            values[key] = float(values[key].replace(",", "."))
        except (KeyError, ValueError):
            pass
    return values or None


def _practice(form: dict[str, str], meta: dict[str, Any], refused: list[FieldError]) -> None:
    meta["territory"] = _place(form, "territory")
    stakeholders = []
    for line in _lines(form.get("stakeholders", "")):
        name, role, url = _parts(line, 3)
        stakeholders.append({"name": name, **({"role": role} if role else {}), **({"url": url} if url else {})})
    meta["stakeholders"] = stakeholders
    resources = []
    for number, line in enumerate(_lines(form.get("resources", "")), start=1):
        label, monetary, origin = _parts(line, 3)
        if origin and origin.lower() not in ORIGINS:
            refused.append(FieldError("resources", _("Line %(line)s: the origin is public, private or mixed."),
                                      line=number))
            continue
        resources.append({"label": label, "monetary": monetary.lower() in YES,
                          "origin": ORIGINS.get(origin.lower(), "mixed")})
    meta["resources"] = resources
    for key in ("needs", "results", "lessons", "transferability", "license"):
        meta[key] = form.get(key, "").strip() or None
    contact = {k: form.get(f"contact_{k}", "").strip() for k in ("name", "email", "url")}
    meta["contact"] = {k: v for k, v in contact.items() if v} or None


def _journey(form: dict[str, str], meta: dict[str, Any], refused: list[FieldError]) -> None:
    meta["timezone"] = form.get("timezone", "").strip()
    meta["start"] = form.get("start", "").strip() or None
    meta["end"] = form.get("end", "").strip() or None
    meta["location"] = _place(form, "location")
    meta["online"] = form.get("online", "").strip() or None
    programme = []
    for number, line in enumerate(_lines(form.get("programme", "")), start=1):
        when, title, host = _parts(line, 3)
        item: dict[str, Any] = {"title": title or when}
        if title:
            match = TIME_RANGE.match(when.strip())
            if not match:
                refused.append(FieldError("programme", _(
                    "Line %(line)s: start with a time like 09:30 or 09:30-11:00, after the day (2027-03-15 09:30)"
                    " if it is not the first."), line=number))
                continue
            day = f"{match[1]} " if match[1] else ""
            item["time"] = day + match[2].replace("h", ":")
            if match[3]:
                item["end"] = day + match[3].replace("h", ":")
        if host:
            item["host"] = host
        programme.append(item)
    meta["programme"] = programme
    capacity = form.get("capacity", "").strip()
    if capacity:
        if capacity.isdigit():
            meta["capacity"] = int(capacity)
        else:
            refused.append(FieldError("capacity", _("Write a whole number, or leave it empty for no limit.")))
    for key in ("join_mode", "external_url", "status", "cycle"):
        meta[key] = form.get(key, "").strip() or None
    meta["comments"] = form.get("comments") == "on"


def _outcome(form: dict[str, str], meta: dict[str, Any], _refused: list[FieldError]) -> None:
    meta["journey"] = form.get("journey", "").strip() or None
    for key in LISTS:
        meta[key] = _lines(form.get(key, ""))
    meta["feedback"] = form.get("feedback", "").strip() or None
    participants = []
    for line in _lines(form.get("participants", "")):
        name, url = _parts(line, 2)
        participants.append({"name": name, **({"url": url} if url else {})})
    meta["participants"] = participants


def to_mapping(kind: str, form: dict[str, str], attachments: list[dict[str, Any]],
               refused: list[FieldError] | None = None) -> tuple[dict[str, Any], str]:
    """(front matter mapping, Markdown body) for node/drafts.draft_from_mapping. A line the form cannot
    read is left out of the mapping and its error added to `refused` (raised when none is given), so that
    drafts.py still checks the rest and the form shows every mistake at once."""
    problems: list[FieldError] = [] if refused is None else refused
    meta: dict[str, Any] = {"type": kind, "slug": form.get("slug", "").strip(), "lang": form.get("lang", "").strip(),
                            "title": form.get("title", ""), "summary": form.get("summary", ""),
                            "themes": form.get("themes", ""), "attachments": attachments}
    {"practice": _practice, "journey": _journey, "outcome": _outcome}[kind](form, meta, problems)
    if refused is None and problems:
        raise problems[0]
    return {k: v for k, v in meta.items() if v is not None}, form.get("body", "")


KEY = re.compile(r"^([a-z_]+)(?:\[(\d+)\])?(?:\.([a-z_.]+))?$")  # name, [index], .sub.parts


def field_of(key: str, kind: str) -> str:
    """The form field a front matter key is about (`DraftError.about`; "" for the whole form)."""
    match = KEY.match(key)
    if not match:
        return ""
    key, sub = match[1], (match[3] or "").split(".")[0]
    if key in ("territory", "location", "contact"):
        name = f"{key}_{sub}" if sub else f"{key}_name"
        return name if name in FIELDS[kind] else ("contact_email" if key == "contact" else f"{key}_name")
    if key == "attachments":
        return "attachments"
    return key if key in FIELDS[kind] else ""


# How the messages of node/drafts.py name a front matter key on the form: by the label of its field
# (the same message ids as templates/desk/item_form.html), or by its line in a one-entry-a-line field.
LABELS = {
    "slug": _("Short name in the address (slug)"), "lang": _("Language of this text"), "title": _("Title"),
    "summary": _("Summary"), "themes": _("Themes"), "body": _("Text"), "attachments": _("Images"),
    "territory": _("Territory"), "territory_name": _("Name of the place or territory"),
    "stakeholders": _("Stakeholders"), "needs": _("Needs addressed"), "resources": _("Resources mobilised"),
    "results": _("Results"), "lessons": _("Lessons learned"), "transferability": _("Transferability"),
    "contact": _("Contact"), "contact_name": _("Contact name"), "contact_email": _("Contact e-mail"),
    "contact_url": _("Contact web page"), "license": _("License"),
    "start": _("Start"), "end": _("End"), "timezone": _("Time zone"), "location": _("Place"),
    "location_name": _("Place"), "online": _("Online link"), "programme": _("Programme"), "capacity": _("Seats"),
    "join_mode": _("Who can join"), "external_url": _("Registration page"), "status": _("Status"),
    "cycle": _("Programme (cycle) it belongs to"), "comments": _("Comments are welcome"),
    "journey": _("Journey reported on"), "achievements": _("Achievements"),
    "new_initiatives": _("New initiatives welcomed"), "issues": _("Substantive issues"),
    "goals": _("Goals and strategies"), "next_steps": _("Next steps"), "feedback": _("Observers’ feedback"),
    "participants": _("Participants"),
}
TRANSLATION_LANG_LABEL = _("Language of the translation")
PLACE_LABELS = {"name": _("Place"), "street": _("Street"), "postal_code": _("Postal code"), "locality": _("Town"),
                "region": _("Region"), "country": _("Country"), "latitude": _("Latitude"),
                "longitude": _("Longitude")}
# The parts of a line (`name | role | https://...`, `09:30-11:00 | title | host`) and of an image.
PART_LABELS = {
    "name": _("name"), "role": _("role"), "url": _("web address"), "label": _("description"),
    "monetary": _("monetary or non-monetary"), "origin": _("origin"), "time": _("start time"),
    "end": _("end time"), "title": _("title"), "host": _("host"), "place": _("place"),
    "alt": _("text describing the image"), "media_type": _("file type"),
}


def key_label(key: str, gettext: Gettext, *, translation: bool = False) -> str:
    """`summary` -> “Summary”, `contact.email` -> “Contact e-mail”, `stakeholders[0].url` -> line 1
    (web address), `attachments[1].alt` -> image 2 (text describing the image): what the form calls it
    (on a translation's form, `lang` is “Language of the translation”)."""
    if translation and key == "lang":
        return quote(gettext, gettext(TRANSLATION_LANG_LABEL))
    match = KEY.match(key)
    if not match:
        return quote(gettext, key)
    name, index, sub = match[1], match[2], match[3]
    if index is not None:
        number = int(index) + 1
        part = gettext(PART_LABELS[sub]) if sub in PART_LABELS else sub
        if name == "attachments":
            return gettext("image %(number)s (%(part)s)", number=number, part=part) if part \
                else gettext("image %(number)s", number=number)
        return gettext("line %(line)s (%(part)s)", line=number, part=part) if part \
            else gettext("line %(line)s", line=number)
    if sub:
        label = LABELS.get(f"{name}_{sub}") or (PLACE_LABELS.get(sub) if name in ("territory", "location") else None)
    else:
        label = LABELS.get(name)
    return quote(gettext, gettext(label) if label else key)


def shown(message: Message, lang: str, *, translation: bool = False) -> str:
    """A message of node/drafts.py as the form shows it: in `lang`, keys named as the form names them
    (`translation`: on a translation's form), capitalised."""
    text = message.text(lang, functools.partial(key_label, translation=translation))
    return text[:1].upper() + text[1:]


# A stored item back into the form (to edit a translation, or to start a new one from the original).


def _local(texts: Mapping[str, str] | None, lang: str, default: str) -> str:
    return pick(texts, lang, default) if texts else ""


def _place_form(place: Any, prefix: str) -> dict[str, str]:
    if place is None:
        return {}
    out = {f"{prefix}_name": place.name}
    if place.address is not None:
        for part in ADDRESS_PARTS:
            out[f"{prefix}_{part}"] = getattr(place.address, part) or ""
    for part in COORDINATES:
        value = getattr(place, part)
        out[f"{prefix}_{part}"] = "" if value is None else repr(value)  # as stored, every digit
    return out


def _html_to_text(html: str) -> str:
    """Markdown was rendered when stored; the form shows the text back (paragraphs kept)."""
    text = re.sub(r"</p>\s*<p>", "\n\n", html)
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').strip()


def from_stored(kind: str, fields: dict[str, Any], default_lang: str, lang: str, *,
                own_texts_only: bool = False) -> dict[str, str]:
    """The structured fields of a stored item as form values, in `lang` where they are localized. Where
    `lang` has no text of its own, the original's is shown (a translation starts from it), unless
    `own_texts_only`: then the field is left empty (editing a translation must not save the original's
    texts as its own), but for a resource's label and a programme item's title, which a line needs."""
    def own(texts: Mapping[str, str] | None) -> str:
        return (texts or {}).get(lang, "") if own_texts_only else _local(texts, lang, default_lang)

    form: dict[str, str] = {}
    if kind == "practice":
        p = parse_practice_details(fields, default_lang)
        form.update(_place_form(p.territory, "territory"))
        form["stakeholders"] = "\n".join(" | ".join(x for x in (s.name, own(s.role), s.url or "")
                                                    ).rstrip(" |") for s in p.stakeholders)
        form["resources"] = "\n".join(f"{_local(r.label, lang, default_lang)} | "
                                      f"{'monetary' if r.monetary else 'non-monetary'} | {r.origin}"
                                      for r in p.resources)
        for key in ("needs", "results", "lessons", "transferability"):
            form[key] = _html_to_text(own(getattr(p, key)))
        if p.contact:
            form.update(contact_name=p.contact.name or "", contact_email=p.contact.email or "",
                        contact_url=p.contact.url or "")
        form["license"] = p.license or ""
    elif kind == "journey":
        j = parse_journey_details(fields, default_lang)
        if j is not None:
            zone = ZoneInfo(j.timezone)

            def local(iso: str | None, fmt: str = "%Y-%m-%dT%H:%M") -> str:
                return datetime.fromisoformat(iso).astimezone(zone).strftime(fmt) if iso else ""
            form.update(timezone=j.timezone, start=local(j.start_time), end=local(j.end_time),
                        online=j.online_url or "", capacity=str(j.capacity or ""), join_mode=j.join_mode,
                        external_url=j.external_url or "", status=j.status.lower(),
                        comments="on" if j.comments_enabled else "")
            form.update(_place_form(j.location, "location"))
            rows = []
            first_day = local(j.start_time, "%Y-%m-%d")
            for item in j.programme:
                when = local(item.start_time, "%H:%M") + (f"-{local(item.end_time, '%H:%M')}" if item.end_time else "")
                if when and local(item.start_time, "%Y-%m-%d") != first_day:
                    when = f"{local(item.start_time, '%Y-%m-%d')} {when}"  # another day of the journey
                rows.append(" | ".join(x for x in (when, _local(item.title, lang, default_lang), item.host or "")
                                       if x) if when else _local(item.title, lang, default_lang))
            form["programme"] = "\n".join(rows)
    else:
        o = parse_outcome_details(fields, default_lang)
        for key in LISTS:
            lists = getattr(o, key)
            lines = (lists.get(lang) if own_texts_only else pick(lists, lang, default_lang)) if lists else None
            form[key] = "\n".join(lines or [])
        form["feedback"] = _html_to_text(own(o.feedback))
        form["participants"] = "\n".join(f"{x.name} | {x.url}" if x.url else x.name for x in o.participants)
    return form


def _details_attachments(kind: str, fields_: dict[str, Any], default_lang: str) -> tuple[Any, ...]:
    if kind == "practice":
        return parse_practice_details(fields_, default_lang).attachments
    if kind == "journey":
        details = parse_journey_details(fields_, default_lang)
        return details.attachments if details else ()
    return parse_outcome_details(fields_, default_lang).attachments


async def stored_form(db: Database, stored: StoredObject, lang: str, *, own_texts_only: bool = False) -> dict[str, str]:
    """The item's fields in `lang` (its default language when it has no such translation yet), as the
    desk's form holds them: the edit form's values, and what `maillage export` writes back to Markdown.
    `own_texts_only`: see from_stored."""
    rows = {r["lang"]: r for r in await db.fetch_all(
        "SELECT lang, title, summary, content_md, sources FROM translations WHERE object_id = ?", (stored.id,))}
    row = rows.get(lang) or rows.get(stored.default_lang) or next(iter(rows.values()), None)
    themes = [r["name"] for r in await db.fetch_all("SELECT name FROM object_tags WHERE object_id = ? ORDER BY name",
                                                    (stored.id,))]
    form = {"slug": stored.slug, "lang": row["lang"] if row else lang, "title": row["title"] if row else "",
            "summary": row["summary"] if row else "", "body": row["content_md"] if row else "",
            "themes": ", ".join(themes), **from_stored(stored.kind, stored.fields, stored.default_lang, lang,
                                                       own_texts_only=own_texts_only)}
    # The rich fields as written in Markdown, where it was kept (not in older items), in `lang` or, where
    # that language has none, in the default language: the same fallback from_stored uses for the text.
    for key in RICH_KEYS[stored.kind]:
        texts = stored.fields.get(key)
        has_own = isinstance(texts, dict) and lang in texts
        if own_texts_only and not has_own:
            continue
        source = rows.get(lang if has_own else stored.default_lang)
        markdown = json.loads(source["sources"]).get(key) if source is not None else None
        if isinstance(markdown, str):
            form[key] = markdown
    if stored.journey_id is not None:
        form["journey"] = await db.fetch_value("SELECT slug FROM objects WHERE id = ?", (stored.journey_id,)) or ""
    if stored.programme_id is not None:
        form["cycle"] = await db.fetch_value("SELECT slug FROM programmes WHERE id = ?", (stored.programme_id,)) or ""
    attachments = _details_attachments(stored.kind, stored.fields, stored.default_lang)
    form["att_count"] = str(len(attachments))
    for i, a in enumerate(attachments):
        alt = a.alt.get(lang) or a.alt.get(stored.default_lang) or next(iter(a.alt.values()), "")
        form.update({f"att_url_{i}": a.url, f"att_type_{i}": a.media_type, f"att_alt_{i}": alt})
    return form


def form_attachments(form: dict[str, str], media: list[Any]) -> list[dict[str, Any]]:
    """The attachments the form keeps (rows att_*) and adds (uploaded images ticked, media_*)."""
    out: list[dict[str, Any]] = []
    count = min(int(form["att_count"]) if form.get("att_count", "").isdigit() else 0, MAX_ATTACHMENTS)
    for i in range(count):
        url = form.get(f"att_url_{i}", "").strip()
        if url and form.get(f"att_remove_{i}") != "on":
            item = {"url": url, "alt": form.get(f"att_alt_{i}", "")}
            if form.get(f"att_type_{i}"):
                item["media_type"] = form[f"att_type_{i}"]
            out.append(item)
    kept = {a["url"] for a in out}
    for m in media:
        if form.get(f"media_{m.id}") == "on" and m.url not in kept:
            out.append({"url": m.url, "media_type": m.media_type, "alt": form.get(f"media_alt_{m.id}", m.alt)})
    return out
