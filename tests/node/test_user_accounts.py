"""Organizer logins over their whole life: listing them, a new password when one is lost, suspending a
login (refused at once, open sessions ended, what it published still online) and reactivating it, from
the command line and from /admin/users. Refusals change nothing."""

import dataclasses
import hashlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.accounts import Login, get_login, verify_password
from node.appkeys import DB
from node.auth import fingerprint
from node.cli import main
from node.config import Config
from tests.conftest import ADMIN_PASSWORD
from tests.support.dbstate import row_counts
from tests.support.desk import ORGANIZER, ORGANIZER_PASSWORD, add_organizer, form_error, login, post_form
from tests.support.node import practice, publish_practice


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def users(data: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data / "maillage.db") as conn:
        return conn.execute("SELECT a.username, u.role, u.password_hash, u.suspended_at FROM users u"
                            " JOIN actors a ON a.id = u.actor_id ORDER BY a.username").fetchall()


def hash_of(data: Path, name: str) -> str:
    return next(row[2] for row in users(data) if row[0] == name)


# command line

def test_user_list_shows_each_login_with_its_role_and_state(node_config: Config,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    data = str(node_config.data_dir)
    assert run(capsys, "user", "add", "--data", data, "olga", "--password", "long enough")[0] == 0
    assert run(capsys, "user", "suspend", "--data", data, "olga")[0] == 0
    code, out, err = run(capsys, "user", "list", "--data", data)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"admin\tadmin\tactive\t@admin@{node_config.domain}"
    assert re.fullmatch(rf"olga\torganizer\tsuspended since \d{{4}}-\d\d-\d\dT[\d:]+Z\t@olga@{node_config.domain}",
                        lines[1]), lines
    code, out, _ = run(capsys, "user", "list", "--data", data, "--json")
    listed = json.loads(out)
    assert [(u["name"], u["role"], u["handle"], u["suspended_at"] is None) for u in listed] == [
        ("admin", "admin", f"@admin@{node_config.domain}", True),
        ("olga", "organizer", f"@olga@{node_config.domain}", False)]


def test_user_password_generated_or_given(node_config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    data = node_config.data_dir
    code, out, err = run(capsys, "user", "password", "--data", str(data), "admin")
    assert (code, err) == (0, "") and out.startswith("New password of admin: ")
    generated = out.strip().removeprefix("New password of admin: ")
    assert len(generated) >= 16 and verify_password(hash_of(data, "admin"), generated)
    assert not verify_password(hash_of(data, "admin"), ADMIN_PASSWORD)
    assert run(capsys, "user", "password", "--data", str(data), "admin", "--password", "my own choice") == (
        0, "Password of admin changed; their open sessions are logged out\n", "")
    assert verify_password(hash_of(data, "admin"), "my own choice")


@pytest.mark.parametrize(("argv", "message"), [
    (["password", "admin", "--password", "short"], "password too short: at least 8 characters"),
    (["password", "nobody"], "no user named 'nobody' (see `maillage user list`)"),
    (["suspend", "nobody"], "no user named 'nobody' (see `maillage user list`)"),
    (["reactivate", "nobody"], "no user named 'nobody' (see `maillage user list`)"),
    (["suspend", "admin"], "admin is the only admin who can log in: make another admin first"),
])
def test_user_refusals_change_nothing(node_config: Config, capsys: pytest.CaptureFixture[str], argv: list[str],
                                      message: str) -> None:
    data = node_config.data_dir
    before = users(data)
    action, *rest = argv
    assert run(capsys, "user", action, "--data", str(data), *rest) == (1, "", f"error: {message}\n")
    assert users(data) == before


def test_suspend_and_reactivate_from_the_command_line(node_config: Config, capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    data = str(node_config.data_dir)
    run(capsys, "user", "add", "--data", data, "boss", "--password", "long enough", "--role", "admin")
    assert run(capsys, "user", "suspend", "--data", data, "admin") == (
        0, "admin suspended: their login and open sessions are refused; their posts stay\n", "")
    assert run(capsys, "user", "suspend", "--data", data, "admin") == (0, "admin was suspended already\n", "")
    # the other admin is now the only one who can log in
    assert run(capsys, "user", "suspend", "--data", data, "boss")[0] == 1
    # a suspended organizer cannot act from the command line either
    draft = tmp_path / "practice.md"
    draft.write_text(practice(), encoding="utf-8")
    assert run(capsys, "publish", "--data", data, "--as", "admin", str(draft)) == (
        1, "", "error: admin is suspended (`maillage user reactivate` lets them act again)\n")
    assert run(capsys, "user", "reactivate", "--data", data, "admin") == (0, "admin can log in again\n", "")
    assert run(capsys, "user", "reactivate", "--data", data, "admin") == (0, "admin was not suspended\n", "")
    assert run(capsys, "publish", "--data", data, "--as", "admin", str(draft))[0] == 0


# admin pages

async def second_client(client: TestClient) -> TestClient:
    """Another browser on the same running node: its own cookie jar."""
    other = TestClient(client.server)
    await other.start_server()
    return other


async def test_a_suspended_organizer_is_logged_out_and_cannot_log_in(admin_client: TestClient) -> None:
    client = admin_client
    await add_organizer(client)
    olga = await second_client(client)
    try:
        await login(olga, ORGANIZER, ORGANIZER_PASSWORD)
        assert (await olga.get("/desk", allow_redirects=False)).status == 200
        await publish_practice(client.app, author=ORGANIZER)
        resp = await post_form(client, "/admin/users/suspension", {"username": ORGANIZER, "action": "suspend"},
                               token_from="/admin/users")
        assert resp.status == 303
        page = await (await client.get("/admin/users")).text()
        assert "olga is suspended" in page and "Suspended since" in page and "Reactivate olga" in page
        # her open session ends at once, and the right password now gets a clear refusal
        assert (await olga.get("/desk", allow_redirects=False)).status == 302
        refused = await post_form(olga, "/login", {"username": ORGANIZER, "password": ORGANIZER_PASSWORD})
        assert refused.status == 403 and "suspended" in (form_error(await refused.text()) or "")
        wrong = await post_form(olga, "/login", {"username": ORGANIZER, "password": "not her password"})
        assert wrong.status == 401 and "suspended" not in await wrong.text()  # told only to whom knows it
        # what she published stays online, and her actor with it
        assert (await olga.get("/practices/monnaie-locale")).status == 200
        actor = await olga.get(f"/users/{ORGANIZER}", headers={"Accept": "application/activity+json"})
        assert actor.status == 200
        resp = await post_form(client, "/admin/users/suspension", {"username": ORGANIZER, "action": "reactivate"},
                               token_from="/admin/users")
        assert resp.status == 303
        assert (await olga.get("/desk", allow_redirects=False)).status == 302  # the ended session stays ended
        await login(olga, ORGANIZER, ORGANIZER_PASSWORD)
        assert (await olga.get("/desk", allow_redirects=False)).status == 200
    finally:
        await olga.session.close()


async def test_an_admin_gives_a_new_password_shown_once(admin_client: TestClient) -> None:
    client = admin_client
    await add_organizer(client)
    olga = await second_client(client)
    try:
        await login(olga, ORGANIZER, ORGANIZER_PASSWORD)
        resp = await post_form(client, "/admin/users/password", {"username": ORGANIZER}, token_from="/admin/users")
        assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
        match = re.search(r'id="new-password">.*?<code>([^<]+)</code>', await resp.text(), re.S)
        assert match, await resp.text()
        password = match.group(1)
        assert password not in await (await client.get("/admin/users")).text()  # shown once
        assert (await olga.get("/desk", allow_redirects=False)).status == 302  # her old session ended
        wrong = await post_form(olga, "/login", {"username": ORGANIZER, "password": ORGANIZER_PASSWORD})
        assert wrong.status == 401
        await login(olga, ORGANIZER, password)
    finally:
        await olga.session.close()


@pytest.mark.parametrize(("path", "data", "message"), [
    ("/admin/users/suspension", {"username": "admin", "action": "suspend"}, "You cannot suspend your own account."),
    ("/admin/users/password", {"username": "admin"}, "Change your own password from your account page."),
    ("/admin/users/suspension", {"username": "nobody", "action": "suspend"}, "There is no such user."),
    ("/admin/users/password", {"username": "nobody"}, "There is no such user."),
    ("/admin/users/suspension", {"username": ORGANIZER, "action": "delete"}, "Choose one of the options."),
])
async def test_admin_refusals_change_nothing(admin_client: TestClient, path: str, data: dict[str, str],
                                            message: str) -> None:
    client = admin_client
    await add_organizer(client)
    before = await row_counts(client.app[DB])
    logins = [await get_login(client.app[DB], name) for name in ("admin", ORGANIZER)]
    resp = await post_form(client, path, data, token_from="/admin/users")
    assert resp.status == 400 and form_error(await resp.text()) == message
    assert await row_counts(client.app[DB]) == before
    assert [await get_login(client.app[DB], name) for name in ("admin", ORGANIZER)] == logins


async def test_organizers_cannot_use_the_admin_user_forms(organizer_client: TestClient) -> None:
    client = organizer_client
    await add_organizer(client, "other", "other password")
    before = [await get_login(client.app[DB], name) for name in ("admin", "other")]
    for path, data in (("/admin/users/suspension", {"username": "admin", "action": "suspend"}),
                       ("/admin/users/password", {"username": "other"})):
        assert (await post_form(client, path, data, token_from="/desk")).status == 403
    assert [await get_login(client.app[DB], name) for name in ("admin", "other")] == before


def test_sessions_made_before_suspensions_existed_stay_valid() -> None:
    """Epoch 0 fingerprints as the password hash alone did: upgrading logs nobody out."""
    login = Login(1, "olga", "Olga", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "organizer")
    assert fingerprint(login) == hashlib.sha256(login.password_hash.encode()).hexdigest()[:24]
    assert fingerprint(dataclasses.replace(login, session_epoch=1)) != fingerprint(login)
