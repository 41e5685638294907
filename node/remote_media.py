"""Other servers' images, served from this node (peers' items: `/remote/{id}/media/{n}`; any image a
page shows: node/page_images.py): fetched once from their server and kept in DATA/remote-media, so a
reader's browser never contacts another server (its address stays with us) and a page keeps its images
while that server is down.

Not an open proxy: only an image an object we hold and show names is fetched, by its place or key in
that object (node/web/images.py), never a URL a request gives. What is
kept is checked by its first bytes (JPEG, PNG, WebP, GIF, as uploads are: node/media.py), never by the
Content-Type the other server sent, so nothing scriptable is served from our origin; the type it is
served with is read from those bytes again, so a file is all the cache keeps. The folder is a
cache: bounded (MAX_CACHE_BYTES, the least recently used go first), left out of backups, safe to delete.
"""

import asyncio
import hashlib
import os
import time
from collections import OrderedDict
from pathlib import Path

from .fetch import Fetcher, FetchError
from .media import MAX_BYTES, sniff

MAX_CACHE_BYTES = 200 * 1024 * 1024
FAILURE_SECONDS = 600.0
MAX_FAILURES = 1000


class RemoteMediaError(Exception):
    """The image cannot be had; `status` is what to answer (404: none, 502: its server failed us)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# By the image's file in the cache (its folder and URL): the images being fetched, the recent failures.
_fetching: dict[Path, "asyncio.Future[tuple[Path, str]]"] = {}
_failures: OrderedDict[Path, tuple[float, int, str]] = OrderedDict()  # until when, status, reason


def cache_dir(data_dir: Path) -> Path:
    return data_dir / "remote-media"


def _path(folder: Path, url: str) -> Path:
    return folder / hashlib.sha256(url.encode("utf-8")).hexdigest()


def _cached(path: Path) -> str | None:
    """The media type of the kept image at `path`, read from its first bytes (marking it recently used:
    evicted last), or None when there is none."""
    try:
        with path.open("rb") as file:
            media_type = sniff(file.read(16))
        os.utime(path)
    except OSError:
        return None
    return media_type


async def image(fetcher: Fetcher, folder: Path, url: str) -> tuple[Path, str]:
    """(the file, its media type) of the image at `url`: from the cache, else fetched (an unsigned GET,
    redirects by hand, the SSRF guard: node/fetch.py) and kept. Readers asking at once share one fetch,
    and a failure is answered again for FAILURE_SECONDS without fetching: however many readers load a
    page naming a broken or hostile address, its server is asked once."""
    path = _path(folder, url)
    media_type = await asyncio.to_thread(_cached, path)
    if media_type is not None:
        return path, media_type
    failed = _failures.get(path)
    if failed is not None and failed[0] > time.monotonic():
        raise RemoteMediaError(failed[1], failed[2])
    fetch = _fetching.get(path)
    if fetch is None:
        fetch = _fetching[path] = asyncio.ensure_future(_fetch(fetcher, folder, path, url))
        fetch.add_done_callback(lambda _: _fetching.pop(path, None))
    return await asyncio.shield(fetch)  # a reader who leaves does not cancel the others' fetch


async def _fetch(fetcher: Fetcher, folder: Path, path: Path, url: str) -> tuple[Path, str]:
    try:
        try:
            data = await fetcher.get_media(url, max_bytes=MAX_BYTES)
        except FetchError as exc:
            raise RemoteMediaError(404 if exc.gone else 502, exc.reason) from exc
        media_type = sniff(data[:16])
        if media_type is None:
            raise RemoteMediaError(502, f"{url} is not a JPEG, PNG, WebP or GIF image")
    except RemoteMediaError as exc:
        _failures[path] = (time.monotonic() + FAILURE_SECONDS, exc.status, exc.reason)
        while len(_failures) > MAX_FAILURES:
            _failures.popitem(last=False)
        raise
    await asyncio.to_thread(_keep, folder, path, data)
    return path, media_type


def _keep(folder: Path, path: Path, data: bytes) -> None:
    """Write the image (atomically: a reader never sees half a file), then evict."""
    folder.mkdir(mode=0o755, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    os.replace(partial, path)
    _evict(folder)


def _evict(folder: Path) -> None:
    """Delete the least recently used images until the folder is within MAX_CACHE_BYTES."""
    entries = []
    for entry in os.scandir(folder):
        if entry.is_file() and not entry.name.endswith(".part"):
            info = entry.stat()
            entries.append((info.st_mtime, info.st_size, Path(entry.path)))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= MAX_CACHE_BYTES:
            break
        path.unlink(missing_ok=True)
        total -= size
