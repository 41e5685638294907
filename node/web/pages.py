"""What an item page shows besides the item itself: its structured details read back with the protocol
parsers, comments (threaded and sanitized by node/comments.py), a journey's outcomes and
programme, an outcome's journey. One query per list, not one per row."""

import json
from datetime import datetime
from typing import Any

from protocol.journeys import parse_journey_details
from protocol.langmap import parse_lang_map, pick
from protocol.objects import Publication, Translation
from protocol.outcomes import LIST_SECTIONS, parse_outcome_details
from protocol.practices import parse_practice_details

from .. import social
from ..comments import thread as comment_thread
from ..content import StoredObject, participation_counts
from ..db import Database
from ..i18n import language_name
from ..page_images import attachments_at, image_src
from ..urls import KIND_PATHS
from ..views import address_line, license_label, osm_url, time_range, when


def parse_details(kind: str, doc: dict[str, Any], default_lang: str) -> Any:
    """An item's structured details, as its kind's parser reads them from its document (or stored fields)."""
    parse = {"practice": parse_practice_details, "journey": parse_journey_details,
             "outcome": parse_outcome_details}[kind]
    return parse(doc, default_lang)


def texts_in(pub: Publication, text: Translation) -> dict[str, Any]:
    """What the item templates need to show each text in the page's language, else in the original's,
    and mark it with the language it is in: `local(texts)` and `lang_of(texts)` for a field's language
    map, `body` for the text (a translation that left it out shows the original's)."""
    def chosen(texts: dict[str, Any]) -> str:
        return next((k for k in (text.lang, pub.default_lang) if k in texts), next(iter(texts), text.lang))

    return {"local": lambda texts: texts[chosen(texts)] if texts else "",
            "lang_of": lambda texts: chosen(texts) if texts else text.lang,
            "body": text if text.content_html.strip() else pub.translation()}


def _http(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


async def comments(db: Database, iri: str, lang: str) -> list[dict[str, Any]]:
    """The approved comments under `iri`, threaded, remote ones sanitized (node/comments.py)."""
    return await comment_thread(db, iri, lang)


async def _title_map(db: Database, where: str, params: tuple[Any, ...]) -> dict[str, dict[str, Any]]:
    """{iri: {kind, slug, titles: {lang: title}, default_lang, fields}} for the objects matched by `where`."""
    rows = await db.fetch_all(
        "SELECT o.iri, o.kind, o.slug, o.default_lang, o.fields, o.published_at, o.journey_id, o.id, t.lang, t.title"
        f" FROM objects o JOIN translations t ON t.object_id = o.id WHERE o.deleted_at IS NULL AND {where}"
        " ORDER BY o.id",
        params,
    )
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        item = out.setdefault(r["iri"], {
            "iri": r["iri"], "id": r["id"], "kind": r["kind"], "slug": r["slug"], "default_lang": r["default_lang"],
            "fields": json.loads(r["fields"]), "published": r["published_at"], "journey_id": r["journey_id"],
            "titles": {}})
        item["titles"][r["lang"]] = r["title"]
    return out


def _entry(item: dict[str, Any], lang: str, ui_lang: str | None = None) -> dict[str, Any]:
    """A linked title for lists (outcomes of a journey, items of a programme), in `lang`, with the journey's
    date written for the interface's language `ui_lang` (`lang` when not given)."""
    fields = item["fields"]
    start = fields.get("startTime")
    zone = fields.get("timezone") or "UTC"
    return {"iri": item["iri"], "kind": item["kind"], "title": pick(item["titles"], lang, item["default_lang"]),
            "when": when(start, None, zone, ui_lang or lang) if isinstance(start, str) else None,
            "status": fields.get("ical:status"), "published": item["published"]}


async def programme_items(db: Database, programme_id: int, lang: str) -> list[dict[str, Any]]:
    """A programme's journeys by start time, each followed by its outcomes (oldest first)."""
    journeys = await _title_map(db, "o.programme_id = ? AND o.kind = 'journey'", (programme_id,))
    outcomes = await _title_map(
        db, "o.kind = 'outcome' AND o.journey_id IN (SELECT id FROM objects WHERE programme_id = ?)", (programme_id,))
    ordered = sorted(journeys.values(),
                     key=lambda j: datetime.fromisoformat(str(j["fields"].get("startTime") or j["published"])))
    out = []
    for journey in ordered:
        entry = _entry(journey, lang)
        entry["outcomes"] = [_entry(o, lang) for o in outcomes.values() if o["journey_id"] == journey["id"]]
        out.append(entry)
    return out


async def programme_of(db: Database, programme_id: int | None) -> dict[str, Any] | None:
    if programme_id is None:
        return None
    row = await db.fetch_one("SELECT slug, iri, names FROM programmes WHERE id = ?", (programme_id,))
    if row is None:
        return None
    return {"slug": row["slug"], "iri": row["iri"], "names": parse_lang_map(json.loads(row["names"]))}


def programme_name(programme: dict[str, Any], lang: str) -> str:
    return pick(programme["names"], lang, lang) if programme["names"] else programme["slug"]


async def item_context(db: Database, stored: StoredObject, pub: Publication, lang: str,
                       ui_lang: str | None = None, *, base: str) -> dict[str, Any]:
    """Everything practice.html, journey.html and outcome.html show, for the translation in `lang`; dates
    and times are written for the interface's language `ui_lang` (the reader's locale). Images at
    another server's address are served from here, at `image_at` + their key (node/page_images.py)."""
    text = pub.translation(lang)
    author_name = await db.fetch_value("SELECT name FROM actors WHERE id = ?", (stored.actor_id,))
    # The page shows the summary as written: the teaser Mastodon gets (territory, themes, date and place
    # before it) would repeat what the page's own sections say.
    written = await db.fetch_value("SELECT summary FROM translations WHERE object_id = ? AND lang = ?",
                                   (stored.id, text.lang))
    feed_path = f"/{KIND_PATHS[stored.kind]}.atom"
    image_at = f"/{KIND_PATHS[stored.kind]}/{stored.slug}/images/"
    context: dict[str, Any] = {
        "pub": pub, "text": text, "summary": written or text.summary, "stored": stored, "alternate": stored.iri,
        "kind": stored.kind,
        "author_iri": pub.attributed_to, "author_name": author_name or stored.author,
        "translations": [{"tag": t.lang, "name": language_name(t.lang)} for t in pub.translations
                         if t.lang != text.lang],
        "all_translations": [t.lang for t in pub.translations],
        "comments": await comments(db, stored.iri, text.lang), "feed_path": feed_path,
        "reactions": await social.counts(db, stored.iri),
        "comments_mode": social.item_mode(await social.comment_mode(db), stored.fields),
        **texts_in(pub, text), "osm_url": osm_url, "license_label": license_label, "address_line": address_line,
        "image_at": image_at,
    }
    doc = pub.extra
    if stored.kind == "practice":
        context["details"] = parse_practice_details(doc, pub.default_lang)
    elif stored.kind == "journey":
        context.update(await _journey_context(db, stored, doc, pub.default_lang, text.lang, ui_lang or text.lang))
    else:
        details = parse_outcome_details(doc, pub.default_lang)
        context["details"] = details
        context["sections"] = [(term, details.section(term)) for term in LIST_SECTIONS]
        journey = None
        if stored.journey_id is not None:
            found = await _title_map(db, "o.id = ?", (stored.journey_id,))
            journey = _entry(next(iter(found.values())), text.lang, ui_lang) if found else None
        context["journey"] = journey
    context["details"] = attachments_at(context["details"], lambda _, url: image_src(url, base, image_at))
    return context


async def _journey_context(db: Database, stored: StoredObject, doc: dict[str, Any], default_lang: str,
                           lang: str, ui_lang: str) -> dict[str, Any]:
    details = parse_journey_details(doc, default_lang)
    outcomes = await _title_map(db, "o.journey_id = ? AND o.kind = 'outcome'", (stored.id,))
    programme = await programme_of(db, stored.programme_id)
    zone = details.timezone if details else "UTC"
    return {
        "details": details,
        "when": when(details.start_time, details.end_time, zone, ui_lang) if details else None,
        "time_range": lambda start, end: time_range(start, end, zone, ui_lang,
                                                    first_day=details.start_time if details else None),
        "counts": await participation_counts(db, stored.id),
        "outcomes": [_entry(o, lang) for o in outcomes.values()],
        "programme": {**programme, "name": programme_name(programme, lang)} if programme else None,
        "ics_path": f"/journeys/{stored.slug}.ics",
    }
