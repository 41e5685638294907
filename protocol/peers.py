"""What a node says about itself, read for the peer directory: NodeInfo (FEP-f1d5) and the profile of
its network actor. There is no central registry: each node describes itself and we only read."""

import re
from dataclasses import dataclass
from typing import Any

from .errors import ParseError
from .handles import BIDI_CONTROLS, Handle, parse_handle
from .iri import require_http_iri, same_origin
from .langmap import canonical_lang_tag, is_lang_tag, parse_lang_map
from .places import parse_place

NODEINFO_SCHEMAS = (
    "http://nodeinfo.diaspora.software/ns/schema/2.1",
    "http://nodeinfo.diaspora.software/ns/schema/2.0",
)
TERRITORY_FIELDS = frozenset({"territory", "territoire", "territorio", "region", "région", "región", "location"})
MAX_TEXT = 300
MAX_LANGUAGES = 30
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class NodeSummary:
    """The parts of a NodeInfo document the directory shows."""

    software: str | None = None
    name: str | None = None
    description: str | None = None
    languages: tuple[str, ...] = ()
    users: int | None = None
    posts: int | None = None
    network: Handle | None = None  # Maillage's `metadata.network`: the node's network Group


@dataclass(frozen=True)
class GroupProfile:
    """A network actor's self-description: its name, its territory (a `location` Place or a profile
    field named like one) and a plain-text summary."""

    name: str | None = None
    territory: str | None = None
    summary: str | None = None


def nodeinfo_href(links_doc: Any, base_url: str) -> str:
    """The NodeInfo 2.1 (else 2.0) document named by `/.well-known/nodeinfo`, on the same host."""
    links = links_doc.get("links") if isinstance(links_doc, dict) else None
    candidates = {link.get("rel"): link.get("href") for link in links if isinstance(link, dict)} \
        if isinstance(links, list) else {}
    for schema in NODEINFO_SCHEMAS:
        href = candidates.get(schema)
        if href is not None:
            href = require_http_iri(href, "nodeinfo href")
            if not same_origin(href, base_url):
                raise ParseError(f"nodeinfo href {href[:200]} is on another host")
            return href
    raise ParseError("no NodeInfo 2.x link")


def plain_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """Text without tags, runs of spaces (summaries are HTML) or bidi controls (a name is shown beside a
    host); None when empty."""
    if not isinstance(value, str):
        return None
    text = " ".join(_TAG.sub(" ", "".join(c for c in value if c not in BIDI_CONTROLS)).split())
    return text[:limit] or None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12 else None


def _languages(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else []
    langs = [canonical_lang_tag(v) for v in items if isinstance(v, str) and is_lang_tag(v)]
    return tuple(dict.fromkeys(langs))[:MAX_LANGUAGES]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_nodeinfo(doc: Any) -> NodeSummary:
    """NodeInfo 2.x: software name, `metadata.nodeName`/`nodeDescription`, `metadata.languages` (or a
    top-level `languages`), `usage.users.total`, `usage.localPosts`. Missing parts stay None."""
    if not isinstance(doc, dict):
        raise ParseError("nodeinfo is not a JSON object")
    software = doc.get("software")
    metadata = _mapping(doc.get("metadata"))
    usage = _mapping(doc.get("usage"))
    users = _mapping(usage.get("users"))
    network = None
    if isinstance(metadata.get("network"), str):
        try:
            network = parse_handle(metadata["network"])
        except ParseError:
            network = None
    return NodeSummary(
        software=plain_text(software.get("name"), 50) if isinstance(software, dict) else None,
        name=plain_text(metadata.get("nodeName")),
        description=plain_text(metadata.get("nodeDescription")),
        languages=_languages(metadata.get("languages") or doc.get("languages")),
        users=_count(users.get("total")),
        posts=_count(usage.get("localPosts")),
        network=network,
    )


def parse_group_profile(doc: Any) -> GroupProfile:
    """Read a network actor's name, territory and summary; nothing here is required."""
    if not isinstance(doc, dict):
        return GroupProfile()
    territory = None
    place = parse_place(doc.get("location"))
    if place is not None:
        territory = place.label()
    attachments = doc.get("attachment")
    for item in attachments if isinstance(attachments, list) else []:
        if territory is None and isinstance(item, dict) and item.get("type") == "PropertyValue" \
                and isinstance(item.get("name"), str) and item["name"].strip().lower() in TERRITORY_FIELDS:
            territory = plain_text(item.get("value"))
    summary = doc.get("summary")
    if not isinstance(summary, str):
        summaries = parse_lang_map(doc.get("summaryMap"))
        summary = next(iter(summaries.values()), None)
    return GroupProfile(name=plain_text(doc.get("name")) or plain_text(doc.get("preferredUsername")),
                        territory=territory, summary=plain_text(summary))
