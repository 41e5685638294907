"""Peers' practice write-ups, journeys and outcomes read in full: every language of the text and the
structured fields, so a node shows a peer's content as it shows its own, linked back to its origin.

A Maillage `Event` is a learning journey; an `Article` is a meeting outcome when it names its journey
(`context`/`inReplyTo`) or carries an outcome's sections, else a practice write-up. Anything else (a
`Note`, a reply that is an `Article`, a `Question`) is not content of ours: `ParseError`.
"""

from dataclasses import dataclass
from typing import Any

from .errors import ParseError
from .hashtags import theme_from_hashtag
from .iri import iri_host, require_http_iri, same_origin
from .journeys import JourneyDetails, build_journey_details, is_datetime, parse_journey_details
from .langmap import canonical_lang_tag, is_lang_tag, parse_lang_map
from .objects import Translation
from .outcomes import LIST_SECTIONS, OutcomeDetails, build_outcome_details, parse_outcome_details
from .practices import PracticeDetails, build_practice_details, parse_practice_details

Details = PracticeDetails | JourneyDetails | OutcomeDetails
KINDS = ("practice", "journey", "outcome")
OUTCOME_TERMS = (*LIST_SECTIONS, "feedback", "participants")
MAX_LANGUAGES = 20
MAX_TAGS = 50
MAX_TITLE = 1_000
MAX_SUMMARY = 10_000
UNDETERMINED = "und"


@dataclass(frozen=True)
class RemotePublication:
    """A peer's object as pages need it. `origin` is the host that vouches for it (its IRI's host, which
    is also its author's); `url` is where its page lives there. HTML is as received: sanitize it."""

    iri: str
    kind: str
    type: str
    origin: str
    attributed_to: str
    url: str
    default_lang: str
    translations: tuple[Translation, ...]
    details: Details
    tags: tuple[str, ...] = ()
    audience: str | None = None
    published: str | None = None
    updated: str | None = None
    in_reply_to: str | None = None
    context: str | None = None
    replies: str | None = None

    def translation(self, lang: str) -> Translation:
        """The text in `lang`, else the default language (there is always one)."""
        for wanted in (lang, self.default_lang):
            for t in self.translations:
                if t.lang == wanted:
                    return t
        return self.translations[0]


def _first(value: Any) -> Any:
    return (value[0] if value else None) if isinstance(value, list) else value


def _iri(value: Any) -> str | None:
    """An http(s) IRI from a string, `{"id": ...}` or a one-item list; None for anything else."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("id")
    try:
        return require_http_iri(value, "IRI")
    except ParseError:
        return None


def _url(value: Any) -> str | None:
    """`url` as a string, a Link (`href`) or a list of them: the first text/html one, else the first."""
    items = value if isinstance(value, list) else [value]
    links = [(v.get("href"), v.get("mediaType")) if isinstance(v, dict) else (v, None) for v in items]
    for href, _media in sorted(links, key=lambda link: link[1] not in (None, "text/html")):
        found = _iri(href)
        if found:
            return found
    return None


def kind_of(doc: dict[str, Any]) -> str:
    """practice, journey or outcome; ParseError for other objects."""
    types = doc.get("type")
    types = types if isinstance(types, list) else [types]
    if "Event" in types:
        return "journey"
    if "Article" not in types:
        raise ParseError(f"not a practice, journey or outcome: {str(_first(types))[:50]!r}")
    if any(term in doc for term in OUTCOME_TERMS):
        return "outcome"
    reply_to, context = _iri(doc.get("inReplyTo")), _iri(doc.get("context"))
    if reply_to is None:
        return "practice"
    if reply_to == context:
        return "outcome"  # an outcome names its journey twice; a reply does not
    raise ParseError("an Article replying to something is a comment, not a write-up")


def _default_lang(doc: dict[str, Any], maps: list[dict[str, str]], fallback: str) -> str:
    """`inLanguage`, else the language whose map entry is the plain `content`/`name`, else the first."""
    declared = doc.get("inLanguage")
    declared = declared.get("identifier") if isinstance(declared, dict) else declared
    if isinstance(declared, str) and is_lang_tag(declared):
        return canonical_lang_tag(declared)
    for term, texts in zip(("content", "name", "summary"), maps, strict=True):
        plain = doc.get(term)
        for lang, text in texts.items():
            if isinstance(plain, str) and text == plain:
                return lang
    for texts in maps:
        if texts:
            return next(iter(texts))
    return fallback


def _texts(doc: dict[str, Any], term: str, lang: str | None, limit: int) -> dict[str, str]:
    """A term's language map, the plain value counting as `lang` where the map does not have it."""
    texts = parse_lang_map(doc.get(f"{term}Map"), limit=limit)
    if lang is not None:
        plain = parse_lang_map(doc.get(term), fallback_lang=lang, limit=limit)
        for key, value in plain.items():
            texts.setdefault(key, value)
    return texts


def _translations(doc: dict[str, Any], fallback_lang: str) -> tuple[str, tuple[Translation, ...]]:
    tagged = [_texts(doc, term, None, limit) for term, limit in
              (("content", 500_000), ("name", MAX_TITLE), ("summary", MAX_SUMMARY))]
    default = _default_lang(doc, tagged, fallback_lang)
    content = _texts(doc, "content", default, 500_000)
    names = _texts(doc, "name", default, MAX_TITLE)
    summaries = _texts(doc, "summary", default, MAX_SUMMARY)
    langs = list(dict.fromkeys([*names, *content, *summaries]))[:MAX_LANGUAGES]
    if default not in langs:
        if not langs:
            raise ParseError("object has no name, summary or content")
        default = langs[0]

    def title(lang: str) -> str:
        return names.get(lang) or names.get(default) or next(iter(names.values()), "")

    translations = tuple(
        Translation(lang=lang, title=title(lang), summary=summaries.get(lang, ""), content_html=content.get(lang, ""))
        for lang in sorted(langs, key=lambda lang: lang != default)
    )
    return default, translations


def _tags(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items[:MAX_TAGS * 4]:
        if isinstance(item, dict) and item.get("type") == "Hashtag" and isinstance(item.get("name"), str):
            name = theme_from_hashtag(item["name"][:200])[:100]
            if name and name not in names:
                names.append(name)
    return tuple(names[:MAX_TAGS])


def _details(kind: str, doc: dict[str, Any], lang: str) -> Details:
    if kind == "practice":
        return parse_practice_details(doc, lang)
    if kind == "outcome":
        return parse_outcome_details(doc, lang)
    journey = parse_journey_details(doc, lang)
    if journey is None:
        raise ParseError("an Event without a valid startTime is not a learning journey")
    return journey


def parse_publication(doc: Any, *, fallback_lang: str = UNDETERMINED) -> RemotePublication:
    """Read a peer's (compacted) practice, journey or outcome. The author must sit on the object's own
    host: the origin vouches for what it serves and nothing else. `fallback_lang` names text that
    comes in no language at all."""
    if not isinstance(doc, dict):
        raise ParseError("object is not a JSON object")
    iri = require_http_iri(doc.get("id"), "id")
    kind = kind_of(doc)
    author = _iri(doc.get("attributedTo"))
    if author is None:
        raise ParseError("attributedTo is missing or not an http(s) IRI")
    if not same_origin(author, iri):
        raise ParseError(f"author {author[:200]} is not on {iri_host(iri)}")
    default, translations = _translations(doc, fallback_lang)
    published, updated = doc.get("published"), doc.get("updated")
    return RemotePublication(
        iri=iri,
        kind=kind,
        type=str(_first(doc.get("type"))),
        origin=iri_host(iri),
        attributed_to=author,
        url=_url(doc.get("url")) or iri,
        default_lang=default,
        translations=translations,
        details=_details(kind, doc, default),
        tags=_tags(doc.get("tag")),
        audience=_iri(doc.get("audience")),
        published=published if is_datetime(published) else None,
        updated=updated if is_datetime(updated) else None,
        in_reply_to=_iri(doc.get("inReplyTo")),
        context=_iri(doc.get("context")),
        replies=_iri(doc.get("replies")),
    )


def build_fields(pub: RemotePublication) -> dict[str, Any]:
    """The structured fields in their AS2 form, as local objects store them (`objects.fields`), so
    pages read a peer's fields with the same `parse_*_details` as ours."""
    if isinstance(pub.details, PracticeDetails):
        return build_practice_details(pub.details, pub.default_lang)
    if isinstance(pub.details, JourneyDetails):
        return build_journey_details(pub.details, pub.default_lang)
    return build_outcome_details(pub.details, pub.default_lang)

