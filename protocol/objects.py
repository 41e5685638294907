"""Content objects we publish: multilingual AS2 objects (Article for practice write-ups).

AS2 vocabulary: `nameMap`/`summaryMap`/`contentMap` keyed by BCP 47 tags, with `name`/`summary`/
`content` in the node's default language because Mastodon reads `content` first.
Mastodon converts an Article into `<h2>name</h2>`, the summary and a link to `url`, dropping
`content`: the teaser `summary` is what a Mastodon reader sees, so it is always set.
"""

from dataclasses import dataclass, field
from typing import Any

from .hashtags import hashtag_name
from .jsonld import OUTGOING_CONTEXT


@dataclass(frozen=True)
class Translation:
    """The text of an object in one language; `content_html` is already sanitized."""

    lang: str
    title: str
    summary: str
    content_html: str


@dataclass(frozen=True)
class Tag:
    """A theme and the node's tag page for it; federated as a Hashtag named as Mastodon keeps it whole
    (`food-sovereignty` as `#FoodSovereignty`, protocol/hashtags.py)."""

    name: str
    href: str


@dataclass(frozen=True)
class Publication:
    """A local object ready to be rendered as AS2; `extra` carries type-specific structured fields."""

    iri: str
    type: str
    attributed_to: str
    url: str
    published: str
    default_lang: str
    translations: tuple[Translation, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]
    updated: str | None = None
    tags: tuple[Tag, ...] = ()
    in_reply_to: str | None = None
    context: str | None = None
    replies_iri: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def translation(self, lang: str | None = None) -> Translation:
        """The text in `lang`, else the default language, else the first one."""
        wanted = lang or self.default_lang
        for t in self.translations:
            if t.lang == wanted:
                return t
        for t in self.translations:
            if t.lang == self.default_lang:
                return t
        return self.translations[0]


def _hashtag(tag: Tag) -> dict[str, str]:
    """A theme as Mastodon keeps it whole (`#FoodSovereignty`); its tag page, which answers every
    spelling of the theme, named the same way."""
    name = hashtag_name(tag.name)
    page, _, last = tag.href.rpartition("/")
    return {"type": "Hashtag", "name": f"#{name}", "href": f"{page}/{name}" if last == tag.name else tag.href}


def build_object(pub: Publication, *, with_context: bool = True) -> dict[str, Any]:
    """The AS2 document of a publication, all languages included, the original's first: Mastodon takes
    the first key of `contentMap` (else `nameMap`, `summaryMap`) as the post's language."""
    main = pub.translation()
    texts = sorted(pub.translations, key=lambda t: t.lang != main.lang)  # stable: the others keep their order
    doc: dict[str, Any] = {}
    if with_context:
        doc["@context"] = OUTGOING_CONTEXT
    doc.update(
        {
            "id": pub.iri,
            "type": pub.type,
            "attributedTo": pub.attributed_to,
            "name": main.title,
            "summary": main.summary,
            "content": main.content_html,
            "nameMap": {t.lang: t.title for t in texts},
            "summaryMap": {t.lang: t.summary for t in texts},
            "contentMap": {t.lang: t.content_html for t in texts},
            "url": pub.url,
            "mediaType": "text/html",
            "published": pub.published,
            "to": list(pub.to),
            "cc": list(pub.cc),
            "sensitive": False,
        }
    )
    if pub.tags:  # no empty array (AS2)
        doc["tag"] = [_hashtag(t) for t in pub.tags]
    if pub.updated:
        doc["updated"] = pub.updated
    if pub.in_reply_to:
        doc["inReplyTo"] = pub.in_reply_to
    if pub.context:
        doc["context"] = pub.context
    if pub.replies_iri:
        doc["replies"] = pub.replies_iri
    doc.update(pub.extra)
    return doc
