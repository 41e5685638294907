"""An organizer, from the browser alone: log in, write a practice in English, add its French translation
beside the original, schedule a learning journey, post its outcome report; then a visitor finds all of
them on the public pages, in both languages. No console error on any page of the way."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page

from .conftest import ADMIN, PASSWORD, Site, Watch, screenshot

pytestmark = pytest.mark.asyncio(loop_scope="module")

PRACTICE = "repair-cafes-network"
JOURNEY = "repair-journey-lyon"
OUTCOME = "repair-journey-lyon-report"
DESCRIPTION = ("Eighty organizations of the social and solidarity economy in the Auvergne-Rhône-Alpes region: "
               "cooperatives, associations, mutual societies and social enterprises learning from each other.")
CHARTER = """We share our practices **without evaluation or judgement**: a write-up describes and reflects.

- Every journey has at least two observers, who give their feedback to the hosts.
- What we publish is free to reuse (CC BY-SA) unless its authors say otherwise.
- Anyone may follow us; comments are moderated by the organizers."""


async def _publish(tab: Page) -> None:
    """Press Publish and land back on the desk with the notice."""
    await tab.locator('button[name="action"][value="publish"]').click()
    await tab.wait_for_url(re.compile(r"/desk\?published="))
    assert await tab.locator("p.notice").is_visible()


async def test_an_organizer_publishes_from_the_browser(site: Site, page: tuple[Page, Watch]) -> None:
    tab, watch = page
    await tab.goto(site.url("/"))
    await tab.get_by_role("link", name="Organizer login").click()
    await tab.wait_for_url("**/login*")
    await screenshot(tab, "login")
    await tab.get_by_label("User name").fill(ADMIN)
    await tab.get_by_label("Password").fill(PASSWORD)
    await tab.get_by_role("button", name="Log in").click()
    await tab.wait_for_url("**/desk")
    await screenshot(tab, "desk")

    # The admin says what the network is and what its rules are; the home page shows it.
    await tab.goto(site.url("/admin/settings"))
    await tab.locator("#f-summary").fill(DESCRIPTION)
    await tab.locator("#f-charter").fill(CHARTER)
    await tab.get_by_role("button", name="Save").click()
    await tab.wait_for_url("**/admin/settings")
    await screenshot(tab, "admin-settings")
    await tab.goto(site.url("/desk"))

    # A practice in English.
    await tab.get_by_role("link", name="Write a practice").click()
    await tab.wait_for_url("**/desk/new/practice")
    await tab.locator("#f-lang").select_option("en")
    await tab.locator("#f-title").fill("A network of repair cafés")
    await tab.locator("#f-slug").fill(PRACTICE)
    await tab.locator("#f-summary").fill("Volunteers fix what neighbours bring. Twelve cafés share tools and skills.")
    await tab.locator("#f-themes").fill("circular-economy, commons")
    await tab.locator("#f-body").fill("Every month, **twelve cafés** open their doors.")
    await tab.locator("#f-territory_name").fill("Métropole de Lyon")
    await tab.locator("#f-territory_locality").fill("Lyon")
    await tab.locator("#f-results").fill("3,000 objects repaired a year.")
    await screenshot(tab, "desk-practice-form")
    await _publish(tab)

    # Its French translation, beside the original.
    await tab.goto(site.url(f"/desk/practice/{PRACTICE}/translate"))
    assert "A network of repair cafés" in await tab.locator("section.original").inner_text()
    await tab.locator("#f-lang").fill("fr")
    await tab.locator("#f-title").fill("Un réseau de cafés de réparation")
    await tab.locator("#f-summary").fill("Des bénévoles réparent ce que les voisins apportent. Douze cafés partagent "
                                         "outils et savoir-faire.")
    await tab.locator("#f-body").fill("Chaque mois, **douze cafés** ouvrent leurs portes.")
    await screenshot(tab, "desk-translate")
    await _publish(tab)

    # A journey in three weeks, then its outcome report.
    day = (datetime.now(UTC) + timedelta(days=21)).date().isoformat()
    await tab.goto(site.url("/desk/new/journey"))
    await tab.locator("#f-lang").select_option("en")
    await tab.locator("#f-title").fill("Repair journey in Lyon")
    await tab.locator("#f-slug").fill(JOURNEY)
    await tab.locator("#f-summary").fill("Two days visiting repair cafés and a tool library.")
    await tab.locator("#f-start").fill(f"{day}T09:30")
    await tab.locator("#f-end").fill(f"{day}T17:00")
    await tab.locator("#f-timezone").fill("Europe/Paris")
    await tab.locator("#f-location_name").fill("Atelier Soli'Gones")
    await tab.locator("#f-location_locality").fill("Lyon")
    await tab.locator("#f-programme").fill("09:30-11:00 | Visit of the tool library | Atelier Soli'Gones\n"
                                           "14:00-16:00 | Repair café | Croix-Rousse volunteers")
    await tab.locator("#f-capacity").fill("25")
    await _publish(tab)

    await tab.goto(site.url(f"/desk/new/outcome?journey={JOURNEY}"))
    await tab.locator("#f-lang").select_option("en")
    await tab.locator("#f-journey").select_option(JOURNEY)
    await tab.locator("#f-title").fill("What we learned in Lyon")
    await tab.locator("#f-slug").fill(OUTCOME)
    await tab.locator("#f-summary").fill("Two new repair cafés, one shared tool library, and a date for next year.")
    await tab.locator("#f-achievements").fill("Two new repair cafés opened\nA shared tool library")
    await tab.locator("#f-next_steps").fill("Meet again next spring")
    await screenshot(tab, "desk-outcome-form")
    await _publish(tab)
    await screenshot(tab, "desk-after")

    # What a visitor sees, in English then in French.
    await tab.goto(site.url("/practices?theme=circular-economy"))
    await tab.get_by_role("link", name="A network of repair cafés").click()
    await tab.wait_for_url(f"**/practices/{PRACTICE}")
    assert await tab.locator("h1").inner_text() == "A network of repair cafés"
    await tab.locator("nav.translations").get_by_role("link", name="Français").click()
    assert await tab.locator("h1").inner_text() == "Un réseau de cafés de réparation"
    await screenshot(tab, "organizer-practice-fr")
    await tab.goto(site.url("/journeys?lang=en"))
    upcoming = tab.locator("section", has=tab.locator("#upcoming-title"))
    await upcoming.get_by_role("link", name="Repair journey in Lyon").click()
    await tab.wait_for_url(f"**/journeys/{JOURNEY}")
    assert await tab.locator(f'#outcomes a[href$="/outcomes/{OUTCOME}"]').count() == 1
    assert "Visit of the tool library" in await tab.locator("#programme").inner_text()
    await tab.goto(site.url("/outcomes"))
    await tab.get_by_role("link", name="What we learned in Lyon").click()
    assert "Two new repair cafés opened" in await tab.locator("#achievements").inner_text()
    await screenshot(tab, "organizer-outcome")
    await tab.goto(site.url("/"))
    assert await tab.get_by_role("link", name="A network of repair cafés").count() == 1
    assert "Eighty organizations" in await tab.locator(".hero .description").inner_text()
    assert "without evaluation or judgement" in await tab.locator(".charter").inner_text()
    await screenshot(tab, "home-with-charter")
    await tab.goto(site.url("/?lang=fr"))
    await screenshot(tab, "home-fr")
    watch.assert_clean()
