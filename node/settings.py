"""Node settings an admin changes from the browser: title, description and avatar of the network
Group, its charter, the languages on offer, follow approval and comment moderation.

`maillage.toml` is never rewritten (it is the operator's file, with their comments): a changed
setting is a row of the `settings` table that overrides the file. The serving process keeps the
effective values in one mutable `NodeSettings` (app[SETTINGS]) that pages read on every request, so
a change takes effect at once; the Group's name, summary and avatar live in its `actors` row, which
its actor document is built from, and a change there is sent to its followers as an Update."""

import json
from dataclasses import dataclass, field, replace
from typing import Any

from protocol.langmap import canonical_lang_tag, is_lang_tag

from . import clock, social
from .accounts import get_actor
from .config import LANGUAGES, Config
from .db import Database, Transaction
from .formerrors import FieldError, _
from .profiles import record_avatar, send_actor_update
from .render import markdown_to_html
from .urls import Urls

MAX_TITLE, MAX_SUMMARY, MAX_CHARTER = 200, 2000, 20_000


class SettingsError(FieldError):
    """A submitted setting is invalid; `field` names the form field."""


@dataclass
class NodeSettings:
    """The effective settings of the serving process (mutated in place when an admin saves)."""

    title: str
    summary_md: str = ""
    summary_html: str = ""
    charter_md: str = ""
    charter_html: str = ""
    languages: tuple[str, ...] = LANGUAGES
    manual_approval: bool = False
    comments: str = "open"
    avatar_url: str | None = None
    default_lang: str = "fr"
    extra: dict[str, Any] = field(default_factory=dict)

    def update(self, other: "NodeSettings") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(other, name))


async def overrides(db: Database | Transaction) -> dict[str, Any]:
    """{key: value} of the settings changed from the admin pages (a table made by migration 0007)."""
    rows = await db.fetch_all("SELECT key, value FROM settings")
    return {r["key"]: json.loads(r["value"]) for r in rows}


async def load(db: Database | Transaction, config: Config) -> NodeSettings:
    """maillage.toml, overridden by the settings table; title, summary and avatar from the Group's row."""
    found = await overrides(db)
    group = await get_actor(db, config.network)
    summary_md = str(found.get("summary", ""))
    charter_md = str(found.get("charter", ""))
    languages = tuple(found.get("languages") or config.languages)
    return NodeSettings(
        title=str(found.get("title", config.title)), summary_md=summary_md,
        summary_html=group.summary if group else "", charter_md=charter_md,
        charter_html=markdown_to_html(charter_md) if charter_md else "",
        languages=languages if config.default_lang in languages else (config.default_lang, *languages),
        manual_approval=bool(found.get("manual_approval", config.manual_approval)),
        comments=str(found.get("comments", config.comments)), avatar_url=group.icon_url if group else None,
        default_lang=config.default_lang,
    )


def parse_languages(text: str, default_lang: str) -> tuple[str, ...]:
    tags = [t for t in text.replace(",", " ").split() if t]
    for tag in tags:
        if not is_lang_tag(tag):
            raise SettingsError("languages", _("“%(tag)s” is not a language tag (like fr, en, es, pt-BR)."), tag=tag)
    langs = tuple(dict.fromkeys(canonical_lang_tag(t) for t in tags))
    if not langs:
        raise SettingsError("languages", _("At least one language is required."))
    return langs if default_lang in langs else (default_lang, *langs)


def validated(current: NodeSettings, form: dict[str, str], *, avatar_url: str | None) -> NodeSettings:
    """New settings from the form's fields; raises SettingsError naming the first bad field."""
    title = form.get("title", "").strip()
    if not title:
        raise SettingsError("title", _("The title is required."))
    if len(title) > MAX_TITLE:
        raise SettingsError("title", _("Write at most %(count)s characters."), count=MAX_TITLE)
    summary = form.get("summary", "").strip()
    if len(summary) > MAX_SUMMARY:
        raise SettingsError("summary", _("Write at most %(count)s characters."), count=MAX_SUMMARY)
    charter = form.get("charter", "").strip()
    if len(charter) > MAX_CHARTER:
        raise SettingsError("charter", _("Write at most %(count)s characters."), count=MAX_CHARTER)
    comments = form.get("comments", "")
    if comments not in social.MODES:
        raise SettingsError("comments", _("Choose one of the options."))
    return replace(
        current, title=title, summary_md=summary, summary_html=markdown_to_html(summary) if summary else "",
        charter_md=charter, charter_html=markdown_to_html(charter) if charter else "",
        languages=parse_languages(form.get("languages", ""), current.default_lang),
        manual_approval=form.get("manual_approval") == "on", comments=comments,
        avatar_url=avatar_url if avatar_url is not None else current.avatar_url,
    )


async def save(db: Database, urls: Urls, network: str, old: NodeSettings, new: NodeSettings, *,
               avatar: tuple[str, str, int] | None = None) -> bool:
    """Store `new` in one transaction, with the new avatar's media row (name, media type, size) if one
    was uploaded; the Group's followers get an Update when its document changed. Returns whether an
    Update was sent."""
    now = clock.iso()
    values = {"summary": new.summary_md, "charter": new.charter_md, "languages": list(new.languages),
              "manual_approval": new.manual_approval, "comments": new.comments, "title": new.title}
    async with db.transaction() as tx:
        if avatar is not None:
            name, media_type, size = avatar
            await record_avatar(tx, username=network, name=name, media_type=media_type, size=size,
                                      alt=new.title, lang=new.default_lang)
        await tx.execute_many(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [(k, json.dumps(v), now) for k, v in values.items()])
        await tx.execute("INSERT INTO node_settings (key, value) VALUES ('comments', ?)"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (new.comments,))
        await tx.execute("UPDATE actors SET name = ?, summary = ?, icon_url = ? WHERE username = ?",
                         (new.title, new.summary_html, new.avatar_url, network))
        updated = await apply_approval(tx, urls, new.manual_approval)
        visible = (old.title, old.summary_html, old.avatar_url) != (new.title, new.summary_html, new.avatar_url)
        if visible and network not in updated:
            await send_actor_update(tx, urls, network)
    return visible or network in updated


async def apply_approval(tx: Transaction, urls: Urls, manual: bool) -> list[str]:
    """Make every actor that takes followers (the Group, organizers) say `manuallyApprovesFollowers` as
    the node decides follows (the inbox applies `manual_approval` to all of them), and send an Update
    to the followers of each one that changed. Run at start too: `maillage.toml` may have changed while
    the node was stopped, and a Mastodon follower only learns it from an Update. Returns who changed."""
    rows = await tx.fetch_all("SELECT username FROM actors WHERE type IN ('Group', 'Person') AND manually_approves != ?"
                              " ORDER BY id", (int(manual),))
    changed = [r["username"] for r in rows]
    if changed:
        await tx.execute("UPDATE actors SET manually_approves = ? WHERE type IN ('Group', 'Person')", (int(manual),))
    for username in changed:
        await send_actor_update(tx, urls, username)
    return changed


async def start(db: Database, urls: Urls, current: NodeSettings) -> None:
    """At start: actors' documents brought in line with the effective follow approval (apply_approval);
    no transaction at all when they are (the common start)."""
    if await db.fetch_value("SELECT 1 FROM actors WHERE type IN ('Group', 'Person') AND manually_approves != ?",
                            (int(current.manual_approval),)):
        async with db.transaction() as tx:
            await apply_approval(tx, urls, current.manual_approval)
