"""Fedify (https://fedify.dev), an independent ActivityPub implementation, finds, follows and reads
a real Maillage node, and the node follows and reads Fedify, all over loopback HTTP.

Two processes: `maillage serve` (initialised with `maillage init --dev`) and the Fedify peer in
tests/interop/fedify/peer.mjs (npm packages pinned by its package-lock.json; `npm ci` runs here when
node_modules is missing). The peer records only activities that Fedify accepted after its own
HTTP Signature verification; the node's side is checked in its SQLite database (read-only).
Everything the peer refused is in its /control/inbox-log, shown when a wait times out.
Fedify resolves `acct:` handles over https only; the peer routes loopback https to http itself.
"""

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.ports import free_port

pytestmark = pytest.mark.interop

ROOT = Path(__file__).resolve().parents[2]
FEDIFY_DIR = Path(__file__).resolve().parent / "fedify"
NODE = shutil.which("node")
NPM = shutil.which("npm")
WAIT_SECONDS = 15.0
ADMIN_PASSWORD = "correct horse battery"
AS2 = "application/activity+json"
T = TypeVar("T")
# Loopback only: never through an HTTP proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

PRACTICE = """\
---
type: practice
slug: epicerie-solidaire-fedify
lang: fr
title: Une épicerie solidaire en circuit court
summary: "Pays de Brest · souveraineté alimentaire, consommation éthique. Une épicerie tenue par ses adhérents
  achète aux producteurs du territoire et vend à double tarif."
themes: [food-sovereignty, ethical-consumption]
---
Une **épicerie solidaire** ouverte en 2021 par une association de quartier.

## Ressources mobilisées
Un local prêté par la mairie, douze bénévoles, un fonds de roulement apporté par une finance solidaire.
"""

if NODE is None or NPM is None:
    pytest.skip("the Fedify interop test needs Node.js and npm (node and npm are not on PATH)",
                allow_module_level=True)


def http(method: str, url: str, body: Any = None, accept: str = "application/json") -> tuple[int, Any]:
    """(status, parsed JSON or text) of a request to one of the two servers."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Accept": accept, **({"Content-Type": "application/json"} if data is not None else {})}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with OPENER.open(request, timeout=30) as resp:
            status, raw, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        with exc:
            status, raw, ctype = exc.code, exc.read(), exc.headers.get("Content-Type", "")
    text = raw.decode("utf-8", "replace")
    return status, json.loads(text) if "json" in ctype else text


def wait_for(what: str, probe: Callable[[], T | None], diagnostics: Callable[[], str]) -> T:
    """Poll `probe` until it returns something truthy, for at most WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {WAIT_SECONDS:.0f} s waiting for {what}\n{diagnostics()}")
        time.sleep(0.1)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return f"--- {self.name} log (last {lines} lines) ---\n" + "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


def _env() -> dict[str, str]:
    # MAILLAGE_* variables override the node's config file: a developer's shell must not change the test.
    return {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}


def _maillage_command() -> list[str]:
    script = Path(sys.executable).parent / "maillage"
    return [str(script)] if script.exists() else [sys.executable, "-m", "node"]


def maillage(*args: str) -> str:
    """Run a `maillage` sub-command; returns its stdout, fails the test on a non-zero exit."""
    proc = subprocess.run([*_maillage_command(), *args], cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=60, check=False)
    if proc.returncode != 0:
        pytest.fail(f"maillage {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


@dataclass
class Servers:
    data: Path
    node_base: str
    peer_base: str
    processes: list[Process] = field(default_factory=list)

    @property
    def group_iri(self) -> str:
        return f"{self.node_base}/users/reseau"

    @property
    def admin_iri(self) -> str:
        return f"{self.node_base}/users/admin"

    @property
    def peer_iri(self) -> str:
        return f"{self.peer_base}/users/peer"

    @property
    def node_handle(self) -> str:
        return f"@reseau@{self.node_base.removeprefix('http://')}"

    @property
    def peer_handle(self) -> str:
        return f"@peer@{self.peer_base.removeprefix('http://')}"

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Read the node's database without writing to it (the node keeps running)."""
        with contextlib.closing(
            sqlite3.connect(f"file:{self.data / 'maillage.db'}?mode=ro", uri=True, timeout=5)
        ) as conn:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, params).fetchall()

    def received(self) -> list[dict[str, Any]]:
        status, body = http("GET", f"{self.peer_base}/control/received")
        assert status == 200, body
        return list(body)

    def received_matching(self, **wanted: Any) -> dict[str, Any] | None:
        return next((a for a in self.received() if all(a.get(k) == v for k, v in wanted.items())), None)

    def diagnostics(self) -> str:
        parts = []
        with contextlib.suppress(Exception):
            parts.append("Fedify accepted: " + json.dumps(
                [{k: a.get(k) for k in ("type", "id", "actor", "object", "objectType")} for a in self.received()],
                indent=1))
        with contextlib.suppress(Exception):
            parts.append("Fedify inbox log: " + json.dumps(http("GET", f"{self.peer_base}/control/inbox-log")[1],
                                                            indent=1))
        with contextlib.suppress(Exception):
            parts.append("node deliveries: " + json.dumps([dict(r) for r in self.query(
                "SELECT d.inbox, d.state, d.attempts, d.last_status, d.last_error, a.type FROM deliveries d"
                " JOIN activities a ON a.id = d.activity_id ORDER BY d.id")], indent=1))
        with contextlib.suppress(Exception):
            parts.append("node inbox: " + json.dumps([dict(r) for r in self.query(
                "SELECT activity_iri, type, actor_iri, state, error FROM inbox ORDER BY id")], indent=1))
        with contextlib.suppress(Exception):
            parts.append("node follows: " + json.dumps([dict(r) for r in self.query(
                "SELECT follower_iri, followee_iri, state FROM follows ORDER BY id")], indent=1))
        parts.extend(p.tail() for p in self.processes)
        return "\n".join(parts)


def _ensure_fedify_installed() -> None:
    if (FEDIFY_DIR / "node_modules" / "@fedify" / "fedify").is_dir():
        return
    assert NPM is not None
    proc = subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=FEDIFY_DIR, capture_output=True, text=True,
                          timeout=300, check=False)
    if proc.returncode != 0:
        pytest.fail(f"npm ci in {FEDIFY_DIR} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def _start(name: str, command: list[str], cwd: Path, log: Path) -> Process:
    with log.open("wb") as out:
        popen = subprocess.Popen(command, cwd=cwd, env=_env(), stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
    return Process(name, popen, log)


def _wait_up(process: Process, url: str) -> None:
    def probe() -> bool:
        if process.popen.poll() is not None:
            pytest.fail(f"{process.name} exited with {process.popen.returncode}\n{process.tail()}")
        try:
            return http("GET", url)[0] == 200
        except OSError:
            return False

    wait_for(f"{process.name} to answer {url}", probe, process.tail)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    _ensure_fedify_installed()
    tmp = tmp_path_factory.mktemp("fedify-interop")
    node_port, peer_port = free_port(), free_port()
    env = Servers(data=tmp / "node", node_base=f"http://127.0.0.1:{node_port}",
                  peer_base=f"http://127.0.0.1:{peer_port}")
    maillage("init", "--data", str(env.data), "--url", env.node_base, "--name", "reseau", "--title", "Réseau interop",
             "--password", ADMIN_PASSWORD, "--dev")
    try:
        node = _start("maillage serve", [*_maillage_command(), "serve", "--data", str(env.data)], ROOT,
                      tmp / "node.log")
        env.processes.append(node)
        assert NODE is not None
        peer = _start("fedify peer", [NODE, "peer.mjs", str(peer_port)], FEDIFY_DIR, tmp / "peer.log")
        env.processes.append(peer)
        _wait_up(node, f"{env.node_base}/healthz")
        _wait_up(peer, f"{env.peer_base}/control/state")
        yield env
    finally:
        for process in env.processes:
            process.stop()


@pytest.fixture(scope="module")
def fedify_follows_network(servers: Servers) -> dict[str, Any]:
    """Fedify looks the network up by handle and follows it; waits for the node's Accept."""
    status, body = http("POST", f"{servers.peer_base}/control/follow", {"handle": servers.node_handle})
    assert status == 200, f"Fedify could not follow {servers.node_handle}: {body}\n{servers.diagnostics()}"
    accept = wait_for(
        "Fedify to receive and verify the node's Accept of its Follow",
        lambda: servers.received_matching(type="Accept", actor=servers.group_iri, object=body["follow"]),
        servers.diagnostics,
    )
    return {**body, "accept": accept}


@pytest.fixture(scope="module")
def published(servers: Servers, fedify_follows_network: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
              ) -> str:
    """A practice write-up published by the admin with `maillage publish`; returns its IRI."""
    source = tmp_path_factory.mktemp("drafts") / "practice.md"
    source.write_text(PRACTICE, encoding="utf-8")
    return maillage("publish", "--data", str(servers.data), "--as", "admin", str(source)).strip()


@pytest.fixture(scope="module")
def network_follows_fedify(servers: Servers) -> str:
    """`maillage follow @peer@...`: the network Group follows the Fedify actor, which auto-accepts."""
    out = maillage("follow", "--data", str(servers.data), servers.peer_handle).split()
    assert out == [servers.peer_iri, "pending"], out
    wait_for(
        "the node to record Fedify's Accept (follows.state = 'accepted')",
        lambda: servers.query("SELECT 1 FROM follows WHERE follower_iri = ? AND followee_iri = ?"
                              " AND state = 'accepted'", (servers.group_iri, servers.peer_iri)),
        servers.diagnostics,
    )
    return servers.peer_iri


def fedify_post(servers: Servers, content: str, *, in_reply_to: str | None = None, to: str | None = None
                ) -> dict[str, Any]:
    status, body = http("POST", f"{servers.peer_base}/control/post",
                        {"content": content, "inReplyTo": in_reply_to, "to": to})
    assert status == 200, f"Fedify could not post: {body}\n{servers.diagnostics()}"
    return dict(body)


def test_fedify_finds_the_network_by_handle_and_follows_it(
    servers: Servers, fedify_follows_network: dict[str, Any]
) -> None:
    assert fedify_follows_network["actor"] == servers.group_iri
    assert fedify_follows_network["type"] == "Group"
    accept = fedify_follows_network["accept"]
    assert accept["objectType"] == "Follow"
    assert accept["recipient"] == "peer"
    rows = servers.query("SELECT activity_iri, state FROM follows WHERE follower_iri = ? AND followee_iri = ?",
                         (servers.peer_iri, servers.group_iri))
    assert [tuple(r) for r in rows] == [(fedify_follows_network["follow"], "accepted")]
    wait_for(
        "the node to mark Fedify's Follow as processed (inbox.state = 'done')",
        lambda: servers.query("SELECT 1 FROM inbox WHERE activity_iri = ? AND state = 'done'",
                              (fedify_follows_network["follow"],)),
        servers.diagnostics,
    )


def test_a_published_practice_reaches_fedify_as_create_and_group_announce(
    servers: Servers, published: str
) -> None:
    create = wait_for(
        "Fedify to receive and verify the Create of the Article",
        lambda: servers.received_matching(type="Create", object=published),
        servers.diagnostics,
    )
    assert create["actor"] == servers.admin_iri
    assert create["objectType"] == "Article"
    assert create["objectName"] == "Une épicerie solidaire en circuit court"
    announce = wait_for(
        "Fedify to receive and verify the Group's Announce of the Article",
        lambda: servers.received_matching(type="Announce", object=published),
        servers.diagnostics,
    )
    assert announce["actor"] == servers.group_iri
    assert announce["objectType"] == "Article"


def test_fedify_reads_the_article_and_the_network(servers: Servers, published: str) -> None:
    status, article = http("GET", f"{servers.peer_base}/control/lookup?" + urllib.parse.urlencode(
        {"handle": published}))
    assert status == 200, f"{article}\n{servers.diagnostics()}"
    assert (article["type"], article["id"], article["name"]) == (
        "Article", published, "Une épicerie solidaire en circuit court")
    assert article["jsonld"]["attributedTo"] == servers.admin_iri
    status, group = http("GET", f"{servers.peer_base}/control/lookup?" + urllib.parse.urlencode(
        {"handle": servers.node_handle}))
    assert status == 200, f"{group}\n{servers.diagnostics()}"
    assert (group["type"], group["id"], group["name"]) == ("Group", servers.group_iri, "Réseau interop")


def test_the_network_follows_fedify_and_stores_its_notes(servers: Servers, network_follows_fedify: str) -> None:
    follow = servers.received_matching(type="Follow", actor=servers.group_iri, object=servers.peer_iri)
    assert follow is not None, servers.diagnostics()
    # The node fetched the Fedify actor with a GET signed by its instance actor, which Fedify verified.
    status, fetches = http("GET", f"{servers.peer_base}/control/fetch-log")
    assert status == 200
    instance = f"{servers.node_base}/actor"
    assert {"identifier": "peer", "keyId": f"{instance}#main-key", "owner": instance} in fetches, fetches
    note = fedify_post(servers, "<p>Bonjour depuis Fedify</p>")
    assert note["followers"] == 1
    wait_for(
        "the node to process Fedify's Create(Note) (inbox.state = 'done')",
        lambda: servers.query("SELECT 1 FROM inbox WHERE activity_iri = ? AND state = 'done'", (note["create"],)),
        servers.diagnostics,
    )
    [stored] = servers.query("SELECT type, attributed_to, in_reply_to, document FROM remote_objects WHERE iri = ?",
                             (note["note"],))
    assert (stored["type"], stored["attributed_to"], stored["in_reply_to"]) == ("Note", servers.peer_iri, None)
    assert json.loads(stored["document"])["content"] == "<p>Bonjour depuis Fedify</p>"


def test_a_fedify_reply_to_the_article_becomes_a_comment(
    servers: Servers, published: str, network_follows_fedify: str
) -> None:
    reply = fedify_post(servers, "<p>Merci pour ce partage !</p>", in_reply_to=published, to=servers.admin_iri)
    rows = wait_for(
        "the reply to land in remote_objects",
        lambda: servers.query("SELECT in_reply_to, attributed_to FROM remote_objects WHERE iri = ?",
                              (reply["note"],)),
        servers.diagnostics,
    )
    assert [tuple(r) for r in rows] == [(published, servers.peer_iri)]
    # The article's page lists it under Comments: its author and its text, sanitized.
    status, page = http("GET", published, accept="text/html")
    assert status == 200
    comments = page[page.index('<section class="comments"'):]
    assert '<article class="comment">' in comments and "<p>Merci pour ce partage !</p>" in comments


def test_fedify_pages_through_the_network_outbox_and_followers(
    servers: Servers, published: str, fedify_follows_network: dict[str, Any]
) -> None:
    status, outbox = http("GET", f"{servers.peer_base}/control/collection?" + urllib.parse.urlencode(
        {"iri": f"{servers.group_iri}/outbox"}))
    assert status == 200, f"{outbox}\n{servers.diagnostics()}"
    assert outbox["type"] == "OrderedCollection"
    assert {"type": "Create", "object": published} in [  # the network's outbox lists its items' Creates
        {"type": i["type"], "object": i["object"]} for i in outbox["items"]]
    status, followers = http("GET", f"{servers.peer_base}/control/collection?" + urllib.parse.urlencode(
        {"iri": f"{servers.group_iri}/followers"}))
    assert status == 200, f"{followers}\n{servers.diagnostics()}"
    assert servers.peer_iri in [i["id"] for i in followers["items"]]


def test_fedify_accepted_only_signed_deliveries_and_refuses_unsigned_ones(
    servers: Servers, published: str, fedify_follows_network: dict[str, Any]
) -> None:
    """Guards the harness itself: Fedify's verification is on, so `received` means verified."""
    status, log = http("GET", f"{servers.peer_base}/control/inbox-log")
    assert status == 200
    signed = [entry for entry in log if entry["signature"]]
    assert signed, servers.diagnostics()
    assert [e for e in signed if e["status"] != 202] == [], servers.diagnostics()
    forged = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{servers.node_base}/activities/forged-{time.monotonic_ns()}",
        "type": "Create",
        "actor": servers.admin_iri,
        "object": {"id": f"{servers.node_base}/practices/forged", "type": "Article", "name": "Forged",
                   "attributedTo": servers.admin_iri},
    }
    request = urllib.request.Request(f"{servers.peer_base}/inbox", data=json.dumps(forged).encode(), method="POST",
                                     headers={"Content-Type": AS2})
    with pytest.raises(urllib.error.HTTPError) as refused:
        OPENER.open(request, timeout=30)
    with refused.value as answer:
        assert answer.code == 401
    assert servers.received_matching(id=forged["id"]) is None


def test_unfollows_in_both_directions(
    servers: Servers, fedify_follows_network: dict[str, Any], network_follows_fedify: str
) -> None:
    """Undo(Follow) each way. Last in this module: it ends both follows the tests above rely on."""
    status, body = http("POST", f"{servers.peer_base}/control/unfollow", {"actor": servers.group_iri})
    assert status == 200, f"{body}\n{servers.diagnostics()}"
    wait_for(
        "the node to process Fedify's Undo(Follow) and drop the follower",
        lambda: servers.query("SELECT 1 FROM inbox WHERE activity_iri = ? AND state = 'done'", (body["undo"],))
        and not servers.query("SELECT 1 FROM follows WHERE follower_iri = ? AND followee_iri = ?",
                              (servers.peer_iri, servers.group_iri)),
        servers.diagnostics,
    )
    out = maillage("unfollow", "--data", str(servers.data), servers.peer_handle).split()
    assert out == [servers.peer_iri, "unfollowed"], out
    undo = wait_for(
        "Fedify to receive and verify the node's Undo(Follow)",
        lambda: servers.received_matching(type="Undo", actor=servers.group_iri),
        servers.diagnostics,
    )
    assert undo["objectType"] == "Follow"
    status, state = http("GET", f"{servers.peer_base}/control/state")
    assert status == 200
    assert servers.group_iri not in state["followers"]
