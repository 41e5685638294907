"""Images organizers upload (attachments, the network's and their own avatars), kept in DATA/media under a random name
and served at /media/NAME.

What a file is comes from its first bytes, never from its name or the Content-Type the browser sent:
only JPEG, PNG, WebP and GIF are kept, so nothing scriptable (SVG, HTML) is ever served from our
origin. The name is random, so nothing of the uploader's file name reaches a URL or the disk."""

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from . import clock
from .appkeys import CONFIG, DB
from .db import Database
from .formerrors import FieldError, _

MAX_BYTES = 5 * 1024 * 1024
MAX_ALT = 1500
NAME = re.compile(r"^[A-Za-z0-9_-]{22,64}\.(jpg|png|webp|gif)$")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


class MediaError(FieldError):
    """An upload is refused; the field is the file's or its alt text's."""


class TooLarge(MediaError):
    """The file is over MAX_BYTES: the form comes back with 413, its other fields kept."""

    status = 413


@dataclass(frozen=True)
class Media:
    id: int
    name: str
    media_type: str
    alt: str
    lang: str
    url: str


def sniff(head: bytes) -> str | None:
    """The media type the bytes are, among the four we keep; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check(data: bytes, alt: str, *, file_field: str = "file", alt_field: str = "alt", need_alt: bool = True) -> str:
    """Validate an upload before anything is written; returns its media type."""
    if not data:
        raise MediaError(file_field, _("Choose an image file."))
    if len(data) > MAX_BYTES:
        raise TooLarge(file_field, _("The image is larger than %(size)s MB."), size=MAX_BYTES // (1024 * 1024))
    media_type = sniff(data[:16])
    if media_type is None:
        raise MediaError(file_field, _("Only JPEG, PNG, WebP and GIF images are accepted."))
    if need_alt and not alt.strip():
        raise MediaError(alt_field, _("Describe the image: people using screen readers need this text."))
    if len(alt) > MAX_ALT:
        raise MediaError(alt_field, _("Write at most %(count)s characters."), count=MAX_ALT)
    return media_type


def media_dir(data_dir: Path) -> Path:
    return data_dir / "media"


def write_file(data_dir: Path, data: bytes, media_type: str) -> str:
    """Write the bytes under a fresh random name (atomically: a reader never sees half a file)."""
    folder = media_dir(data_dir)
    folder.mkdir(mode=0o755, exist_ok=True)
    name = f"{secrets.token_urlsafe(24)}.{EXTENSIONS[media_type]}"
    partial = folder / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, folder / name)
    return name


def remove_file(data_dir: Path, name: str) -> None:
    (media_dir(data_dir) / name).unlink(missing_ok=True)


@contextlib.contextmanager
def written(data_dir: Path, data: bytes, media_type: str) -> Iterator[str]:
    """The upload written under a fresh name, for the block that records it: removed again if the block
    fails, so a refused or crashed save leaves no orphan file."""
    name = write_file(data_dir, data, media_type)
    try:
        yield name
    except BaseException:
        remove_file(data_dir, name)
        raise


def url_of(base_url: str, name: str) -> str:
    return f"{base_url}/media/{name}"


async def store(db: Database, data_dir: Path, base_url: str, *, actor_id: int, data: bytes, alt: str,
                lang: str) -> Media:
    """Check, write and record an upload; a failure leaves neither a file nor a row behind."""
    media_type = check(data, alt)
    with written(data_dir, data, media_type) as name:
        async with db.transaction() as tx:
            media_id = await tx.execute(
                "INSERT INTO media (name, actor_id, media_type, size, alt, lang, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, actor_id, media_type, len(data), alt.strip(), lang, clock.iso()))
    return Media(media_id, name, media_type, alt.strip(), lang, url_of(base_url, name))


async def list_media(db: Database, base_url: str, actor_id: int, limit: int = 24) -> list[Media]:
    rows = await db.fetch_all("SELECT id, name, media_type, alt, lang FROM media WHERE actor_id = ?"
                              " ORDER BY id DESC LIMIT ?", (actor_id, limit))
    return [Media(r["id"], r["name"], r["media_type"], r["alt"], r["lang"], url_of(base_url, r["name"])) for r in rows]


async def get_media(request: web.Request) -> web.StreamResponse:
    """`/media/NAME`: an uploaded image, with the type it was checked to be."""
    name = request.match_info["name"]
    if not NAME.match(name):
        raise web.HTTPNotFound(text="Not found")
    media_type = await request.app[DB].fetch_value("SELECT media_type FROM media WHERE name = ?", (name,))
    path = media_dir(request.app[CONFIG].data_dir) / name
    if media_type is None or not path.is_file():
        raise web.HTTPNotFound(text="Not found")
    return web.FileResponse(path, headers={
        "Content-Type": media_type, "Cache-Control": "public, max-age=31536000, immutable",
        "Content-Security-Policy": "default-src 'none'; sandbox"})
