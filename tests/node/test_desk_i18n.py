"""The desk's validation messages in the reader's language: the checks of node/drafts.py (shared with
`maillage publish`) are shown beside their field in French, Spanish, Portuguese or English, fields named
by their labels, values and limits kept; nothing is stored. The CLI keeps printing the same English, whatever
the locale of its shell."""

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB
from node.cli import main
from node.config import Config
from tests.node.test_desk import JOURNEY, OUTCOME, PRACTICE
from tests.support.dbstate import row_counts
from tests.support.desk import field_error, form_error, post_form

NB = "\u00a0"

# (kind, change, field, {lang: message}): a key named by its label, one with a number (plural, grouped as
# the language writes numbers), one with what the user typed, two keys, a line of a list field, and a
# refusal of node/publishing.py.
CASES: list[tuple[str, dict[str, str], str, dict[str, str]]] = [
    ("practice", {"summary": ""}, "summary", {
        "fr": "« Résumé » est obligatoire",
        "es": "«Resumen»: este dato es obligatorio",
        "pt": "“Resumo”: preenchimento obrigatório",
        "en": "“Summary” is required"}),
    ("practice", {"title": "x" * 301}, "title", {
        "fr": "« Titre » dépasse 300 caractères",
        "es": "«Título» supera los 300 caracteres",
        "pt": "“Título” passa de 300 caracteres",
        "en": "“Title” is longer than 300 characters"}),
    ("practice", {"needs": "x" * 20_001}, "needs", {
        "fr": "« Besoins auxquels elle répond » dépasse 20 000 caractères",
        "es": "«Necesidades atendidas» supera los 20.000 caracteres",
        "pt": "“Necessidades atendidas” passa de 20.000 caracteres",
        "en": "“Needs addressed” is longer than 20,000 characters"}),
    ("practice", {"stakeholders": "La Luciole | issuer | luciole.example"}, "stakeholders", {
        "fr": "Ligne 1 (adresse web) doit être une adresse web http(s)",
        "es": "Línea 1 (dirección web) debe ser una dirección web http(s)",
        "pt": "Linha 1 (endereço web) deve ser um endereço web http(s)",
        "en": "Line 1 (web address) must be an http(s) URL"}),
    ("practice", {"themes": "commons, ?!"}, "themes", {
        "fr": "Le thème « ?! » doit contenir des lettres ou des chiffres, et au plus 64 caractères",
        "es": "El tema «?!» debe tener letras o cifras, y como máximo 64 caracteres",
        "pt": "O tema “?!” deve ter letras ou algarismos, e no máximo 64 caracteres",
        "en": "Theme “?!” must have letters or digits, and at most 64 characters"}),
    ("journey", {"timezone": "Mars/Olympus"}, "timezone", {
        "fr": "« Fuseau horaire » n’est pas un fuseau horaire IANA (comme Europe/Paris) : « Mars/Olympus »",
        "es": "«Zona horaria» no es una zona horaria IANA (como Europe/Paris): «Mars/Olympus»",
        "pt": "“Fuso horário” não é um fuso horário IANA (como America/Sao_Paulo): “Mars/Olympus”",
        "en": "“Time zone” is not an IANA time zone (like Europe/Paris): “Mars/Olympus”"}),
    ("journey", {"end": "2000-01-01T10:00"}, "end", {
        "fr": "« Fin » doit être après « Début »",
        "es": "«Fin» debe ser posterior a «Inicio»",
        "pt": "“Fim” deve ser depois de “Início”",
        "en": "“End” must be after “Start”"}),
    ("journey", {"location_name": "", "location_locality": ""}, "location_name", {
        "fr": "Un voyage a besoin d’un « Lieu » ou d’un « Lien en ligne »",
        "es": "Un viaje necesita un «Lugar» o un «Enlace en línea»",
        "pt": "Uma jornada precisa de “Local” ou de “Link on-line”",
        "en": "A journey needs a “Place” or an “Online link”"}),
    ("journey", {"programme": "09:30-25:00 | Visite"}, "programme", {
        "fr": "Ligne 1 (heure de fin) n’est pas une heure valide : « 25:00 »",
        "es": "Línea 1 (hora de fin) no es una hora válida: «25:00»",
        "pt": "Linha 1 (horário de término) não é um horário válido: “25:00”",
        "en": "Line 1 (end time) is not a valid time: “25:00”"}),
    ("outcome", {"achievements": "", "next_steps": ""}, "achievements", {
        "fr": "Un compte rendu a besoin d’au moins une de ces listes : « Réalisations », « Nouvelles initiatives "
              "accueillies », « Questions de fond », « Objectifs et stratégies », « Prochaines étapes »",
        "es": "Un informe de resultados necesita al menos una de estas listas: «Logros», «Nuevas iniciativas "
              "acogidas», «Cuestiones de fondo», «Objetivos y estrategias», «Próximos pasos»",
        "pt": "Um balanço precisa de pelo menos uma destas listas: “Conquistas”, “Novas iniciativas acolhidas”, "
              "“Questões de fundo”, “Objetivos e estratégias”, “Próximos passos”",
        "en": "An outcome needs at least one of: “Achievements”, “New initiatives welcomed”, “Substantive issues”, "
              "“Goals and strategies”, “Next steps”"}),
    ("outcome", {"journey": "no-such-journey"}, "journey", {
        "fr": "Aucun voyage « no-such-journey » sur ce nœud (publiez d’abord le voyage)",
        "es": "No hay ningún viaje «no-such-journey» en este nodo (publique primero el viaje)",
        "pt": "Nenhuma jornada “no-such-journey” neste nó (publique a jornada antes)",
        "en": "No journey “no-such-journey” on this node (publish the journey first)"}),
]
FORMS = {"practice": PRACTICE, "journey": JOURNEY, "outcome": {**OUTCOME, "journey": "no-such-journey"}}
PAGE = {"fr": "Corrigez les champs signalés ci-dessous.",
        "es": "Corrija los campos señalados abajo.",
        "pt": "Corrija os campos indicados abaixo.",
        "en": "Please correct the fields marked below."}


def _spaces(text: str) -> str:
    """French puts a no-break space inside « » and before `:`, and groups digits with a narrow one."""
    return text.replace(NB, " ").replace("\u202f", " ")


@pytest.mark.parametrize("lang", ["fr", "es", "pt", "en"])
@pytest.mark.parametrize(("kind", "change", "field", "messages"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
async def test_desk_errors_are_in_the_readers_language(organizer_client: TestClient, lang: str, kind: str,
                                                       change: dict[str, str], field: str,
                                                       messages: dict[str, str]) -> None:
    db = organizer_client.app[DB]
    before = await row_counts(db)
    path = f"/desk/new/{kind}?lang={lang}"  # the interface language, as the switcher chooses it
    resp = await post_form(organizer_client, path, {**FORMS[kind], **change})
    html = await resp.text()
    assert resp.status == 400
    assert f'<html lang="{lang}"' in html
    shown = field_error(html, field)
    assert shown is not None and _spaces(shown) == messages[lang], shown
    if lang == "fr" and "«" in shown:
        assert f"«{NB}" in shown  # the typography of French, not plain spaces
    assert _spaces(form_error(html) or "") == _spaces(PAGE[lang])
    assert await row_counts(db) == before


def _publish(capsys: pytest.CaptureFixture[str], config: Config, text: str) -> tuple[int, str, str, Path]:
    path = config.data_dir.parent / "draft.md"
    path.write_text(text, encoding="utf-8")
    code = main(["publish", "--data", str(config.data_dir), "--as", "admin", str(path)])
    out, err = capsys.readouterr()
    return code, out, err, path


def _front_matter(**fields: Any) -> str:
    meta = {"type": "practice", "slug": "monnaie", "lang": "fr", "title": "Une monnaie", "summary": "Comment.",
            **fields}
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in meta.items() if v is not None) + "---\nLe récit.\n"


def _journey(**fields: Any) -> str:
    return _front_matter(**{"type": "journey", "timezone": "Europe/Paris", "location": "Crest",
                            "start": "2027-05-20 09:30", **fields})


@pytest.mark.parametrize(("text", "message"), [
    (_front_matter(summary=None), "front matter: 'summary' is required"),
    (_front_matter(title="x" * 301), "front matter: 'title' is longer than 300 characters"),
    (_front_matter(contact="{email: nobody}"), "front matter: 'contact.email' is not an e-mail address"),
    (_front_matter(stakeholders="[{name: a, url: luciole.example}]"),
     "front matter: 'stakeholders[0].url' must be an http(s) URL"),
    (_journey(timezone="Mars/Olympus"),
     "front matter: 'timezone' is not an IANA time zone (like Europe/Paris): 'Mars/Olympus'"),
    (_journey(end="08:00"), "front matter: 'end' must be after 'start'"),
    (_journey(location=None), "front matter: a journey needs a 'location' or an 'online' link"),
    (_journey(join_mode="external"),
     "front matter: 'external_url' is required when join_mode is external"),
    (_front_matter(type="outcome", journey="voyage"),
     "front matter: an outcome needs at least one of: achievements, new_initiatives, issues, goals, next_steps"),
    (_front_matter().replace("Le récit.", "x" * 200_001), "the body is longer than 200000 characters"),
])
def test_the_cli_still_prints_english(node_config: Config, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch, text: str, message: str) -> None:
    for name in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"):  # a French shell changes nothing
        monkeypatch.setenv(name, "fr_FR.UTF-8")
    code, out, err, path = _publish(capsys, node_config, text)
    assert (code, out, err) == (1, "", f"error: {path}: {message}\n")
