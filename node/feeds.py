"""Atom 1.0 feeds (RFC 4287) of a network's publications, for feed readers and for people who will
never have a fediverse account. Built with ElementTree, so escaping and well-formedness are the
library's job; entry content is our stored HTML, sanitized at publish time."""

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from protocol.objects import Publication

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ET.register_namespace("", ATOM)


@dataclass(frozen=True)
class FeedEntry:
    iri: str
    lang: str
    title: str
    summary: str
    content_html: str
    published: str
    updated: str
    author_name: str
    author_uri: str
    categories: tuple[tuple[str, str], ...] = ()  # (term, scheme: the node's tag pages, `BASE/tags/`)


def entry_from(pub: Publication, lang: str, author_name: str) -> FeedEntry:
    """One publication in `lang` (else its default language): the teaser as summary, the body as content."""
    text = pub.translation(lang)
    return FeedEntry(
        iri=pub.iri, lang=text.lang, title=text.title, summary=text.summary, content_html=text.content_html,
        published=pub.published, updated=pub.updated or pub.published, author_name=author_name,
        author_uri=pub.attributed_to, categories=tuple((t.name, t.href.rsplit("/", 1)[0] + "/") for t in pub.tags),
    )


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def atom_feed(*, feed_iri: str, site_url: str, title: str, lang: str, entries: Sequence[FeedEntry],
              fallback_updated: str, generator_version: str = "") -> bytes:
    """The feed document; `updated` is the newest entry's (or `fallback_updated` when there is none)."""
    root = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: lang})
    _add(root, "id", feed_iri)
    _add(root, "title", title)
    _add(root, "updated", max((e.updated for e in entries), default=fallback_updated))
    _add(root, "link", rel="self", type="application/atom+xml", href=feed_iri)
    _add(root, "link", rel="alternate", type="text/html", href=site_url)
    _add(root, "generator", "Maillage", uri="https://maillage.social", **(
        {"version": generator_version} if generator_version else {}))
    for entry in entries:
        item = _add(root, "entry", **{XML_LANG: entry.lang})
        _add(item, "id", entry.iri)
        _add(item, "title", entry.title, type="text")
        _add(item, "link", rel="alternate", type="text/html", href=entry.iri, hreflang=entry.lang)
        _add(item, "published", entry.published)
        _add(item, "updated", entry.updated)
        author = _add(item, "author")
        _add(author, "name", entry.author_name)
        _add(author, "uri", entry.author_uri)
        for term, scheme in entry.categories:
            _add(item, "category", term=term, scheme=scheme, label=f"#{term}")
        _add(item, "summary", entry.summary, type="text")
        _add(item, "content", entry.content_html, type="html")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
