"""A Brazilian reader gets the Portuguese interface: `Accept-Language: pt-BR` (or `pt-PT`, `pt`) negotiates
to the `pt` catalog, the page declares `lang="pt"`, its words and a journey's date are Portuguese, and the
language switcher offers Português."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient

from tests.support.showcase import JOURNEY_SLUG, seed

BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
MONTHS = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
          "novembro", "dezembro")


async def _page(client: TestClient, path: str, accept_language: str) -> str:
    resp = await client.get(path, headers={"Accept": BROWSER, "Accept-Language": accept_language})
    assert resp.status == 200, path
    return await resp.text()


@pytest.mark.parametrize("accept", ["pt-BR", "pt-PT, en;q=0.5", "pt", "de, pt-BR;q=0.9, fr;q=0.8"])
async def test_a_portuguese_reader_gets_the_portuguese_interface(client: TestClient, accept: str) -> None:
    await seed(client.app, "reseau")
    home = await _page(client, "/", accept)
    assert '<html lang="pt">' in home
    assert "Jornadas de aprendizagem" in home and "Balanços" in home and "Ir para o conteúdo" in home
    switcher = re.search(r'<nav class="langs".*?</nav>', home, re.S)
    assert switcher is not None
    assert re.search(r'<a href="/\?ui=pt" hreflang="pt" lang="pt" aria-current="true">(<span class="long">)?Português',
                     switcher.group(0))
    assert "Français" in switcher.group(0) and "Español" in switcher.group(0)

    journey = await _page(client, f"/journeys/{JOURNEY_SLUG}", accept)
    assert '<html lang="pt">' in journey and "Fuso horário:" in journey
    day = datetime.now(UTC).date() + timedelta(days=30)  # the showcase's journey, a month from today
    assert f"{day.day} de {MONTHS[day.month - 1]} de {day.year}" in journey  # "18 de maio de 2027"


async def test_the_switcher_sets_portuguese_for_a_french_browser(client: TestClient) -> None:
    html = await _page(client, "/?ui=pt", "fr")
    assert '<html lang="pt">' in html and "Práticas" in html
    assert client.session.cookie_jar.filter_cookies(client.make_url("/"))["lang"].value == "pt"
