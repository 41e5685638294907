"""An admin, on the narrowest phone, looks after the organizers' logins: adds one, gives her a new
password when she lost hers, suspends her when she leaves, and reactivates her; in another browser she
logs in with that password, is told she is suspended, then gets in again. No console error, no
sideways scroll."""

import re

import pytest
from playwright.async_api import Page

from .conftest import ADMIN, PASSWORD, Site, Watch, screenshot

pytestmark = pytest.mark.asyncio(loop_scope="module")
NO_OVERFLOW = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


async def log_in(tab: Page, site: Site, name: str, password: str) -> None:
    await tab.goto(site.url("/login"))
    await tab.get_by_label("User name").fill(name)
    await tab.get_by_label("Password").fill(password)
    await tab.get_by_role("button", name="Log in").click()


async def test_an_admin_looks_after_an_organizer_login(site: Site, phone: tuple[Page, Watch],
                                                       page: tuple[Page, Watch]) -> None:
    admin, admin_watch = phone
    marie, marie_watch = page
    marie_watch.allowed_statuses.update({401, 403})  # the refused logins below
    await log_in(admin, site, ADMIN, PASSWORD)
    await admin.wait_for_url("**/desk")

    await admin.goto(site.url("/admin/users"))
    await admin.locator("#f-username").fill("marie")
    await admin.locator("#f-password").fill("first password")
    await admin.get_by_role("button", name="Add", exact=True).click()
    await admin.wait_for_url("**/admin/users")
    assert "marie can now log in." in await admin.locator("p.notice").inner_text()

    # She lost her password: the admin gives her a new one, shown once.
    await admin.get_by_role("button", name="New password for marie").click()
    password = (await admin.locator("#new-password code").inner_text()).strip()
    assert len(password) >= 16
    await screenshot(admin, "admin-users-new-password")
    assert await admin.evaluate(NO_OVERFLOW), "/admin/users scrolls sideways at 320 px"
    await log_in(marie, site, "marie", "first password")
    assert "Wrong user name or password." in await marie.locator(".form-error").inner_text()
    await log_in(marie, site, "marie", password)
    await marie.wait_for_url("**/desk")

    # She leaves the network: suspended, her open session ends.
    await admin.get_by_role("button", name="Suspend marie").click()
    await admin.wait_for_url("**/admin/users")
    assert "suspended" in await admin.locator("p.notice").inner_text()
    await screenshot(admin, "admin-users-suspended")
    await marie.goto(site.url("/desk"))
    await marie.wait_for_url(re.compile(r"/login\?next=/desk$"))
    await log_in(marie, site, "marie", password)
    assert "This account is suspended." in await marie.locator(".form-error").inner_text()

    # She comes back: reactivated, same password.
    await admin.get_by_role("button", name="Reactivate marie").click()
    await admin.wait_for_url("**/admin/users")
    await log_in(marie, site, "marie", password)
    await marie.wait_for_url("**/desk")
    admin_watch.assert_clean()
    marie_watch.assert_clean()
