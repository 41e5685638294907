"""Driving the desk and admin pages like a browser does: read the CSRF token from a page's form, post
forms (urlencoded or multipart), log in. Real HTTP through aiohttp's test client, the cookie jar
keeping the session cookie between requests."""

import html
import io
import re
from html.parser import HTMLParser
from typing import Any

from aiohttp import ClientResponse, FormData
from aiohttp.test_utils import TestClient

from node.accounts import add_user
from node.appkeys import DB
from tests.conftest import ADMIN_PASSWORD

ORGANIZER, ORGANIZER_PASSWORD = "olga", "organizer password"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def in_english(client: TestClient) -> None:
    """Pages in English (the test node's default language is French), as a `?lang=en` choice leaves them."""
    client.session.cookie_jar.update_cookies({"lang": "en"}, client.make_url("/"))


async def csrf_token(client: TestClient, path: str = "/login") -> str:
    """The token in the first form of the page at `path` (GET); pages are asked for in English."""
    in_english(client)
    resp = await client.get(path, allow_redirects=False)
    assert resp.status == 200, (path, resp.status)
    match = _TOKEN.search(await resp.text())
    assert match, f"no csrf_token field on {path}"
    return match.group(1)


async def post_form(client: TestClient, path: str, data: dict[str, Any], *, token: str | None = "page",
                    token_from: str | None = None, files: dict[str, tuple[str, bytes, str]] | None = None
                    ) -> ClientResponse:
    """POST a form; `token="page"` reads the CSRF token from `token_from` (default: the same path, or
    /desk when that path has no GET), None sends none, any other string is sent as is."""
    if token == "page":
        token = await csrf_token(client, token_from or path)
    fields = dict(data)
    if token is not None:
        fields["csrf_token"] = token
    if files:
        form = FormData()
        for k, v in fields.items():
            form.add_field(k, str(v))
        for k, (name, content, ctype) in files.items():
            form.add_field(k, io.BytesIO(content), filename=name, content_type=ctype)
        return await client.post(path, data=form, allow_redirects=False)
    return await client.post(path, data=fields, allow_redirects=False)


async def login(client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> ClientResponse:
    resp = await post_form(client, "/login", {"username": username, "password": password, "next": "/desk"})
    assert resp.status == 303, (resp.status, await resp.text())
    return resp


async def add_organizer(client: TestClient, username: str = ORGANIZER, password: str = ORGANIZER_PASSWORD,
                        role: str = "organizer") -> None:
    async with client.app[DB].transaction() as tx:
        await add_user(tx, username=username, password=password, role=role, display_name=username.title())


def field_error(page: str, field: str) -> str | None:
    """The error message shown beside a field (`<span class="field-error" id="FIELD-error">`)."""
    match = re.search(rf'<span class="field-error" id="{re.escape(field)}-error">(.*?)</span>', page, re.S)
    return html.unescape(match.group(1).strip()) if match else None


def form_error(page: str) -> str | None:
    match = re.search(r'<p class="form-error" role="alert">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1).strip()) if match else None


async def publish_item(client: TestClient, kind: str, data: dict[str, str]) -> str:
    """Publish from the desk's new-item form as the logged-in user; the published item's Location."""
    resp = await post_form(client, f"/desk/new/{kind}", data)
    assert resp.status == 303, (await resp.text())[:3000]
    return resp.headers["Location"]


async def organizer_after_admin_published(client: TestClient, kind: str, data: dict[str, str]) -> None:
    """The admin publishes an item, then an organizer (not its author) is the one logged in."""
    await login(client)
    await publish_item(client, kind, data)
    await post_form(client, "/logout", {}, token_from="/desk")
    await add_organizer(client)
    await login(client, ORGANIZER, ORGANIZER_PASSWORD)


class _FormValues(HTMLParser):
    """The values a browser would send for the form whose action is `action`: inputs (checkboxes only
    when checked), textareas, and each select's selected option."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.values = action, False, {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif not self.inside or not a.get("name"):
            return
        elif tag == "input" and a.get("type") not in ("submit", "file", "checkbox") or \
                tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.values[a["name"]] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""
        elif tag == "select":
            self._select = a["name"]

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


async def form_values(client: TestClient, path: str) -> dict[str, str]:
    """What the form at `path` (whose action is `path`) sends as it is shown, CSRF token included."""
    in_english(client)
    resp = await client.get(path)
    assert resp.status == 200, path
    parser = _FormValues(path.split("?")[0])
    parser.feed(await resp.text())
    return dict(parser.values)
