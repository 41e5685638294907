"""node/drafts.py: what an organizer writes (Markdown front matter, or a form turned into the same mapping)
becomes a Draft, or is refused with a message naming the key and the problem. Also the examples in
docs/examples/, parsed as `maillage publish` parses them."""

import re
from typing import Any

import pytest
import yaml

from node.drafts import KEYS, MAX_BODY, DraftError, draft_from_mapping, parse_markdown
from node.teasers import journey_teaser, outcome_teaser, practice_teaser
from protocol.journeys import parse_journey_details
from protocol.outcomes import parse_outcome_details
from protocol.practices import parse_practice_details
from tests.support import examples

DELETE = object()
IMAGE = {"url": "https://luciole.example/media/billets.jpg", "alt": "Billets de lucioles"}
BASE: dict[str, dict[str, Any]] = {
    "practice": {
        "type": "practice", "slug": "monnaie-locale", "lang": "fr", "title": "La Luciole", "summary": "Deux phrases.",
        "themes": ["social-currency"], "attachments": [IMAGE],
        "territory": {"name": "Val de Drôme", "locality": "Crest", "latitude": 44.7, "longitude": 5},
        "stakeholders": ["Association La Luciole", {"name": "Crédit coopératif", "role": "banque",
                                                    "url": "https://credit.example"}],
        "needs": "Garder la richesse **ici**.", "results": "140 commerces.", "lessons": "Commencer par les paysans.",
        "transferability": "Partout.", "resources": [{"label": "Subvention", "monetary": True, "origin": "public"}],
        "contact": {"name": "Camille", "email": "contact@luciole.example", "url": "https://luciole.example"},
        "license": "https://creativecommons.org/licenses/by-sa/4.0/",
    },
    "journey": {
        "type": "journey", "slug": "voyage-drome", "title": "Voyage apprenant", "summary": "Deux jours.",
        "timezone": "Europe/Paris", "start": "2027-05-20 09:30", "end": "17:00", "cycle": "cycle-2027-2028",
        "location": "La Fabrique du Val", "online": "https://visio.example/v",
        "programme": [{"time": "10:30", "end": "12:30", "title": "Visite", "host": "Les Paysans du Val",
                       "place": {"name": "Ferme", "latitude": 44.73, "longitude": 5.01}}],
        "capacity": 30, "join_mode": "external", "external_url": "https://billets.example/v", "status": "tentative",
        "comments": False,
    },
    "outcome": {
        "type": "outcome", "slug": "bilan-drome", "journey": "voyage-drome", "title": "Bilan", "summary": "Acquis.",
        "achievements": ["Un groupement d'achat commun"], "new_initiatives": ["Épicerie solidaire"],
        "issues": ["Le prix payé aux producteurs"], "goals": ["Une collectivité par région"],
        "next_steps": ["Rencontre d'étape"], "feedback": "Sans évaluer.",
        "participants": ["Réseau ESS Drôme", {"name": "La Luciole", "url": "https://luciole.example"}],
    },
}


def draft(kind: str, body: str = "Le récit.", **changes: Any) -> Any:
    meta = {k: v for k, v in (BASE[kind] | changes).items() if v is not DELETE}
    return draft_from_mapping(meta, body, default_lang="fr")


def test_a_complete_practice() -> None:
    result = draft("practice")
    assert (result.kind, result.slug, result.lang, result.themes, result.journey) == (
        "practice", "monnaie-locale", "fr", ("social-currency",), None)
    details = parse_practice_details(result.details, "fr")
    assert details.territory is not None and details.territory.latitude == 44.7 and details.territory.longitude == 5.0
    assert [s.name for s in details.stakeholders] == ["Association La Luciole", "Crédit coopératif"]
    assert details.needs == {"fr": "<p>Garder la richesse <strong>ici</strong>.</p>\n"}
    assert details.contact and details.contact.email == "contact@luciole.example"
    assert details.attachments[0].media_type == "image/jpeg" and details.attachments[0].alt == {"fr": IMAGE["alt"]}


def test_a_complete_journey() -> None:
    result = draft("journey")
    assert (result.lang, result.cycle) == ("fr", "cycle-2027-2028")
    details = parse_journey_details(result.details, "fr")
    assert details is not None
    assert (details.start_time, details.end_time, details.timezone) == (
        "2027-05-20T09:30:00+02:00", "2027-05-20T17:00:00+02:00", "Europe/Paris")
    item = details.programme[0]
    assert (item.start_time, item.end_time, item.host) == (
        "2027-05-20T10:30:00+02:00", "2027-05-20T12:30:00+02:00", "Les Paysans du Val")
    assert (details.capacity, details.join_mode, details.external_url, details.status, details.comments_enabled) == (
        30, "external", "https://billets.example/v", "TENTATIVE", False)


def test_a_complete_outcome() -> None:
    result = draft("outcome", lang="es")
    assert result.journey == "voyage-drome" and result.lang == "es"
    details = parse_outcome_details(result.details, "es")
    assert details.achievements == {"es": ["Un groupement d'achat commun"]}
    assert [p.name for p in details.participants] == ["Réseau ESS Drôme", "La Luciole"]
    assert draft("outcome", journey="https://maillage.example/journeys/voyage-drome").journey.startswith("https://")


@pytest.mark.parametrize(("kind", "changes", "message"), [
    ("practice", {"type": DELETE}, "'type' is required"),
    ("practice", {"type": "event"}, "'type' must be one of practice, journey, outcome, got 'event'"),
    ("practice", {"start": "x", "color": "red"}, "unknown key(s) for a practice: color, start"),
    ("practice", {2027: "x", "zz": 1}, "unknown key(s) for a practice: 2027, zz"),
    ("outcome", {"cycle": "c"}, "unknown key(s) for an outcome: cycle"),
    ("practice", {"slug": DELETE}, "'slug' is required"),
    ("practice", {"slug": "Monnaie Locale"}, "'slug' must be lowercase letters, digits and '-', got 'Monnaie Locale'"),
    ("practice", {"lang": "français"}, "'lang' is not a BCP 47 language tag: 'français'"),
    ("practice", {"title": " "}, "'title' is required"),
    ("practice", {"title": "x" * 301}, "'title' is longer than 300 characters"),
    ("practice", {"summary": DELETE}, "'summary' is required"),
    ("practice", {"summary": ["a"]}, "'summary' must be text"),
    ("practice", {"themes": {"a": 1}}, "'themes' must be a list of words"),
    ("practice", {"themes": ["!?"]}, "theme '!?' must have letters or digits, and at most 64 characters"),
    ("practice", {"themes": ["a" * 65]},
     f"theme '{'a' * 65}' must have letters or digits, and at most 64 characters"),
    ("practice", {"attachments": "x.jpg"}, "'attachments' must be a list"),
    ("practice", {"attachments": [IMAGE] * 51}, "'attachments' has more than 50 entries"),
    ("practice", {"attachments": ["x.jpg"]}, "'attachments[0]' must be a mapping with url, alt and media_type"),
    ("practice", {"attachments": [{"alt": "x"}]}, "'attachments[0].url' is required"),
    ("practice", {"attachments": [{"url": "file:///etc/passwd"}]}, "'attachments[0].url' must be an http(s) URL"),
    ("practice", {"attachments": [{"url": "https://a.example/p.png"}]},
     "'attachments[0].alt' is required for an image (people using screen readers need it)"),
    ("practice", {"attachments": [{"url": "https://a.example/p.png", "alt": " "}]},
     "'attachments[0].alt' is required for an image (people using screen readers need it)"),
    ("practice", {"attachments": [{"url": "https://a.example/p", "media_type": "image/webp", "alt": {"fr": ""}}]},
     "'attachments[0].alt' is required for an image (people using screen readers need it)"),
    ("practice", {"attachments": [{"url": "https://a.example/p.png", "alt": {"français": "x"}}]},
     "'attachments[0].alt' must map language tags to text"),
    ("practice", {"attachments": [{"url": "https://a.example/p", "media_type": ["pdf"]}]},
     "'attachments[0].media_type' must be text"),
    ("practice", {"territory": ["Crest"]},
     "'territory' must be a place name or a mapping with name, street, locality..."),
    ("practice", {"territory": {"street": "1 rue X"}}, "'territory.name' is required"),
    ("practice", {"territory": {"name": "x", "latitude": 44.7}},
     "'territory' needs both latitude and longitude, or neither"),
    ("practice", {"territory": {"name": "x", "latitude": 91, "longitude": 5}},
     "'territory' latitude must be within ±90 and longitude within ±180"),
    ("practice", {"territory": {"name": "x", "latitude": "44,7", "longitude": "5,0"}},
     "'territory' latitude must be within ±90 and longitude within ±180"),
    ("practice", {"territory": {"name": "x", "latitude": True, "longitude": 5}},
     "'territory' latitude must be within ±90 and longitude within ±180"),
    ("practice", {"territory": {"name": "x", "street": "y" * 201}}, "'territory.street' is longer than 200 characters"),
    ("practice", {"stakeholders": "Luciole"}, "'stakeholders' must be a list"),
    ("practice", {"stakeholders": ["a", 3]}, "'stakeholders[1]' must be a name or a mapping with name, role, url"),
    ("practice", {"stakeholders": [{"role": "banque"}]}, "'stakeholders[0].name' is required"),
    ("practice", {"stakeholders": [{"name": "a", "url": "luciole.example"}]},
     "'stakeholders[0].url' must be an http(s) URL"),
    ("practice", {"stakeholders": [{"name": "a", "role": ["x"]}]}, "'stakeholders[0].role' must be text"),
    ("practice", {"resources": ["Subvention"]}, "'resources[0]' must be a mapping with label, monetary, origin"),
    ("practice", {"resources": [{"label": "x", "origin": "state"}]},
     "'resources[0].origin' must be one of public, private, mixed"),
    ("practice", {"resources": [{"label": "x", "monetary": "yes"}]}, "'resources[0].monetary' must be true or false"),
    ("practice", {"resources": [{"monetary": True}]}, "'resources[0].label' is required"),
    ("practice", {"resources": [{"label": ""}]}, "'resources[0].label' is required"),
    ("practice", {"needs": "x" * 20_001}, "'needs' is longer than 20000 characters"),
    ("practice", {"contact": "contact@luciole.example"}, "'contact' must be a mapping with name, email, url"),
    ("practice", {"contact": {"email": "contact-at-luciole"}}, "'contact.email' is not an e-mail address"),
    ("practice", {"contact": {"name": ["a"]}}, "'contact.name' must be text"),
    ("practice", {"contact": {"url": "www.luciole.example"}}, "'contact.url' must be an http(s) URL"),
    ("practice", {"license": "CC BY-SA"}, "'license' must be an http(s) URL"),
    ("journey", {"timezone": DELETE}, "'timezone' is required"),
    ("journey", {"timezone": "Paris"}, "'timezone' is not an IANA time zone (like Europe/Paris): 'Paris'"),
    ("journey", {"timezone": "Europe/../../etc"}, "'timezone' is not an IANA time zone (like Europe/Paris): "
                                                  "'Europe/../../etc'"),
    ("journey", {"start": DELETE}, "'start' is required"),
    ("journey", {"start": "demain matin"}, "'start' must be a date and time like 2027-03-14 09:30: 'demain matin'"),
    ("journey", {"start": "09:30"}, "'start' must be a date and time like 2027-03-14 09:30: '09:30'"),
    ("journey", {"end": "08:00"}, "'end' must be after 'start'"),
    ("journey", {"end": "09:30"}, "'end' must be after 'start'"),
    ("journey", {"end": "2027-05-19 18:00"}, "'end' must be after 'start'"),
    ("journey", {"end": "25:00"}, "'end' is not a valid time: '25:00'"),
    ("journey", {"location": DELETE, "online": DELETE}, "a journey needs a 'location' or an 'online' link"),
    ("journey", {"online": "visio.example/v"}, "'online' must be an http(s) URL"),
    ("journey", {"location": {"name": "x", "longitude": 5}},
     "'location' needs both latitude and longitude, or neither"),
    ("journey", {"programme": {"time": "10:30"}}, "'programme' must be a list"),
    ("journey", {"programme": ["Visite"]}, "'programme[0]' must be a mapping with time, title, host"),
    ("journey", {"programme": [{"time": "10:30"}]}, "'programme[0].title' is required"),
    ("journey", {"programme": [{"title": "V", "time": "matin"}]},
     "'programme[0].time' must be a date and time like 2027-03-14 09:30: 'matin'"),
    ("journey", {"programme": [{"title": "V", "time": "10:30", "end": "10:00"}]},
     "'programme[0].end' must be after 'programme[0].time'"),
    ("journey", {"programme": [{"title": "V", "host": {"name": "x"}}]}, "'programme[0].host' must be text"),
    ("journey", {"programme": [{"title": "V", "place": {"name": "x", "latitude": 1}}]},
     "'programme[0].place' needs both latitude and longitude, or neither"),
    ("journey", {"capacity": 0}, "'capacity' must be a positive whole number (leave it out for no limit)"),
    ("journey", {"capacity": "30"}, "'capacity' must be a positive whole number (leave it out for no limit)"),
    ("journey", {"capacity": 2.5}, "'capacity' must be a positive whole number (leave it out for no limit)"),
    ("journey", {"capacity": True}, "'capacity' must be a positive whole number (leave it out for no limit)"),
    ("journey", {"join_mode": "invite"}, "'join_mode' must be one of free, restricted, external"),
    ("journey", {"external_url": DELETE}, "'external_url' is required when join_mode is external"),
    ("journey", {"external_url": "billets"}, "'external_url' must be an http(s) URL"),
    ("journey", {"status": "postponed"}, "'status' must be one of tentative, confirmed, cancelled"),
    ("journey", {"comments": "yes"}, "'comments' must be true or false"),
    ("journey", {"cycle": "c" * 101}, "'cycle' is longer than 100 characters"),
    ("outcome", {"journey": DELETE}, "'journey' is required for an outcome (the slug of the journey it reports on)"),
    ("outcome", {"journey": "Mon voyage"},
     "'journey' must be the slug of a journey on this node, or its IRI, got 'Mon voyage'"),
    ("outcome", {k: DELETE for k in ("achievements", "new_initiatives", "issues", "goals", "next_steps")},
     "an outcome needs at least one of: achievements, new_initiatives, issues, goals, next_steps"),
    ("outcome", {k: [] for k in ("achievements", "new_initiatives", "issues", "goals", "next_steps")},
     "an outcome needs at least one of: achievements, new_initiatives, issues, goals, next_steps"),
    ("outcome", {"achievements": "Un acquis"}, "'achievements' must be a list"),
    ("outcome", {"next_steps": ["ok", {"when": "novembre"}]}, "'next_steps[1]' must be a line of text"),
    ("outcome", {"issues": [" "]}, "'issues[0]' must be a line of text"),
    ("outcome", {"goals": [True]}, "'goals[0]' must be a line of text"),
    ("outcome", {"participants": [["a"]]}, "'participants[0]' must be a name or a mapping with name and url"),
    ("outcome", {"participants": [{"url": "https://a.example"}]}, "'participants[0].name' is required"),
    ("outcome", {"participants": [{"name": "a", "url": "a.example"}]}, "'participants[0].url' must be an http(s) URL"),
    ("outcome", {"feedback": "x" * 20_001}, "'feedback' is longer than 20000 characters"),
])
def test_refusals(kind: str, changes: dict[Any, Any], message: str) -> None:
    with pytest.raises(DraftError) as refused:
        draft(kind, **{str(k): v for k, v in changes.items()}) if all(isinstance(k, str) for k in changes) \
            else draft_from_mapping(BASE[kind] | changes, "", default_lang="fr")
    assert str(refused.value) == message


def test_the_body_has_a_limit() -> None:
    with pytest.raises(DraftError, match=f"^the body is longer than {MAX_BODY} characters$"):
        draft("practice", body="x" * (MAX_BODY + 1))


@pytest.mark.parametrize(("changes", "check"), [
    ({"lang": "pt-br"}, lambda d: d.lang == "pt-BR" and "pt-BR" in d.details["needs"]),
    ({"themes": "social-currency, #Commons, commons"}, lambda d: d.themes == ("social-currency", "commons")),
    ({"themes": None}, lambda d: d.themes == ()),
    ({"attachments": [{"url": "https://a.example/p.png", "alt": {"fr": "Carte", "EN-gb": "Map", "es": ""}}]},
     lambda d: d.details["attachment"][0]["nameMap"] == {"fr": "Carte", "en-GB": "Map"}),
    ({"attachments": [{"url": "https://a.example/charte.odt"}, {"url": "https://a.example/f"}]},
     lambda d: [a["mediaType"] for a in d.details["attachment"]] == ["application/vnd.oasis.opendocument.text",
                                                                    "application/octet-stream"]),
    ({"stakeholders": [{"name": "a", "role": {"fr": "banque", "en": "bank"}}]},
     lambda d: d.details["stakeholders"][0]["role"] == {"fr": "banque", "en": "bank"}),
    ({"territory": "Val de Drôme", "license": ""}, lambda d: d.details["location"] == {"type": "Place",
                                                                                       "name": "Val de Drôme"}
     and "license" not in d.details),
])
def test_accepted_variants(changes: dict[str, Any], check: Any) -> None:
    assert check(draft("practice", **changes))


def markdown(front_matter: str, body: str = "Le récit.") -> str:
    return f"---\n{front_matter}\n---\n{body}\n"


JOURNEY_YAML = ("type: journey\nslug: voyage\ntitle: Voyage\nsummary: Deux jours.\ntimezone: Europe/Paris\n"
                "location: Crest\nstart: 2027-05-20 09:30\n")


def test_unquoted_times_read_by_yaml_as_sexagesimal_numbers() -> None:
    # YAML 1.1: `17:00` is 17 * 60 + 0 = 1020, `9:30` is 570; `09:30` (leading zero) stays a string.
    assert yaml.safe_load("a: 17:00\nb: 9:30\nc: 09:30") == {"a": 1020, "b": 570, "c": "09:30"}
    result = parse_markdown(markdown(JOURNEY_YAML + "end: 17:00\nprogramme:\n  - time: 9:45\n    end: 10:30\n"
                                     "    title: Accueil\n  - time: 09:30\n    title: Café\n"), default_lang="fr")
    assert result.details["endTime"] == "2027-05-20T17:00:00+02:00"
    assert [(i.get("startTime"), i.get("endTime")) for i in result.details["subEvent"]] == [
        ("2027-05-20T09:45:00+02:00", "2027-05-20T10:30:00+02:00"), ("2027-05-20T09:30:00+02:00", None)]


@pytest.mark.parametrize(("front_matter", "message"), [
    (JOURNEY_YAML + "end: 24:30", "front matter: 'end' must be a date and time like 2027-03-14 09:30"),
    (JOURNEY_YAML.replace("2027-05-20 09:30", "2027-05-20"),
     "front matter: 'start' must be a date and time like 2027-03-14 09:30"),
    (JOURNEY_YAML + "end: 8:00", "front matter: 'end' must be after 'start'"),
    ("type: practice\ntitle: x\nsummary: y", "front matter: 'slug' is required"),
    ("type: practice\n2027: x", "front matter keys must be names like 'title' (not numbers or dates)"),
    ("type: practice\n- a", None),
    ("", "the file has no front matter (it must start with a '---' block)"),
])
def test_markdown_refusals(front_matter: str, message: str | None) -> None:
    with pytest.raises(DraftError) as refused:
        parse_markdown(markdown(front_matter), default_lang="fr")
    if message is None:
        assert str(refused.value).startswith("front matter is not valid YAML: ")
    else:
        assert str(refused.value) == message


def test_markdown_without_front_matter() -> None:
    with pytest.raises(DraftError, match="^the file has no front matter"):
        parse_markdown("Juste du *texte*.", default_lang="fr")


def test_yaml_datetimes_with_an_offset_are_moved_to_the_journey_zone() -> None:
    result = parse_markdown(markdown(JOURNEY_YAML.replace("2027-05-20 09:30", "2027-05-20T07:30:00Z")
                                     + "end: 2027-05-20 17:00:00"), default_lang="fr")
    assert (result.details["startTime"], result.details["endTime"]) == (
        "2027-05-20T09:30:00+02:00", "2027-05-20T17:00:00+02:00")


# --- docs/examples ---------------------------------------------------------------------------------


def example(name: str) -> Any:
    """docs/examples/NAME (`journey.fr.md`) as `maillage publish` reads it."""
    kind, lang, _ = name.split(".")
    found = examples.example(kind, lang)
    assert found.source == str(examples.EXAMPLES_DIR / name), "the example file is missing"
    return parse_markdown(found.text, default_lang="fr")


@pytest.mark.parametrize("kind", ["practice", "journey", "outcome"])
def test_examples_use_every_key_in_both_languages(kind: str) -> None:
    drafts = {lang: example(f"{kind}.{lang}.md") for lang in ("fr", "en")}
    for lang, result in drafts.items():
        text = (examples.EXAMPLES_DIR / f"{kind}.{lang}.md").read_text(encoding="utf-8").split("\n---\n", 1)[0]
        used = {m for m in re.findall(r"^#? ?([a-z_]+):", text, re.MULTILINE)}
        assert KEYS[kind] <= used, KEYS[kind] - used
        assert (result.kind, result.lang) == (kind, lang)
    fr, en = drafts["fr"], drafts["en"]
    assert fr.slug == en.slug and fr.themes == en.themes and fr.journey == en.journey and fr.cycle == en.cycle
    # A translation must line up with the original, item by item, for its fields to merge.
    for key, value in fr.details.items():
        other = en.details[key]
        assert type(value) is type(other) and (not isinstance(value, list) or len(value) == len(other)), key


def test_example_practice() -> None:
    fr, en = example("practice.fr.md"), example("practice.en.md")
    details = parse_practice_details(fr.details, "fr")
    assert details.territory and details.territory.label() == "Val de Drôme, Crest"
    assert len(details.stakeholders) == 4 and {r.origin for r in details.resources} == {"public", "private", "mixed"}
    assert {r.monetary for r in details.resources} == {True, False}
    assert details.license == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert [a.kind for a in details.attachments] == ["Image", "Document"]
    assert parse_practice_details(en.details, "en").stakeholders[0].role["en"].startswith("issues the currency")
    teaser = practice_teaser(fr.summary, fr.details, fr.themes)
    assert teaser.startswith("Val de Drôme, Crest · #SocialCurrency #SocialFinance") and fr.summary in teaser


def test_example_journey() -> None:
    fr, en = example("journey.fr.md"), example("journey.en.md")
    details = parse_journey_details(fr.details, "fr")
    assert details is not None
    assert (details.start_time, details.end_time, details.timezone) == (
        "2027-05-20T09:30:00+02:00", "2027-05-21T16:30:00+02:00", "Europe/Paris")
    assert details.location and details.location.address and details.location.address.locality == "Crest"
    assert (details.online_url, details.capacity, details.join_mode, details.status) == (
        "https://visio.example/voyage-drome-2027", 30, "restricted", "CONFIRMED")
    assert [(i.start_time, i.host) for i in details.programme][::5] == [
        ("2027-05-20T09:30:00+02:00", "Réseau ESS Drôme"), ("2027-05-21T14:00:00+02:00", None)]
    assert details.programme[1].place and details.programme[1].place.name == "Ferme de la Clastre"
    assert fr.cycle == "cycle-2027-2028"
    assert journey_teaser(fr.summary, fr.details, "fr").startswith(
        "jeudi 20 mai 2027, 09:30 (Europe/Paris) · La Fabrique du Val, Crest — Deux jours")
    english = journey_teaser(en.summary, en.details, "en")
    assert english.startswith("Thursday, May 20, 2027, 9:30") and "AM (Europe/Paris) · La Fabrique du Val" in english


def test_example_outcome_reports_on_the_example_journey() -> None:
    fr, en = example("outcome.fr.md"), example("outcome.en.md")
    assert fr.journey == en.journey == example("journey.fr.md").slug
    details = parse_outcome_details(fr.details, "fr")
    assert len(details.achievements["fr"]) == 4 and details.new_initiatives and details.issues
    assert details.goals and details.next_steps and details.feedback
    assert len(details.participants) == 6 and details.participants[0].url == "https://reseau-ess-drome.example"
    teaser = outcome_teaser(fr.summary, fr.details, "fr", "fr", "Voyage apprenant en Drôme")
    assert teaser.startswith("Voyage apprenant en Drôme · Trois groupements d'achat")
    assert teaser.count("; ") == 2  # the three main achievements


@pytest.mark.parametrize(("status", "online", "lang", "head"), [
    ("CANCELLED", False, "fr", "ANNULÉ · "), ("TENTATIVE", False, "es", "POR CONFIRMAR · "),
    ("CONFIRMED", True, "fr", ""), ("CANCELLED", True, "en", "CANCELLED · "),
    ("TENTATIVE", True, "pt-BR", "A CONFIRMAR · "),
])
def test_journey_teasers_speak_the_readers_language(status: str, online: bool, lang: str, head: str) -> None:
    details = {"startTime": "2027-05-20T09:30:00+02:00", "timezone": "Europe/Paris", "ical:status": status,
               "isOnline": online, **({} if online else {"location": {"type": "Place", "name": "Crest"}})}
    teaser = journey_teaser("Deux jours.", details, lang)
    assert teaser.startswith(head)
    assert ({"fr": "en ligne", "en": "online", "es": "en línea", "pt-BR": "on-line"}[lang] in teaser) is online
