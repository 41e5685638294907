"""A peer's practice, journey or outcome read in full (protocol/remote_content.py), and what a node says
about itself for the peer directory (protocol/peers.py): built the way a Maillage node builds them, through
JSON-LD compaction, read back with every language and structured field."""

from typing import Any

import pytest
from hypothesis import given

from protocol.errors import ParseError
from protocol.journeys import build_journey_details
from protocol.objects import Publication, Tag, Translation, build_object
from protocol.outcomes import build_outcome_details
from protocol.peers import nodeinfo_href, parse_group_profile, parse_nodeinfo
from protocol.practices import build_practice_details
from protocol.remote_content import build_fields, kind_of, parse_publication
from tests.protocol.test_journeys import JOURNEY
from tests.protocol.test_outcomes import REPORT
from tests.protocol.test_practices import CURRENCY
from tests.support.ld import BASE, DOCS, PATHS, TOTALITY, through_jsonld

AUTHOR = f"{BASE}/users/camille"
GROUP = f"{BASE}/users/reseau"
TEXTS = (
    Translation("fr", "La Luciole", "Une monnaie locale.", "<p>Le récit.</p>"),
    Translation("en", "The Luciole", "A local currency.", "<p>The story.</p>"),
    Translation("es", "La Luciole", "Una moneda local.", "<p>El relato.</p>"),
)


def document(kind: str = "practice", *, slow: bool = False, translations: tuple[Translation, ...] = TEXTS,
             **extra: Any) -> dict[str, Any]:
    """A peer's object as its node serves it (protocol/objects.build_object), after our compaction."""
    fields = {"practice": lambda: build_practice_details(CURRENCY, "fr"),
              "journey": lambda: build_journey_details(JOURNEY, "fr"),
              "outcome": lambda: build_outcome_details(REPORT, "fr")}[kind]()
    pub = Publication(
        iri=f"{BASE}/{kind}s/luciole", type="Event" if kind == "journey" else "Article", attributed_to=AUTHOR,
        url=f"{BASE}/{kind}s/luciole", published="2027-01-10T09:00:00Z", default_lang="fr",
        translations=translations, to=("https://www.w3.org/ns/activitystreams#Public",), cc=(),
        updated="2027-02-01T10:00:00Z", tags=(Tag("social-currency", f"{BASE}/tags/social-currency"),),
        replies_iri=f"{BASE}/{kind}s/luciole/replies", extra={"audience": GROUP, **fields, **extra},
    )
    doc = build_object(pub, with_context=False)
    doc.pop("id")
    doc.pop("type")
    return through_jsonld(doc, slow=slow, kind=pub.type) | {"id": pub.iri}


@PATHS
@pytest.mark.parametrize("kind", ["practice", "journey", "outcome"])
def test_every_language_and_field_is_read_back(kind: str, slow: bool) -> None:
    doc = document(kind, slow=slow)
    pub = parse_publication(doc)
    assert (pub.iri, pub.kind, pub.attributed_to, pub.audience) == (doc["id"], kind, AUTHOR, GROUP)
    assert pub.origin == "maillage.example"
    assert pub.url == doc["id"]
    assert pub.default_lang == "fr"
    assert pub.translations == TEXTS
    assert pub.translation("en").title == "The Luciole"
    assert pub.translation("de").title == "La Luciole"
    assert pub.details == {"practice": CURRENCY, "journey": JOURNEY, "outcome": REPORT}[kind]
    assert pub.tags == ("social-currency",)
    assert (pub.published, pub.updated) == ("2027-01-10T09:00:00Z", "2027-02-01T10:00:00Z")
    assert pub.replies == f"{doc['id']}/replies"
    # The stored fields read back as the same details: pages parse a peer's fields as they parse ours.
    again = parse_publication({**doc, **build_fields(pub)})
    assert again.details == pub.details


def test_outcome_is_told_from_practice_and_from_a_reply() -> None:
    journey = f"{BASE}/journeys/voyage"
    assert kind_of({"type": "Article"}) == "practice"
    assert kind_of({"type": "Article", "feedback": {"fr": "x"}}) == "outcome"
    assert kind_of({"type": "Article", "inReplyTo": journey, "context": journey}) == "outcome"
    assert kind_of({"type": ["Event"]}) == "journey"
    for other in ({"type": "Article", "inReplyTo": journey}, {"type": "Note"}, {"type": "Question"}, {}):
        with pytest.raises(ParseError):
            kind_of(other)


def test_author_on_another_host_is_refused() -> None:
    with pytest.raises(ParseError, match="is not on maillage.example"):
        parse_publication({**document(), "attributedTo": "https://elsewhere.example/users/camille"})
    with pytest.raises(ParseError, match="attributedTo"):
        parse_publication({**document(), "attributedTo": "javascript://maillage.example/x"})


def test_a_journey_needs_a_start_time() -> None:
    doc = document("journey")
    del doc["startTime"]
    with pytest.raises(ParseError, match="startTime"):
        parse_publication(doc)


def test_languages_of_a_peer_that_is_not_multilingual() -> None:
    """Plain name/content only (Mobilizon, WriteFreely): the declared language, else the fallback."""
    plain = {"id": f"{BASE}/e/1", "type": "Article", "attributedTo": AUTHOR, "name": "Titre", "content": "<p>x</p>"}
    pub = parse_publication(plain)
    assert pub.default_lang == "und"
    assert pub.translations == (Translation("und", "Titre", "", "<p>x</p>"),)
    assert parse_publication(plain, fallback_lang="fr").default_lang == "fr"
    assert parse_publication({**plain, "inLanguage": "pt-br"}).translations[0].lang == "pt-BR"
    # A map with the plain value in one of its languages: that language is the default one.
    mapped = {**plain, "nameMap": {"es": "Título", "fr": "Titre"}, "contentMap": {"es": "<p>y</p>", "fr": "<p>x</p>"}}
    pub = parse_publication(mapped)
    assert pub.default_lang == "fr"
    assert [t.lang for t in pub.translations] == ["fr", "es"]
    # A language with content but no title borrows the default language's title.
    pub = parse_publication({**plain, "contentMap": {"fr": "<p>x</p>", "de": "<p>z</p>"}, "name": "Titre"})
    assert pub.translation("de").title == "Titre"
    with pytest.raises(ParseError, match="no name"):
        parse_publication({"id": plain["id"], "type": "Article", "attributedTo": AUTHOR})


def test_url_prefers_the_html_link() -> None:
    links = [{"type": "Link", "mediaType": "application/pdf", "href": f"{BASE}/a.pdf"},
             {"type": "Link", "mediaType": "text/html", "href": f"{BASE}/page"}]
    assert parse_publication({**document(), "url": links}).url == f"{BASE}/page"
    assert parse_publication({**document(), "url": "javascript:alert(1)"}).url == document()["id"]


@TOTALITY
@given(DOCS)
def test_parse_publication_is_total(doc: dict[str, Any]) -> None:
    """Whatever a peer sends: a RemotePublication or ParseError, never another exception."""
    try:
        parse_publication({**doc, "attributedTo": AUTHOR, "id": f"{BASE}/x"})
    except ParseError:
        pass


NODEINFO = {
    "version": "2.1", "software": {"name": "maillage", "version": "0.1.0"}, "protocols": ["activitypub"],
    "usage": {"users": {"total": 3}, "localPosts": 12},
    "metadata": {"nodeName": "Réseau <b>ESS</b> Drôme", "network": "@reseau@maillage.example",
                 "languages": ["fr", "EN", "not a tag", 3]},
}


def test_nodeinfo_is_read_for_the_directory() -> None:
    summary = parse_nodeinfo(NODEINFO)
    assert (summary.software, summary.name, summary.users, summary.posts) == ("maillage", "Réseau ESS Drôme", 3, 12)
    assert summary.languages == ("fr", "en")
    assert str(summary.network) == "@reseau@maillage.example"
    assert parse_nodeinfo({"usage": {"localPosts": True}, "metadata": []}).posts is None
    with pytest.raises(ParseError):
        parse_nodeinfo([])


def test_nodeinfo_link_must_stay_on_the_node() -> None:
    links = {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": f"{BASE}/ni/2.0"},
                       {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": f"{BASE}/ni/2.1"}]}
    assert nodeinfo_href(links, BASE) == f"{BASE}/ni/2.1"
    with pytest.raises(ParseError, match="another host"):
        nodeinfo_href(links, "https://other.example")
    with pytest.raises(ParseError):
        nodeinfo_href({"links": "x"}, BASE)


def test_group_profile_territory_from_location_or_profile_field() -> None:
    group = {"name": "Réseau ESS", "summary": "<p>Les acteurs de   l'ESS</p>",
             "location": {"type": "Place", "name": "Val de Drôme"}}
    assert parse_group_profile(group) == parse_group_profile({**group, "attachment": []})
    profile = parse_group_profile(group)
    assert (profile.name, profile.territory, profile.summary) == ("Réseau ESS", "Val de Drôme", "Les acteurs de l'ESS")
    fields = {"preferredUsername": "reseau", "attachment": [
        {"type": "PropertyValue", "name": "Site", "value": "<a href='x'>x</a>"},
        {"type": "PropertyValue", "name": "Territoire", "value": "<span>Pays basque</span>"}]}
    assert parse_group_profile(fields).territory == "Pays basque"
    assert parse_group_profile(fields).name == "reseau"
    assert parse_group_profile("nonsense").name is None
