"""Where a page loads each image from: this node only (README: no outside resource; CSP `img-src 'self'`).

An image another server holds would tell that server who reads the page (a tracking pixel in a comment)
and when. So a page names an image at this node's own address: an upload of ours as it is (`/media/NAME`),
any other through the image cache (node/remote_media.py) at an address of the stored object that names it,
`AT` + the key of the image's URL (`/remote/ID/images/KEY`, `/practices/SLUG/images/KEY`,
`/comments/ID/images/KEY`). The route behind such an address serves an image only if that object, shown,
names it (`named`): no URL comes from the request, so the cache is no open proxy. Where nothing is cached
for (`at` None: the desk's messages, a bio, a draft's preview), the image becomes a link with its alt text.
"""

import dataclasses
import hashlib
import html
from collections.abc import Callable, Iterable, Iterator
from html.parser import HTMLParser
from typing import Any, TypeVar

from protocol.outcomes import OutcomeDetails
from protocol.practices import TEXT_SECTIONS, PracticeDetails

from .media import NAME

D = TypeVar("D")
KEY_LENGTH = 32  # hex digits of SHA-256: 128 bits, no image is mistaken for another
_KEPT_ATTRIBUTES = ("alt", "title", "width", "height")


def image_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def _ours(url: str, base: str) -> bool:
    """An upload of this node's (`/media/NAME`, or at the node's address): served as it is."""
    path = url.removeprefix(base)
    return path.startswith("/media/") and NAME.match(path.removeprefix("/media/")) is not None


def _outside(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def image_src(url: str, base: str, at: str | None = None) -> str | None:
    """Where a page loads the image at `url` from: ours as it is, another server's at `at` + its key (the
    cache's address for the object that names it), or None (no such address: show a link instead)."""
    if _ours(url, base):
        return url
    if at and _outside(url):
        return f"{at}{image_key(url)}"
    return None


def cached(url: str, base: str) -> bool:
    """Whether a page shows this image through the cache (so its object's route may serve it)."""
    return _outside(url) and not _ours(url, base)


class _Rewriter(HTMLParser):
    """Sanitized HTML copied as it is, but for each <img>: at an address of ours, else a link to it."""

    def __init__(self, base: str, at: str | None) -> None:
        super().__init__(convert_charrefs=False)
        self.base, self.at = base, at
        self.out: list[str] = []
        self.links = 0  # open <a>: an image in a link becomes its text, not a link in a link

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "img":
            self.links += tag == "a"
            self.out.append(self.get_starttag_text() or "")
            return
        values = {k: v or "" for k, v in attrs}
        url = values.get("src", "")
        src = image_src(url, self.base, self.at)
        if src is not None:
            kept = "".join(f' {k}="{html.escape(values[k])}"' for k in _KEPT_ATTRIBUTES if k in values)
            self.out.append(f'<img src="{html.escape(src)}"{kept}>')
            return
        text = html.escape(values.get("alt") or values.get("title") or url.rsplit("/", 1)[-1] or url)
        if _outside(url) and not self.links:
            self.out.append(f'<a href="{html.escape(url)}" rel="nofollow noopener noreferrer">{text}</a>')
        else:  # in a link already, or an address relative to a page elsewhere: its text only
            self.out.append(text)

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            self.links -= 1
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")


def place_images(sanitized: str, base: str, at: str | None = None) -> str:
    """`sanitized` (node/render.sanitize's output) with each image where `image_src` puts it, or a link to
    it with its alt text where it puts none: the page names no other server's image."""
    if "<img" not in sanitized:
        return sanitized
    rewriter = _Rewriter(base, at)
    rewriter.feed(sanitized)
    rewriter.close()
    return "".join(rewriter.out)


class _Sources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.found.extend(v for k, v in attrs if k == "src" and v)

    handle_startendtag = handle_starttag


def sources(sanitized: str) -> list[str]:
    """The `src` of each <img> in `sanitized`."""
    if "<img" not in sanitized:
        return []
    parser = _Sources()
    parser.feed(sanitized)
    parser.close()
    return parser.found


def detail_html(details: Any) -> Iterator[str]:
    """The HTML sections of an item's details, every language: a practice's texts, an outcome's feedback."""
    if isinstance(details, PracticeDetails):
        for section in TEXT_SECTIONS:
            yield from getattr(details, section).values()
    elif isinstance(details, OutcomeDetails):
        yield from details.feedback.values()


def named(key: str, base: str, texts: Iterable[str], details: Any = None) -> str | None:
    """The URL of the image with this key that an object names, in its HTML `texts`, its details' sections
    or attachments, and that its pages load through the cache; None when it names none."""
    urls = [url for text in (*texts, *detail_html(details)) for url in sources(text)]
    urls += [a.url for a in getattr(details, "attachments", ()) if a.kind == "Image"]
    return next((url for url in urls if cached(url, base) and image_key(url) == key), None)


def attachments_at(details: D, address: Callable[[int, str], str | None]) -> D:
    """`details` with each image attachment at `address(n, url)` (its place in the list, its URL), kept
    where that gives None."""
    attachments = getattr(details, "attachments", ())
    if not any(a.kind == "Image" for a in attachments):
        return details
    return dataclasses.replace(details, attachments=tuple(  # type: ignore[type-var]
        dataclasses.replace(a, url=address(n, a.url) or a.url) if a.kind == "Image" else a
        for n, a in enumerate(attachments)))
