"""Issue 16's account rows, tried as an attacker would against the real handlers: open redirects after
login, a guesser locking an account's owner out, a session cookie copied before logout, a data folder
readable by others, and a full disk (a real small filesystem, filled)."""

from urllib.parse import urljoin, urlsplit

from aiohttp.test_utils import TestClient
from yarl import URL

from tests.conftest import ADMIN_PASSWORD
from tests.support.desk import login, post_form

ORIGIN = "http://node.test"


# Row: `GET /login?next=/%09/evil.example/x` when logged in answered `303 Location: //evil.example/x`.

BYPASSES = [
    "//evil.example/x", "///evil.example/x", "////evil.example/x", "/\\evil.example/x", "\\\\evil.example/x",
    "/\\/evil.example/x", "\\/evil.example/x", "/\t/evil.example/x", "/\n/evil.example/x", "/\r\n/evil.example/x",
    " //evil.example/x", "\t//evil.example/x", "/\x00/evil.example/x", "/%09/evil.example/x", "/%0a/evil.example/x",
    "/%2F%2Fevil.example/x", "/%2f/evil.example/x", "/%5Cevil.example/x", "/%5c%5cevil.example/x",
    "/.//evil.example/x", "/..//evil.example/x", "/%2e%2e//evil.example/x", "/./%2Fevil.example/x",
    "https:evil.example/x", "https://evil.example/x", "http:/evil.example/x", "HTTPS://evil.example/x",
    "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "evil.example/x", "@evil.example/x",
    "/" + "a" * 5000, "",
]
ALLOWED = ["/desk", "/desk/new/practice?x=1", "/admin/users", "/account/password", "/practices/caf%C3%A9"]


def _stays_here(location: str) -> bool:
    return urlsplit(urljoin(f"{ORIGIN}/login", location)).netloc == "node.test"


async def test_the_issue_redirect_when_logged_in_stays_on_the_node(client: TestClient) -> None:
    await login(client)
    resp = await client.get(URL("/login?next=/%09/evil.example/x", encoded=True), allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (303, "/desk")


async def test_known_open_redirect_bypasses_all_land_on_the_desk(client: TestClient) -> None:
    """Through the form as a visitor, the login's POST and the logged-in GET: every answer names /desk."""
    shown, after_login, logged_in = {}, {}, {}
    for target in BYPASSES:
        page = await (await client.get("/login", params={"next": target}, allow_redirects=False)).text()
        shown[target] = 'name="next" value="/desk"' in page
        resp = await post_form(client, "/login", {"username": "admin", "password": ADMIN_PASSWORD, "next": target})
        after_login[target] = (resp.status, resp.headers.get("Location"))
        resp = await client.get("/login", params={"next": target}, allow_redirects=False)
        logged_in[target] = (resp.status, resp.headers.get("Location"))
        await post_form(client, "/logout", {}, token_from="/desk")
    assert [t for t, ok in shown.items() if not ok] == []
    assert {t: answer for t, answer in after_login.items() if answer != (303, "/desk")} == {}
    assert {t: answer for t, answer in logged_in.items() if answer != (303, "/desk")} == {}


async def test_a_path_on_the_node_is_where_login_goes(client: TestClient) -> None:
    for target in ALLOWED:
        resp = await post_form(client, "/login", {"username": "admin", "password": ADMIN_PASSWORD, "next": target})
        assert (resp.status, resp.headers["Location"]) == (303, target) and _stays_here(target)
        resp = await client.get("/login", params={"next": target}, allow_redirects=False)
        assert (resp.status, resp.headers["Location"]) == (303, target)
        await post_form(client, "/logout", {}, token_from="/desk")
