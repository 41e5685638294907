"""Issue 16's account rows, tried as an attacker would against the real handlers: open redirects after
login, a guesser locking an account's owner out, a session cookie copied before logout, a data folder
readable by others, and a full disk (a real small filesystem, filled)."""

import asyncio
import contextlib
import json
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet
from yarl import URL

from node import clock
from node import db as node_db
from node.accounts import get_login
from node.app import create_app
from node.appkeys import DB
from node.auth import COOKIE, LOGIN_LIMITS, SESSION_MAX_AGE, LoginLimits, ensure_session_key, fingerprint
from node.cli import main
from node.config import Config
from node.db import Database, latest_version, pre_migration_backup_path
from tests.conftest import ADMIN_PASSWORD
from tests.node.conftest import copy_node
from tests.support.desk import login, post_form
from tests.support.node import activity, post_signed
from tests.support.peer import Peer

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


# Row: 10 wrong passwords for a public handle from one address made the right one refused (429) everywhere.

@contextlib.asynccontextmanager
async def browsers(client: TestClient, *addresses: str) -> AsyncIterator[list[TestClient]]:
    """Test clients of the node's server, each connecting from its own loopback address (request.remote)."""
    made = [TestClient(client.server, connector=aiohttp.TCPConnector(local_addr=(address, 0)))
            for address in addresses]
    try:
        yield made
    finally:
        for browser in made:
            await browser.session.close()


async def _try(browser: TestClient, password: str, username: str = "admin") -> int:
    resp = await post_form(browser, "/login", {"username": username, "password": password, "next": "/desk"})
    return resp.status


async def test_one_address_guessing_cannot_lock_the_owner_out(client: TestClient) -> None:
    async with browsers(client, "127.0.0.66", "127.0.0.2") as (attacker, owner):
        assert [await _try(attacker, f"guess {i}") for i in range(10)] == [401] * 10
        assert await _try(attacker, ADMIN_PASSWORD) == 429  # the guesser is locked out of this account
        assert await _try(owner, ADMIN_PASSWORD) == 303  # its owner is not


async def test_a_distributed_guess_is_bounded_per_account_but_the_owner_known_address_still_logs_in(
        client: TestClient) -> None:
    limits = client.app[LOGIN_LIMITS]  # fewer attempts, same rule
    limits.by_pair.burst, limits.by_address.burst, limits.by_account.burst = 2.0, 4.0, 6.0
    guessers = [f"127.0.1.{i}" for i in range(1, 5)]
    async with browsers(client, "127.0.0.2", "127.0.0.3", *guessers) as (owner, newcomer, *attackers):
        assert await _try(owner, ADMIN_PASSWORD) == 303
        await post_form(owner, "/logout", {}, token_from="/desk")
        statuses = [await _try(attacker, f"guess {i}") for attacker in attackers for i in range(2)]
        assert statuses == [401] * 6 + [429] * 2  # six guesses in all for this account, from any address
        assert await _try(newcomer, ADMIN_PASSWORD) == 429  # even the right password, or guessing would go on
        assert await _try(owner, ADMIN_PASSWORD) == 303  # where the owner logged in before, they still can
        # One address trying many accounts is bounded too (four failures per address here).
        assert [await _try(attackers[0], "guess", username=name) for name in ("olga", "ines", "omar")] == [
            401, 401, 429]


def test_an_ipv6_client_counts_as_its_64_network() -> None:
    limits = LoginLimits(attempts=2)
    limits.failed("2001:db8:1:2::1", "admin")
    limits.failed("2001:db8:1:2:ffff::9", "Admin")
    assert limits.wait("2001:db8:1:2::77", "admin") > 0
    assert limits.wait("2001:db8:1:3::1", "admin") == 0


# Row: a session cookie copied before logout stayed valid after logout.

def _session_cookie(browser: TestClient) -> str:
    return next(c.value for c in browser.session.cookie_jar if c.key == COOKIE)


async def _desk_status(client: TestClient, cookie: str) -> int:
    """What /desk answers a browser that holds only `cookie` (200: logged in; 302: sent to /login)."""
    async with aiohttp.ClientSession(cookies={COOKIE: cookie}) as thief:
        async with thief.get(client.make_url("/desk"), allow_redirects=False) as resp:
            return resp.status


async def test_a_cookie_copied_before_logout_is_refused_after_it(client: TestClient) -> None:
    await login(client)
    copied = _session_cookie(client)
    assert await _desk_status(client, copied) == 200
    assert (await post_form(client, "/logout", {}, token_from="/desk")).status == 303
    assert await _desk_status(client, copied) == 302


async def test_logging_out_on_one_device_keeps_the_others(client: TestClient) -> None:
    async with browsers(client, "127.0.0.2", "127.0.0.3") as (laptop, phone):
        await login(laptop)
        await login(phone)
        await post_form(laptop, "/logout", {}, token_from="/desk")
        assert (await laptop.get("/desk", allow_redirects=False)).status == 302
        assert (await phone.get("/desk", allow_redirects=False)).status == 200


async def test_a_cookie_made_before_server_side_sessions_is_refused(client: TestClient, node_config: Config) -> None:
    """Upgrading logs everybody out once: the cookies made before (user id, fingerprint, CSRF token, and
    no session token) name no session on the server."""
    admin = await get_login(client.app[DB], "admin")
    assert admin is not None
    data = {"created": int(time.time()), "session": {"uid": admin.actor_id, "pw": fingerprint(admin), "csrf": "x"}}
    old = Fernet(ensure_session_key(node_config.data_dir)).encrypt(json.dumps(data).encode()).decode()
    assert await _desk_status(client, old) == 302


async def test_sessions_end_on_the_server_when_old_or_beyond_a_number_per_user(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("node.login_sessions.MAX_PER_USER", 2)
    cookies = []
    for _ in range(3):
        client.session.cookie_jar.clear()
        await login(client)
        cookies.append(_session_cookie(client))
    assert [await _desk_status(client, cookie) for cookie in cookies] == [302, 200, 200]  # the oldest went
    assert await client.app[DB].fetch_value("SELECT count(*) FROM login_sessions") == 2
    old = clock.iso(clock.now() - timedelta(seconds=SESSION_MAX_AGE + 1))
    async with client.app[DB].transaction() as tx:
        await tx.execute("UPDATE login_sessions SET created_at = ? WHERE id = (SELECT max(id) FROM login_sessions)",
                         (old,))
    assert [await _desk_status(client, cookie) for cookie in cookies] == [302, 200, 302]


# Row: `maillage init` made maillage.db (every private key) 0644.

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def test_init_makes_the_data_folder_and_its_secrets_private(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "srv" / "node"
    with umask(0o022):  # the usual default, under which files were 0644
        assert main(["init", "--data", str(data), "--url", "http://node.test", "--name", "reseau",
                     "--password", ADMIN_PASSWORD, "--dev"]) == 0
    capsys.readouterr()
    assert _mode(data) == 0o700
    assert {p.name: oct(_mode(p)) for p in data.iterdir()} == {
        "maillage.db": "0o600", "maillage.toml": "0o600", "session.key": "0o600"}
    assert _mode(tmp_path / "srv") == 0o755  # a folder above it is not the node's


async def test_a_start_makes_an_existing_node_private_and_says_so(node_config: Config,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    data = node_config.data_dir
    data.chmod(0o755)
    stray = data / "maillage.db.before-0010"
    shutil.copy(data / "maillage.db", stray)
    for name in ("maillage.db", "maillage.toml", "session.key", stray.name):
        (data / name).chmod(0o644)
    with umask(0o022), caplog.at_level(logging.WARNING):
        async with TestClient(TestServer(create_app(node_config, workers=False))) as client:
            await login(client)  # a write: the WAL and its index exist now
            files = {p.name: oct(_mode(p)) for p in data.iterdir() if p.is_file()}
    assert _mode(data) == 0o700 and set(files.values()) == {"0o600"}, files
    assert {"maillage.db-wal", "maillage.db-shm"} <= set(files)  # as private as the database they belong to
    said = [r.getMessage() for r in caplog.records if "made it private" in r.getMessage()]
    assert sorted(m.split(" was readable")[0] for m in said) == sorted(
        str(p) for p in (data, data / "maillage.db", data / "maillage.toml", data / "session.key", stray)), said


async def test_the_copy_made_before_a_migration_is_private(node_config: Config,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    current, known = latest_version(), node_db._migrations()
    probe = (current + 1, f"{current + 1:04d}_probe.sql", "CREATE TABLE probe (x INTEGER);")
    monkeypatch.setattr(node_db, "_migrations", lambda: [*known, probe])
    with umask(0o022):
        await (await Database.open(node_config.database_path)).close()
    assert _mode(pre_migration_backup_path(node_config.database_path, current + 1)) == 0o600


# Row: disk full: the inbox answered 500, /readyz still "ready", `maillage publish` printed a traceback.

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real filesystem of 24 MiB (tmpfs) that the test fills; skipped where one cannot be mounted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> None:
    """Write zeros until the filesystem refuses (ENOSPC)."""
    with (disk / "filler").open("wb") as out:
        with contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * (1 << 16))
                out.flush()


def truncate_wal(config: Config) -> None:
    """The WAL emptied, so the next write needs new blocks (a WAL reuses its own space)."""
    conn = sqlite3.connect(config.database_path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


PRACTICE = Path(__file__).parents[2] / "docs" / "examples" / "practice.en.md"


async def _publish(config: Config) -> tuple[int, str]:
    """`maillage publish` in its own process, as a person runs it: (exit status, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "node", "publish", "--data", str(config.data_dir), "--as", "admin", str(PRACTICE),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": os.getcwd()})
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)  # it hung after its traceback before
    return proc.returncode or 0, err.decode()


async def test_a_full_disk_makes_the_node_not_ready_the_inbox_503_and_commands_say_so(
        node_template: dict[bool, Path], small_disk: Path, peer: Peer, capsys: pytest.CaptureFixture[str]) -> None:
    config = copy_node(node_template[False], small_disk / "node")
    publish = ["publish", "--data", str(config.data_dir), "--as", "admin", str(PRACTICE)]
    async with TestClient(TestServer(create_app(config))) as client:
        ready = await client.get("/readyz")
        assert ready.status == 200, await ready.text()
        like = activity(peer, "alice", "Like", f"{ORIGIN}/practices/x")
        assert (await post_signed(client, peer, "alice", "/inbox", like)).status == 202
        truncate_wal(config)
        fill(small_disk)
        ready = await client.get("/readyz")
        assert ready.status == 503 and (await ready.json())["checks"]["disk"].startswith("full"), await ready.text()
        like = activity(peer, "alice", "Like", f"{ORIGIN}/practices/y")
        resp = await post_signed(client, peer, "alice", "/inbox", like)
        assert (resp.status, await resp.json()) == (503, {"error": "disk full"})
        assert int(resp.headers["Retry-After"]) > 0
        assert await asyncio.to_thread(main, publish) == 1  # while serve runs: SQLITE_FULL at the write
        err = capsys.readouterr().err
        assert err.startswith("error: disk full (database or disk is full): free some space in") and err.count(
            "\n") == 1, err
        (small_disk / "filler").unlink()
        assert (await post_signed(client, peer, "alice", "/inbox", like)).status == 202  # room again: taken
        assert (await client.get("/readyz")).status == 200
    fill(small_disk)
    code, err = await _publish(config)  # serve stopped: SQLite cannot even make its index (this one hung)
    assert (code, err.count("\n")) == (1, 1) and err.startswith("error: disk full (disk I/O error)"), err
