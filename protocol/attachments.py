"""Attachments: images with alt text and documents (AS2 `attachment` of `Image`/`Document`).

Mastodon shows an image's `name` as its alt text; we send `name` in the default language and the
other languages in `nameMap`.
"""

from dataclasses import dataclass, field
from typing import Any

from .langmap import LangMap, parse_lang_map, pick

MAX_ATTACHMENTS = 20


@dataclass(frozen=True)
class Attachment:
    url: str
    media_type: str
    alt: LangMap = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "Image" if self.media_type.startswith("image/") else "Document"


def build_attachments(items: tuple[Attachment, ...], default_lang: str) -> list[dict[str, Any]]:
    out = []
    for item in items:
        doc: dict[str, Any] = {"type": item.kind, "mediaType": item.media_type, "url": item.url}
        if item.alt:
            doc["name"] = pick(item.alt, default_lang, default_lang)
            doc["nameMap"] = dict(item.alt)
        out.append(doc)
    return out


def _url(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("href")
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def parse_attachments(value: Any, default_lang: str) -> tuple[Attachment, ...]:
    """Images and documents; links and profile fields (`PropertyValue`) are not attachments here."""
    items = value if isinstance(value, list) else [value] if value else []
    out = []
    for item in items[:MAX_ATTACHMENTS]:
        if not isinstance(item, dict) or item.get("type") not in ("Image", "Document", "Video", "Audio"):
            continue
        url = _url(item.get("url"))
        if url is None:
            continue
        media = item.get("mediaType")
        alt = parse_lang_map(item.get("nameMap"), limit=1500) or parse_lang_map(
            item.get("name"), fallback_lang=default_lang, limit=1500)
        out.append(Attachment(url=url, media_type=media if isinstance(media, str) else "application/octet-stream",
                              alt=alt))
    return tuple(out)
