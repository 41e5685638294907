"""Every kind of page, public and behind the login, audited by axe-core against WCAG 2.1 A and AA in
a real Chromium (and axe's best practices), on a desktop and on a 320 px phone: no rule may be broken."""

import pytest
from playwright.async_api import Page

from tests.support.showcase import JOURNEY_SLUG, OUTCOME_SLUG, PRACTICE_SLUG

from .audit import describe, violations
from .conftest import ADMIN, PASSWORD, Site, Watch

pytestmark = pytest.mark.asyncio(loop_scope="module")

PUBLIC = ["/", "/practices", f"/practices/{PRACTICE_SLUG}", f"/practices/{PRACTICE_SLUG}?lang=fr", "/journeys",
          f"/journeys/{JOURNEY_SLUG}", f"/programmes/{JOURNEY_SLUG}", "/outcomes", f"/outcomes/{OUTCOME_SLUG}",
          "/search?q=cooperative", "/peers", "/users/reseau", "/users/admin", "/tags/food-sovereignty", "/login",
          "/no-such-page"]
DESK = ["/desk", "/desk/new/practice", "/desk/new/journey", "/desk/new/outcome", f"/desk/practice/{PRACTICE_SLUG}/edit",
        f"/desk/practice/{PRACTICE_SLUG}/translate", "/desk/media", "/desk/share", "/desk/comments",
        f"/desk/journeys/{JOURNEY_SLUG}/participants", "/account/profile", "/account/password",
        "/admin", "/admin/users", "/admin/settings", "/admin/domains", "/admin/deliveries", "/admin/network",
        "/admin/moderation"]


async def audit_all(tab: Page, site: Site, paths: list[str]) -> dict[str, str]:
    found = {}
    for path in paths:
        await tab.goto(site.url(path))
        await tab.wait_for_load_state("load")
        broken = await violations(tab)
        if broken:
            found[path] = describe(broken)
    return found


async def test_public_pages_meet_wcag_aa(site: Site, page: tuple[Page, Watch], phone: tuple[Page, Watch]) -> None:
    found = {}
    for name, (tab, watch) in (("desktop", page), ("phone", phone)):
        watch.allowed_statuses.add(404)
        found.update({f"{path} ({name})": text for path, text in (await audit_all(tab, site, PUBLIC)).items()})
    assert found == {}, "\n\n".join(f"{path}\n{text}" for path, text in found.items())


async def test_desk_and_admin_pages_meet_wcag_aa(site: Site, page: tuple[Page, Watch],
                                                 phone: tuple[Page, Watch]) -> None:
    found = {}
    for name, (tab, _watch) in (("desktop", page), ("phone", phone)):
        await tab.goto(site.url("/login"))
        await tab.get_by_label("User name").fill(ADMIN)
        await tab.get_by_label("Password").fill(PASSWORD)
        await tab.get_by_role("button", name="Log in").click()
        await tab.wait_for_url("**/desk")
        found.update({f"{path} ({name})": text for path, text in (await audit_all(tab, site, DESK)).items()})
    assert found == {}, "\n\n".join(f"{path}\n{text}" for path, text in found.items())
