"""Images of peers' items, served from this node (`/remote/{id}/media/{n}`): fetched once from their
server and kept in DATA/remote-media, so a reader's browser never contacts another server (its address
stays with us) and a page keeps its images while that server is down.

Not an open proxy: only an image an item we hold names is fetched, by its place in that item. What is
kept is checked by its first bytes (JPEG, PNG, WebP, GIF, as uploads are: node/media.py), never by the
Content-Type the other server sent, so nothing scriptable is served from our origin. The folder is a
cache: bounded (MAX_CACHE_BYTES, the least recently used go first), left out of backups, safe to delete.
"""

import asyncio
import hashlib
import os
from pathlib import Path
from urllib.parse import urljoin

import aiohttp

from .media import MAX_BYTES, sniff
from .netguard import BlockedAddressError, check_url

MAX_CACHE_BYTES = 200 * 1024 * 1024
MAX_REDIRECTS = 3


class RemoteMediaError(Exception):
    """The image cannot be had; `status` is what to answer (404: none, 502: its server failed us)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def cache_dir(data_dir: Path) -> Path:
    return data_dir / "remote-media"


def _paths(folder: Path, url: str) -> tuple[Path, Path]:
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()
    return folder / key, folder / f"{key}.type"


async def image(session: aiohttp.ClientSession, folder: Path, url: str, *, allow_private: bool,
                time_limit: float, user_agent: str) -> tuple[Path, str]:
    """(the file, its media type) of the image at `url`: from the cache, else fetched and kept."""
    path, kind = _paths(folder, url)
    try:
        media_type = await asyncio.to_thread(kind.read_text, encoding="ascii")
        os.utime(path)  # recently used: evicted last
        return path, media_type
    except OSError:
        pass
    data = await _fetch(session, url, allow_private=allow_private, time_limit=time_limit, user_agent=user_agent)
    media_type = sniff(data[:16])
    if media_type is None:
        raise RemoteMediaError(502, f"{url} is not a JPEG, PNG, WebP or GIF image")
    await asyncio.to_thread(_keep, folder, path, kind, data, media_type)
    return path, media_type


async def _fetch(session: aiohttp.ClientSession, url: str, *, allow_private: bool, time_limit: float,
                 user_agent: str) -> bytes:
    """The body at `url`, at most MAX_BYTES, redirects followed by hand (each checked by the SSRF guard)."""
    for _ in range(MAX_REDIRECTS + 1):
        try:
            check_url(url, allow_private)
        except BlockedAddressError as exc:
            raise RemoteMediaError(502, f"refused to fetch {url}: {exc}") from exc
        try:
            async with session.get(url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=time_limit),
                                   headers={"User-Agent": user_agent, "Accept": "image/*"}) as resp:
                if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                    url = urljoin(url, resp.headers["Location"])
                    if not url.startswith(("https://", "http://")):
                        raise RemoteMediaError(502, "redirected away from the web")
                    continue
                if resp.status != 200:
                    raise RemoteMediaError(404 if resp.status in (404, 410) else 502, f"{url} answered {resp.status}")
                data = await resp.content.read(MAX_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise RemoteMediaError(502, f"{url}: {exc.__class__.__name__}") from exc
        if len(data) > MAX_BYTES:
            raise RemoteMediaError(502, f"{url} is larger than {MAX_BYTES} bytes")
        return data
    raise RemoteMediaError(502, f"{url}: more than {MAX_REDIRECTS} redirects")


def _keep(folder: Path, path: Path, kind: Path, data: bytes, media_type: str) -> None:
    """Write the image and its type (atomically: a reader never sees half a file), then evict."""
    folder.mkdir(mode=0o755, exist_ok=True)
    for target, content in ((path, data), (kind, media_type.encode("ascii"))):
        partial = target.with_name(f".{target.name}.part")
        partial.write_bytes(content)
        os.replace(partial, target)
    _evict(folder)


def _evict(folder: Path) -> None:
    """Delete the least recently used images until the folder is within MAX_CACHE_BYTES."""
    entries = []
    for entry in os.scandir(folder):
        if entry.is_file() and not entry.name.endswith((".type", ".part")):
            info = entry.stat()
            entries.append((info.st_mtime, info.st_size, Path(entry.path)))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= MAX_CACHE_BYTES:
            break
        path.with_name(f"{path.name}.type").unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        total -= size
