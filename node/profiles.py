"""How a local actor presents itself on the fediverse: the name, bio and avatar that Mastodon shows
on its profile. Organizers edit their own from /account/profile (the network Group's are node
settings, node/settings.py); a visible change reaches the actor's followers as an Update."""

from dataclasses import dataclass

from protocol.activities import build_update
from protocol.jsonld import AS_PUBLIC

from . import clock
from .accounts import get_actor, local_actor_document
from .db import Database, Transaction
from .follows import follower_inboxes
from .formerrors import FieldError, _
from .outbox import send
from .render import markdown_to_html
from .urls import Urls

MAX_NAME, MAX_BIO = 100, 2000


class ProfileError(FieldError):
    """A submitted profile field is invalid; `field` names the form field."""


@dataclass(frozen=True)
class Profile:
    name: str
    bio_md: str = ""
    bio_html: str = ""
    avatar_url: str | None = None


async def load(db: Database | Transaction, actor_id: int) -> Profile:
    row = await db.fetch_one("SELECT name, summary_source, summary, icon_url FROM actors WHERE id = ?", (actor_id,))
    assert row is not None, actor_id
    return Profile(row["name"], row["summary_source"], row["summary"], row["icon_url"])


def validated(current: Profile, form: dict[str, str]) -> Profile:
    """The profile from the form's fields (the avatar unchanged); raises ProfileError on the first bad one."""
    name = " ".join(form.get("name", "").split())
    if not name:
        raise ProfileError("name", _("Enter the name shown on your profile."))
    if len(name) > MAX_NAME:
        raise ProfileError("name", _("Write at most %(count)s characters."), count=MAX_NAME)
    bio = form.get("bio", "").strip()
    if len(bio) > MAX_BIO:
        raise ProfileError("bio", _("Write at most %(count)s characters."), count=MAX_BIO)
    return Profile(name, bio, markdown_to_html(bio) if bio else "", current.avatar_url)


async def save(db: Database, urls: Urls, username: str, old: Profile, new: Profile, *,
               avatar: tuple[str, str, int, str] | None = None) -> bool:
    """Store the profile in one transaction, with the new avatar's media row (name, media type, size,
    language) if one was uploaded; followers get an Update when what they see changed. Returns whether
    an Update was sent."""
    async with db.transaction() as tx:
        if avatar is not None:
            name, media_type, size, lang = avatar
            await record_avatar(tx, username=username, name=name, media_type=media_type, size=size,
                                      alt=new.name, lang=lang)
        await tx.execute("UPDATE actors SET name = ?, summary = ?, summary_source = ?, icon_url = ? WHERE username = ?",
                         (new.name, new.bio_html, new.bio_md, new.avatar_url, username))
        visible = (old.name, old.bio_html, old.avatar_url) != (new.name, new.bio_html, new.avatar_url)
        if visible:
            await send_actor_update(tx, urls, username)
    return visible


async def record_avatar(tx: Transaction, *, username: str, name: str, media_type: str, size: int, alt: str,
                        lang: str) -> None:
    """The row of an avatar written under `name` (node/media.py `written`) for the local actor `username`
    (the network's, from its settings; an organizer's, from their profile): /media/NAME serves only
    recorded files."""
    await tx.execute("INSERT INTO media (name, actor_id, media_type, size, alt, lang, created_at)"
                     " SELECT ?, id, ?, ?, ?, ?, ? FROM actors WHERE username = ?",
                     (name, media_type, size, alt, lang, clock.iso(), username))


async def send_actor_update(tx: Transaction, urls: Urls, username: str) -> None:
    """An Update of a local actor's document to its followers (Mastodon refreshes the profile)."""
    actor = await get_actor(tx, username)
    assert actor is not None
    document = local_actor_document(actor, urls)
    actor_iri = str(document["id"])
    update = build_update(iri=urls.new_activity(), actor=actor_iri, obj=document, published=clock.iso())
    update["to"] = [AS_PUBLIC]
    update["cc"] = [urls.followers(username)]
    await send(tx, actor_id=actor.id, document=update, inboxes=await follower_inboxes(tx, [actor_iri]))
