"""Accounts over HTTP: logging in and out, the session cookie's flags, CSRF on every form, the login
rate limit, changing one's password, and the session key file."""

import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient, TestServer

from node.app import create_app
from node.appkeys import DB
from node.auth import COOKIE, KEY_FILE, LOGIN_LIMITS, LoginLimits
from node.config import Config
from tests.conftest import ADMIN_PASSWORD
from tests.support.dbstate import row_counts
from tests.support.desk import (
    ORGANIZER,
    ORGANIZER_PASSWORD,
    add_organizer,
    csrf_token,
    field_error,
    form_error,
    login,
    post_form,
)


def _session_cookie(resp: object) -> str:
    headers = resp.headers.getall("Set-Cookie", [])  # type: ignore[attr-defined]
    found = [h for h in headers if h.startswith(f"{COOKIE}=")]
    assert found, headers
    return found[-1]


async def test_login_page_is_a_labelled_form_with_a_csrf_field(client: TestClient) -> None:
    resp = await client.get("/login")
    html = await resp.text()
    assert resp.status == 200
    assert '<label for="f-username">' in html and 'id="f-username"' in html
    assert '<label for="f-password">' in html and 'type="password"' in html
    assert 'name="csrf_token"' in html
    assert resp.headers["Cache-Control"] == "no-store"


async def test_login_sets_an_httponly_samesite_session_cookie_and_redirects(client: TestClient) -> None:
    token = await csrf_token(client)
    resp = await client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD, "next": "/admin",
                                             "csrf_token": token}, allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == "/admin"
    cookie = _session_cookie(resp)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain http (dev): a Secure cookie would never come back
    assert ADMIN_PASSWORD not in cookie and "admin" not in cookie.split(";")[0]  # encrypted
    assert (await client.get("/desk", allow_redirects=False)).status == 200


async def test_the_cookie_is_secure_when_the_node_is_served_over_https(node_config: Config) -> None:
    https = Config(**{**node_config.__dict__, "base_url": "https://node.test"})
    async with TestClient(TestServer(create_app(https, workers=False))) as client:
        resp = await client.get("/login")
        assert "Secure" in _session_cookie(resp)


async def test_login_never_redirects_off_site(client: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        resp = await post_form(client, "/login", {"username": "admin", "password": ADMIN_PASSWORD, "next": target})
        assert resp.status == 303 and resp.headers["Location"] == "/desk", target
        await post_form(client, "/logout", {}, token_from="/desk")


async def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient) -> None:
    wrong = await post_form(client, "/login", {"username": "admin", "password": "not it"})
    unknown = await post_form(client, "/login", {"username": "nobody", "password": "not it"})
    assert wrong.status == unknown.status == 401
    assert form_error(await wrong.text()) == form_error(await unknown.text()) == "Wrong user name or password."
    assert 'value="admin"' in await wrong.text()  # the name typed stays in the form
    assert (await client.get("/desk", allow_redirects=False)).status == 302


async def test_empty_fields_are_named(client: TestClient) -> None:
    resp = await post_form(client, "/login", {"username": "", "password": ""})
    html = await resp.text()
    assert resp.status == 400
    assert field_error(html, "username") == "Enter your user name."
    assert field_error(html, "password") == "Enter your password."


async def test_login_messages_are_in_the_readers_language(client: TestClient) -> None:
    token = await csrf_token(client)
    resp = await client.post("/login?lang=fr", data={"username": "admin", "password": "x", "csrf_token": token},
                             allow_redirects=False)
    assert form_error(await resp.text()) == "Nom d’utilisateur ou mot de passe incorrect."


async def test_login_without_or_with_a_wrong_csrf_token_is_refused(client: TestClient) -> None:
    await csrf_token(client)  # the visitor has a session, with its token
    for token in (None, "forged", ""):
        resp = await post_form(client, "/login", {"username": "admin", "password": ADMIN_PASSWORD}, token=token)
        assert resp.status == 403, token
    assert (await client.get("/desk", allow_redirects=False)).status == 302


async def test_a_token_from_another_session_is_refused(client: TestClient, node_config: Config) -> None:
    other = await csrf_token(client)
    client.session.cookie_jar.clear()
    await csrf_token(client)
    resp = await post_form(client, "/login", {"username": "admin", "password": ADMIN_PASSWORD}, token=other)
    assert resp.status == 403


async def test_login_is_rate_limited_per_address_with_a_clear_429(client: TestClient) -> None:
    client.app[LOGIN_LIMITS].by_address.burst = 3.0  # fewer attempts, same rule
    for _ in range(3):
        assert (await post_form(client, "/login", {"username": "admin", "password": "guess"})).status == 401
    resp = await post_form(client, "/login", {"username": "admin", "password": ADMIN_PASSWORD})
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in (form_error(await resp.text()) or "")
    assert (await client.get("/desk", allow_redirects=False)).status == 302  # even the right password waits


def test_login_limits_count_per_user_name_too() -> None:
    limits = LoginLimits(account_attempts=2)  # the ceiling over every address
    limits.failed("10.0.0.1", "Admin")
    limits.failed("10.0.0.2", "admin")
    assert limits.wait("10.0.0.3", "ADMIN") > 0  # a third address, the same name: refused
    assert limits.wait("10.0.0.3", "olga") == 0


async def test_logout_ends_the_session_and_needs_a_token(admin_client: TestClient) -> None:
    assert (await post_form(admin_client, "/logout", {}, token=None)).status == 403
    resp = await post_form(admin_client, "/logout", {}, token_from="/desk")
    assert resp.status == 303 and resp.headers["Location"] == "/"
    assert (await admin_client.get("/desk", allow_redirects=False)).status == 302


async def test_anonymous_visitors_are_sent_to_login_and_back(client: TestClient) -> None:
    resp = await client.get("/desk/new/practice?x=1", allow_redirects=False)
    assert resp.status == 302
    location = urlsplit(resp.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query) == {"next": ["/desk/new/practice?x=1"]}
    resp = await client.get("/account/password", allow_redirects=False)
    assert resp.headers["Location"] == "/login?next=/account/password"


async def test_password_change(client: TestClient) -> None:
    await add_organizer(client)
    await login(client, ORGANIZER, ORGANIZER_PASSWORD)
    before = await row_counts(client.app[DB])
    cases = [
        ({"current_password": "wrong", "new_password": "a new password", "confirm_password": "a new password"},
         "current_password", "This is not your current password."),
        ({"current_password": ORGANIZER_PASSWORD, "new_password": "short", "confirm_password": "short"},
         "new_password", "Use at least 8 characters."),
        ({"current_password": ORGANIZER_PASSWORD, "new_password": "a new password", "confirm_password": "another"},
         "confirm_password", "The two new passwords differ."),
    ]
    for data, field, message in cases:
        resp = await post_form(client, "/account/password", data)
        assert resp.status == 400
        assert field_error(await resp.text(), field) == message
    assert await row_counts(client.app[DB]) == before
    assert (await post_form(client, "/account/password", cases[0][0], token=None)).status == 403
    ok = {"current_password": ORGANIZER_PASSWORD, "new_password": "a new password",
          "confirm_password": "a new password"}
    resp = await post_form(client, "/account/password", ok)
    assert resp.status == 303
    assert "Your password was changed." in await (await client.get("/desk")).text()
    await post_form(client, "/logout", {}, token_from="/desk")
    assert (await post_form(client, "/login", {"username": ORGANIZER, "password": ORGANIZER_PASSWORD})).status == 401
    await login(client, ORGANIZER, "a new password")


async def test_a_password_change_logs_out_the_other_sessions(client: TestClient, node_config: Config) -> None:
    await add_organizer(client)
    await login(client, ORGANIZER, ORGANIZER_PASSWORD)
    async with TestClient(TestServer(create_app(node_config, workers=False))) as laptop:  # another browser
        await login(laptop, ORGANIZER, ORGANIZER_PASSWORD)
        ok = {"current_password": ORGANIZER_PASSWORD, "new_password": "a new password",
              "confirm_password": "a new password"}
        assert (await post_form(client, "/account/password", ok)).status == 303
        assert (await client.get("/desk", allow_redirects=False)).status == 200  # this session stays
        assert (await laptop.get("/desk", allow_redirects=False)).status == 302  # the other one is over


async def test_an_expired_form_sends_an_anonymous_visitor_to_login(client: TestClient) -> None:
    resp = await post_form(client, "/desk/new/practice", {"title": "x"}, token=None)
    assert resp.status == 302 and resp.headers["Location"].startswith("/login?next=/desk/new/practice")


async def test_activitypub_inboxes_need_no_csrf_token(client: TestClient) -> None:
    resp = await client.post("/inbox", data=b"{}", headers={"Content-Type": "application/activity+json"})
    assert resp.status not in (302, 403)  # refused for its missing signature, not for CSRF


def test_the_session_key_is_private_and_made_at_init(node_config: Config) -> None:
    path = Path(node_config.data_dir) / KEY_FILE
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_node_made_before_sessions_gets_its_key_at_first_start(node_config: Config) -> None:
    path = Path(node_config.data_dir) / KEY_FILE
    path.unlink()
    async with TestClient(TestServer(create_app(node_config, workers=False))) as client:
        await login(client)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
