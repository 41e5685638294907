"""Publishing a write-up: Markdown with front matter in, a Create (or Update) by the author and an
Announce by the network Group out, all stored and queued in one transaction."""

import json
import re
from dataclasses import dataclass, field
from typing import Any

import frontmatter
import yaml

from protocol.activities import build_announce, build_create, build_update
from protocol.jsonld import AS_PUBLIC
from protocol.objects import build_object

from . import clock
from .accounts import ActorRow
from .content import find_object, load_publication
from .db import Database
from .follows import follower_inboxes
from .outbox import send
from .render import markdown_to_html
from .urls import KIND_PATHS, Urls

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_TITLE, MAX_SUMMARY, MAX_BODY = 300, 2000, 200_000
TAG = re.compile(r"^[\w-]{1,64}$")


class PublishError(Exception):
    """The file or request cannot be published; the message names the field and the problem."""


@dataclass(frozen=True)
class Draft:
    """What an organizer submits, in one language."""

    kind: str
    slug: str
    lang: str
    title: str
    summary: str
    body_md: str
    themes: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    iri: str
    created: bool
    activity_iris: tuple[str, ...]


def _text(meta: dict[str, Any], key: str, limit: int, required: bool = True) -> str:
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PublishError(f"front matter: '{key}' is required")
        return ""
    if not isinstance(value, str | int | float):
        raise PublishError(f"front matter: '{key}' must be text")
    text = str(value).strip()
    if len(text) > limit:
        raise PublishError(f"front matter: '{key}' is longer than {limit} characters")
    return text


def parse_draft(text: str, *, default_lang: str) -> Draft:
    """Read Markdown with YAML front matter: `type`, `slug`, `lang`, `title`, `summary`, `themes`."""
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise PublishError(f"front matter is not valid YAML: {exc}") from exc
    meta = dict(post.metadata)
    kind = _text(meta, "type", 20)
    if kind not in KIND_PATHS:
        raise PublishError(f"front matter: 'type' must be one of {', '.join(KIND_PATHS)}, got {kind!r}")
    slug = _text(meta, "slug", 100)
    if not SLUG.match(slug):
        raise PublishError(f"front matter: 'slug' must be lowercase letters, digits and '-', got {slug!r}")
    lang = _text(meta, "lang", 35, required=False) or default_lang
    if not LANG.match(lang):
        raise PublishError(f"front matter: 'lang' is not a BCP 47 language tag: {lang!r}")
    themes_raw = meta.get("themes", [])
    if isinstance(themes_raw, str):
        themes_raw = [t.strip() for t in themes_raw.split(",")]
    if not isinstance(themes_raw, list) or not all(isinstance(t, str) for t in themes_raw):
        raise PublishError("front matter: 'themes' must be a list of words")
    themes = tuple(dict.fromkeys(t.strip().lstrip("#").lower() for t in themes_raw if t.strip()))
    for theme in themes:
        if not TAG.match(theme):
            raise PublishError(f"front matter: theme {theme!r} must be one word (letters, digits, '-', '_')")
    body = post.content.strip()
    if len(body) > MAX_BODY:
        raise PublishError(f"body is longer than {MAX_BODY} characters")
    known = {"type", "slug", "lang", "title", "summary", "themes"}
    return Draft(
        kind=kind, slug=slug, lang=lang, title=_text(meta, "title", MAX_TITLE),
        summary=_text(meta, "summary", MAX_SUMMARY), body_md=body, themes=themes,
        fields={k: v for k, v in meta.items() if k not in known},
    )


async def publish(db: Database, urls: Urls, *, network: str, author: ActorRow, draft: Draft) -> PublishResult:
    """Create the object or, when the slug exists, edit it (same language) or add a translation (new
    language). The author sends Create/Update to its followers and the network's; for a new object
    the network Group also Announces it (FEP-1b12), which is what Mastodon followers of the Group see."""
    content_html = markdown_to_html(draft.body_md)
    now = clock.iso()
    async with db.transaction() as tx:
        existing = await find_object(tx, draft.kind, draft.slug)
        if existing and existing.deleted_at:
            raise PublishError(f"{existing.iri} was deleted; choose another slug")
        if existing and existing.actor_id != author.id:
            role = await tx.fetch_value("SELECT role FROM users WHERE actor_id = ?", (author.id,))
            if role != "admin":
                raise PublishError(f"{existing.iri} belongs to {existing.author}; only they or an admin can edit it")
        if existing is None:
            object_id = await tx.execute(
                "INSERT INTO objects (iri, kind, slug, actor_id, default_lang, fields, published_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (urls.object(draft.kind, draft.slug), draft.kind, draft.slug, author.id, draft.lang,
                 json.dumps(draft.fields), now),
            )
        else:
            object_id = existing.id
            fields = {**existing.fields, **draft.fields}
            await tx.execute("UPDATE objects SET fields = ?, updated_at = ? WHERE id = ?",
                             (json.dumps(fields), now, object_id))
        await tx.execute(
            "INSERT INTO translations (object_id, lang, title, summary, content_md, content_html)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (object_id, lang) DO UPDATE SET title = excluded.title,"
            " summary = excluded.summary, content_md = excluded.content_md, content_html = excluded.content_html",
            (object_id, draft.lang, draft.title, draft.summary, draft.body_md, content_html),
        )
        if draft.themes:
            await tx.execute("DELETE FROM object_tags WHERE object_id = ?", (object_id,))
            await tx.execute_many("INSERT INTO object_tags (object_id, name) VALUES (?, ?)",
                                  [(object_id, t) for t in draft.themes])
        stored = await find_object(tx, draft.kind, draft.slug)
        assert stored is not None
        document = build_object(await load_publication(tx, urls, stored, network), with_context=False)
        author_iri = urls.actor(stored.author)
        network_iri = urls.actor(network)
        inboxes = await follower_inboxes(tx, [author_iri, network_iri])
        if existing is None:
            activity = build_create(iri=urls.new_activity(), actor=author_iri, obj=document, published=now)
        else:
            activity = build_update(iri=urls.new_activity(), actor=author_iri, obj=document, published=now)
        await send(tx, actor_id=author.id, document=activity, inboxes=inboxes)
        iris = [activity["id"]]
        if existing is None:
            group_id = await tx.fetch_value("SELECT id FROM actors WHERE username = ?", (network,))
            announce = build_announce(
                iri=urls.new_activity(), actor=network_iri, object_iri=stored.iri, to=[AS_PUBLIC],
                cc=[urls.followers(network), author_iri], published=now,
            )
            await send(tx, actor_id=group_id, document=announce,
                       inboxes=await follower_inboxes(tx, [network_iri]))
            iris.append(announce["id"])
    return PublishResult(iri=stored.iri, created=existing is None, activity_iris=tuple(iris))
