"""The organizer desk's item forms: write a practice, schedule a journey, report a journey's outcome;
edit any of them; add a translation beside the original; preview without saving (the page template
readers will see, node/web/preview.py); save a draft, unchecked and unsent, to publish later.

Deleting an item (a confirmation page, then a POST) goes through the same use case as `maillage delete`.

A form becomes the mapping `maillage publish` reads (node/web/desk_forms.py) and goes through the same
validation (node/drafts.py) and the same use case (node/publishing.py, one transaction): an invalid
form is shown again with what was typed and the message beside its field, and nothing is stored."""

from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import available_timezones

from aiohttp import web

from protocol.journeys import JOIN_MODES

from .. import desk_drafts
from ..accounts import get_actor
from ..appkeys import CONFIG, DB, SETTINGS, URLS
from ..auth import accepts_long_form, login_required
from ..content import StoredObject, find_object
from ..drafts import Draft, DraftError, draft_from_mapping
from ..formerrors import FieldError, Message, Typed
from ..formerrors import _ as N_
from ..i18n import language_name
from ..media import list_media
from ..publishing import PublishError, delete, publish
from ..urls import KIND_PATHS
from .desk_forms import FIELDS, MAX_ATTACHMENTS, field_of, form_attachments, shown, slugify, stored_form, to_mapping
from .forms import fields, gettext, notice, page, redirect, user_of
from .preview import preview_html

KINDS = tuple(KIND_PATHS)
# An item's form is long texts: a body of MAX_BODY (200,000) accented characters is 1.8 MB url-encoded, over
# the app's 1 MiB; up to this, a text too long comes back with its error and nothing typed is lost.
MAX_FORM_BODY = 4 * 1_048_576


@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def _kind(request: web.Request) -> str:
    kind = request.match_info["kind"]
    if kind not in KINDS:
        raise web.HTTPNotFound(text="Not found")
    return kind


async def _editable(request: web.Request, kind: str) -> StoredObject:
    """The item in the path, if the user may edit it (its author, or an admin)."""
    stored = await find_object(request.app[DB], kind, request.match_info["slug"])
    if stored is None or stored.deleted_at:
        raise web.HTTPNotFound(text="Not found")
    user = await user_of(request)
    if stored.actor_id != user.actor_id and user.role != "admin":
        raise web.HTTPForbidden(text="Only its author or an admin can edit this item.")
    return stored


async def _context(request: web.Request, kind: str, mode: str, form: dict[str, str], *,
                   stored: StoredObject | None = None, errors: dict[str, str] | None = None,
                   preview: str | None = None) -> dict[str, Any]:
    db, config = request.app[DB], request.app[CONFIG]
    user = await user_of(request)
    media = await list_media(db, config.base_url, user.actor_id)
    count = int(form["att_count"]) if form.get("att_count", "").isdigit() else 0
    rows = [{"i": i, "url": form.get(f"att_url_{i}", ""), "type": form.get(f"att_type_{i}", ""),
             "alt": form.get(f"att_alt_{i}", ""), "removed": form.get(f"att_remove_{i}") == "on"}
            for i in range(min(count, MAX_ATTACHMENTS)) if form.get(f"att_url_{i}")]
    attached = {r["url"] for r in rows}
    context: dict[str, Any] = {
        "kind": kind, "mode": mode, "form": form, "errors": errors or {}, "preview": preview, "stored": stored,
        "attachment_rows": rows, "media": [m for m in media if m.url not in attached],
        "time_zones": time_zones(), "join_modes": JOIN_MODES,
        "languages": [(tag, language_name(tag)) for tag in request.app[SETTINGS].languages],
        "action": request.path, "section": "desk",
    }
    if kind == "outcome":
        context["journeys"] = [(r["slug"], r["title"]) for r in await db.fetch_all(
            "SELECT o.slug, t.title FROM objects o JOIN translations t"
            " ON t.object_id = o.id AND t.lang = o.default_lang"
            " WHERE o.kind = 'journey' AND o.deleted_at IS NULL ORDER BY o.id DESC LIMIT 200")]
    if mode == "translate" and stored is not None:
        original = await stored_form(request.app[DB], stored, stored.default_lang)
        context["original"] = original
        context["original_lang"] = stored.default_lang
        existing = await db.fetch_all("SELECT lang FROM translations WHERE object_id = ?", (stored.id,))
        context["existing_langs"] = [r["lang"] for r in existing]
    return context


@login_required
async def get_new(request: web.Request) -> web.Response:
    kind = _kind(request)
    who, _ = gettext(request)
    form = {"lang": who.ui, "comments": "on", "join_mode": "free", "status": "confirmed",
            "timezone": request.app[CONFIG].time_zone}
    if kind == "outcome" and request.query.get("journey"):
        form["journey"] = request.query["journey"]
    return await page(request, "desk/item_form.html", await _context(request, kind, "new", form))


@login_required
async def get_edit(request: web.Request) -> web.Response:
    kind = _kind(request)
    stored = await _editable(request, kind)
    form = await stored_form(request.app[DB], stored, request.query.get("lang") or stored.default_lang,
                             own_texts_only=True)
    return await page(request, "desk/item_form.html", await _context(request, kind, "edit", form, stored=stored))


@login_required
async def get_translate(request: web.Request) -> web.Response:
    kind = _kind(request)
    stored = await _editable(request, kind)
    # The texts start empty, the original beside them: what is left untranslated keeps its own language.
    form = await stored_form(request.app[DB], stored, "", own_texts_only=True)
    form.update(lang=request.query.get("lang", ""), title="", summary="", body="")
    return await page(request, "desk/item_form.html", await _context(request, kind, "translate", form, stored=stored))


async def _submit(request: web.Request, kind: str, mode: str, stored: StoredObject | None) -> web.Response:
    db, config, urls = request.app[DB], request.app[CONFIG], request.app[URLS]
    user = await user_of(request)
    who, _ = gettext(request)
    form = await fields(request)
    if form.get("action") == "save_draft":
        return await _save_draft(request, kind, mode, stored, form)
    if stored is not None:
        form["slug"] = stored.slug  # the address of an item never changes
    elif not form.get("slug", "").strip() and form.get("title", "").strip():
        form["slug"] = slugify(form["title"])
    refused: list[FieldError] = []  # every mistake at once, each beside its field
    untitled = not form.get("slug", "").strip()
    if untitled:
        refused.append(FieldError("title", _("The title is required.")))
    media = await list_media(db, config.base_url, user.actor_id, limit=100)
    meta, body = to_mapping(kind, {k: v for k, v in form.items() if k in FIELDS[kind]},
                            form_attachments(form, media), refused)
    try:
        await _check_mode(request, kind, mode, stored, form)
    except FieldError as exc:
        refused.append(exc)
    errors: dict[str, str] = {}
    for problem in refused:
        _add(errors, problem.field, problem.text(_))
    draft = None
    try:
        draft = draft_from_mapping(meta, body, default_lang=config.default_lang)
    except DraftError as exc:
        for found in exc.problems:
            if not (untitled and found.about in ("slug", "title")):  # "The title is required." says it
                _add(errors, field_of(found.about, kind), shown(found.message, who.ui,
                                                                translation=mode == "translate"))
    if errors or draft is None or form.get("action") == "preview":
        shown_preview = await preview_html(request, draft, stored, user) if draft is not None and not errors \
            else None
        context = await _context(request, kind, mode, form, stored=stored, errors=errors, preview=shown_preview)
        return await page(request, "desk/item_form.html", context, status=400 if errors else 200)
    author = await get_actor(db, user.username)
    assert author is not None
    try:
        result = await publish(db, urls, network=config.network, author=author, draft=draft)
    except PublishError as exc:
        field, message = _publish_error(exc, draft, who.ui)
        errors[field] = message
        return await page(request, "desk/item_form.html",
                          await _context(request, kind, mode, form, stored=stored, errors=errors), status=400)
    if form.get("draft_id", "").isdigit():  # published: the draft it was is done
        await desk_drafts.remove(db, int(form["draft_id"]), user.actor_id)
    await notice(request, _("Published: %(title)s", title=draft.title))
    raise redirect(f"/desk?published={quote(urlsplit(result.iri).path)}")


async def _save_draft(request: web.Request, kind: str, mode: str, stored: StoredObject | None,
                      form: dict[str, str]) -> web.Response:
    """Keep the form as typed, unchecked and unpublished: nothing is sent to anyone."""
    user = await user_of(request)
    _who, _ = gettext(request)
    kept = {k: v for k, v in form.items() if k not in ("action", "draft_id")}
    draft_id = int(form["draft_id"]) if form.get("draft_id", "").isdigit() else None
    try:
        saved = await desk_drafts.save(request.app[DB], actor_id=user.actor_id, kind=kind, mode=mode,
                                       object_id=stored.id if stored else None, form=kept, draft_id=draft_id)
    except desk_drafts.DraftLimit:
        errors = {"": _("You have %(num)s drafts already: publish or delete some first.", num=desk_drafts.MAX_DRAFTS)}
        return await page(request, "desk/item_form.html",
                          await _context(request, kind, mode, form, stored=stored, errors=errors), status=400)
    await notice(request, _("Draft saved: nothing is published or sent until you press Publish."))
    raise redirect(f"/desk/drafts/{saved}")


@login_required
async def get_draft(request: web.Request) -> web.Response:
    """A saved draft back in its form, to finish it: the form posts where it would have (new, edit or
    translate), with the draft's id, so that saving again updates it and publishing removes it."""
    user = await user_of(request)
    draft_id = request.match_info["id"]
    saved = await desk_drafts.load(request.app[DB], int(draft_id), user.actor_id) if draft_id.isdigit() else None
    if saved is None:
        raise web.HTTPNotFound(text="Not found")
    stored = None
    action = f"/desk/new/{saved.kind}"
    if saved.mode != "new" and saved.slug is not None:
        stored = await find_object(request.app[DB], saved.kind, saved.slug)
        action = f"/desk/{saved.kind}/{saved.slug}/{saved.mode}"
    context = await _context(request, saved.kind, saved.mode, {**saved.form, "draft_id": str(saved.id)},
                             stored=stored)
    context["action"] = action
    return await page(request, "desk/item_form.html", context)


@login_required
async def post_delete_draft(request: web.Request) -> web.Response:
    """Throw a draft away, once the box saying so is ticked (no JavaScript needed to confirm)."""
    user = await user_of(request)
    _who, _ = gettext(request)
    form = await fields(request)
    draft_id = request.match_info["id"]
    if form.get("confirm") != "on":
        await notice(request, _("Tick the box to confirm, then delete."))
        raise redirect("/desk#drafts")
    if not draft_id.isdigit() or not await desk_drafts.remove(request.app[DB], int(draft_id), user.actor_id):
        raise web.HTTPNotFound(text="Not found")
    await notice(request, _("The draft was deleted."))
    raise redirect("/desk#drafts")


def _add(errors: dict[str, str], field: str, message: str) -> None:
    """`message` beside `field`, after those already there."""
    errors[field] = f"{errors[field]} {message}" if field in errors else message


def _publish_error(exc: PublishError, draft: Draft, lang: str) -> tuple[str, str]:
    """(field, message) for a refusal of node/publishing.py, which words them for the CLI: the one a form
    can meet (its own checks come first) is an outcome's journey deleted meanwhile, said in `lang`."""
    if exc.field == "journey" and draft.journey:
        return "journey", shown(Message(N_("no journey %(journey)s on this node (publish the journey first)"),
                                        journey=Typed(draft.journey)), lang)
    return "", str(exc)


async def _check_mode(request: web.Request, kind: str, mode: str, stored: StoredObject | None,
                      form: dict[str, str]) -> None:
    """A new item must not take an existing item's address; a translation must be in a new language."""
    _who, _ = gettext(request)
    if mode == "new":
        existing = await find_object(request.app[DB], kind, form.get("slug", "").strip())
        if existing is not None:
            raise FieldError("slug", _("This address is already taken: choose another one."))
    elif mode == "translate" and stored is not None:
        lang = form.get("lang", "").strip()
        if not lang:
            raise FieldError("lang", _("Choose the language of the translation."))
        langs = {r["lang"].lower() for r in await request.app[DB].fetch_all(
            "SELECT lang FROM translations WHERE object_id = ?", (stored.id,))}
        if lang.lower() in langs:
            raise FieldError("lang", _("This item is already written in this language: edit that version instead."))
    elif mode == "edit" and stored is not None:
        exists = await request.app[DB].fetch_value(
            "SELECT 1 FROM translations WHERE object_id = ? AND lang = ?", (stored.id, form.get("lang", "")))
        if not exists:
            raise FieldError("lang", _("To write this item in another language, add a translation."))


@login_required
@accepts_long_form(MAX_FORM_BODY)
async def post_new(request: web.Request) -> web.Response:
    return await _submit(request, _kind(request), "new", None)


@login_required
@accepts_long_form(MAX_FORM_BODY)
async def post_edit(request: web.Request) -> web.Response:
    kind = _kind(request)
    return await _submit(request, kind, "edit", await _editable(request, kind))


@login_required
@accepts_long_form(MAX_FORM_BODY)
async def post_translate(request: web.Request) -> web.Response:
    kind = _kind(request)
    return await _submit(request, kind, "translate", await _editable(request, kind))


async def _title(request: web.Request, stored: StoredObject, lang: str) -> tuple[str, str]:
    """(title, its language): in `lang` when the item has that translation, else in its own language."""
    row = await request.app[DB].fetch_one(
        "SELECT lang, title FROM translations WHERE object_id = ? ORDER BY lang = ? DESC, lang = ? DESC LIMIT 1",
        (stored.id, lang, stored.default_lang))
    return (row["title"], row["lang"]) if row else (stored.slug, stored.default_lang)


@login_required
async def get_delete(request: web.Request) -> web.Response:
    """What deleting the item does, in plain words, and the button that does it (POST, same path)."""
    kind = _kind(request)
    stored = await _editable(request, kind)  # the people who may edit an item may delete it
    who, _ = gettext(request)
    title, title_lang = await _title(request, stored, who.ui)
    return await page(request, "desk/delete.html", {"kind": kind, "stored": stored, "title": title,
                                                    "title_lang": title_lang, "action": request.path,
                                                    "section": "desk"})


@login_required
async def post_delete(request: web.Request) -> web.Response:
    """Tombstone the item and send a Delete to everyone who received it (node/publishing.delete)."""
    kind = _kind(request)
    stored = await _editable(request, kind)  # gone already: 404, like the edit page
    db, config, urls = request.app[DB], request.app[CONFIG], request.app[URLS]
    who, _ = gettext(request)
    title, _lang = await _title(request, stored, who.ui)
    author = await get_actor(db, (await user_of(request)).username)
    assert author is not None
    try:
        await delete(db, urls, network=config.network, author=author, kind=kind, slug=stored.slug)
    except PublishError:  # deleted by another request in the meantime
        raise web.HTTPNotFound(text="Not found") from None
    await notice(request, _("Deleted: %(title)s", title=title))
    raise redirect("/desk")
