"""Two real nodes federating while node A sits behind a real nginx (deploy/nginx.conf, rendered for
loopback) and, in a second test, behind a real Caddy (deploy/Caddyfile): the proxy must keep what HTTP
Signatures cover, and `maillage doctor` must tell a good proxy from a broken one."""

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from protocol.sig.cavage import sign_request
from tests.deploy.proxies import render_nginx_loopback, start_caddy, start_nginx, tool
from tests.federation.harness import AS2, Cluster, NodeProcess, free_port, run_parallel

pytestmark = pytest.mark.federation

PRACTICE = """---
type: practice
slug: epicerie-solidaire
lang: fr
title: Une épicerie solidaire
summary: Comment un quartier a ouvert son épicerie.
themes: [food-sovereignty]
---
Le récit complet.
"""


class ProxiedNode(NodeProcess):
    """A node whose public URL (base_url) is the proxy's address; it serves on its own port behind it."""

    def __init__(self, root: Path, label: str, public_port: int) -> None:
        super().__init__(root, label)
        self.public_port = public_port
        self.url = f"http://127.0.0.1:{public_port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.public_port}"

    def trust_loopback_proxy(self) -> None:
        config = self.data / "maillage.toml"
        text = config.read_text(encoding="utf-8")
        assert "\ntrusted_proxies = []\n" in text, "`maillage init` writes every key, trusted_proxies included"
        config.write_text(text.replace("\ntrusted_proxies = []\n", '\ntrusted_proxies = ["127.0.0.1", "::1"]\n'),
                          encoding="utf-8")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    nodes = Cluster(tmp_path)
    try:
        yield nodes
    finally:
        nodes.close()


def require(name: str) -> None:
    if tool(name) is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it with apt-get)")


def doctor(node: NodeProcess) -> tuple[int, dict[str, str]]:
    """Run `maillage doctor`; returns its exit code and {check name: 'LEVEL reason'}."""
    result = subprocess.run(node.cli_args("doctor"), capture_output=True, text=True, timeout=60)
    checks = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^(OK|WARN|FAIL)\s+([^:]+): (.*)$", line)
        assert match, f"unexpected doctor line {line!r}\n{result.stdout}{result.stderr}"
        checks[match[2]] = f"{match[1]} {match[3]}"
    return result.returncode, checks


def signed_post(sender: NodeProcess, receiver: NodeProcess, path: str, activity: dict) -> tuple[int, object]:
    key = sender.value("SELECT private_key_pem FROM actors WHERE username = 'admin'")
    body = json.dumps(activity).encode()
    headers = sign_request(method="POST", url=f"{receiver.url}{path}", headers={"Content-Type": AS2}, body=body,
                           key_id=f"{sender.actor_iri('admin')}#main-key", private_key_pem=key,
                           now=datetime.now(UTC))
    return receiver.post(path, body, headers)


def test_federation_through_nginx(cluster: Cluster, tmp_path: Path) -> None:
    require("nginx")
    a = ProxiedNode(tmp_path, "a", free_port())
    b = NodeProcess(tmp_path, "b")
    cluster.nodes.extend([a, b])
    run_parallel([a.init_args(), b.init_args()], what="init")
    a.trust_loopback_proxy()
    (tmp_path / "nginx").mkdir()
    proxy = start_nginx(render_nginx_loopback(tmp_path / "nginx", listen_port=a.public_port, upstream_port=a.port),
                        a.public_port)
    try:
        a.start(wait=False)
        b.start(wait=False)
        a.wait_healthy()  # through nginx
        b.wait_healthy()

        # B follows A by its handle: WebFinger, the actor and B's signed Follow all go through nginx.
        assert b.cli("follow", a.handle) == f"{a.actor_iri()} pending"
        cluster.wait_for(
            lambda: b.value("SELECT state FROM follows WHERE follower_iri = ? AND followee_iri = ?",
                            (b.actor_iri(), a.actor_iri())) == "accepted",
            what="A to accept B's follow received through nginx",
        )
        assert a.value("SELECT state FROM inbox WHERE type = 'Follow'") == "done"
        access = (tmp_path / "nginx" / "nginx-access.log").read_text(encoding="utf-8")
        assert re.search(r'"POST /(users/reseau/)?inbox HTTP/1\.1" 202', access), access

        # A publishes; B receives the Create and the Announce, verified, and fetches the object via nginx.
        practice = tmp_path / "practice.md"
        practice.write_text(PRACTICE, encoding="utf-8")
        object_iri = a.publish(practice)
        assert object_iri == f"{a.url}/practices/epicerie-solidaire"
        cluster.wait_for(
            lambda: {r["type"]: r["state"] for r in b.query("SELECT type, state FROM inbox")}.get("Create") == "done",
            what="B to process A's Create",
            show=lambda: [dict(r) for r in b.query("SELECT type, state, error FROM inbox")],
        )
        assert b.value("SELECT attributed_to FROM remote_objects WHERE iri = ?", (object_iri,)) == a.actor_iri("admin")

        # A POST whose path carries a query string still verifies: nginx forwards the request line as is.
        like = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{b.url}/activities/like-via-nginx",
                "type": "Like", "actor": b.actor_iri("admin"), "object": object_iri}
        status, answer = signed_post(b, a, "/users/reseau/inbox?via=nginx&next=%2Fpage%3D2", like)
        assert status == 202, answer
        assert a.value("SELECT type FROM inbox WHERE activity_iri = ?", (like["id"],)) == "Like"

        code, checks = doctor(a)
        assert code == 0, checks
        assert checks["proxy"] == "OK Host, raw path, query and scheme arrive unchanged"
        assert checks["webfinger"].startswith("OK") and checks["actor"].startswith("OK")
        assert "followers   1 accepted" in a.cli("status")
        assert "following   1 accepted" in b.cli("status")
    finally:
        proxy.stop()


BROKEN = {
    "a URI part normalises the path": (("    proxy_pass http://maillage;\n", "    proxy_pass http://maillage/;\n"),
                                       "FAIL the node sees path"),
    "Host is the upstream's name": (("    proxy_set_header Host $maillage_host;\n",
                                     "    proxy_set_header Host $proxy_host;\n"),
                                    "FAIL the node sees Host 'maillage'"),
}


def test_doctor_tells_a_broken_proxy_and_caddy_works(cluster: Cluster, tmp_path: Path) -> None:
    """The same node behind nginx configs broken in the two usual ways: doctor fails on the proxy check,
    and a signed POST through the Host-rewriting one is refused. Then behind the shipped Caddyfile: all OK."""
    require("nginx")
    a = ProxiedNode(tmp_path, "a", free_port())
    b = NodeProcess(tmp_path, "b")
    cluster.nodes.extend([a, b])
    run_parallel([a.init_args(), b.init_args()], what="init")
    a.trust_loopback_proxy()
    a.start(wait=False)
    b.start()
    for label, ((old, new), expected) in BROKEN.items():
        folder = tmp_path / re.sub(r"\W+", "-", label)
        folder.mkdir()
        main = render_nginx_loopback(folder, listen_port=a.public_port, upstream_port=a.port, replace=((old, new),))
        proxy = start_nginx(main, a.public_port)
        try:
            a.wait_healthy()
            code, checks = doctor(a)
            assert code == 1, (label, checks)
            assert checks["proxy"].startswith(expected), (label, checks)
            if "Host" in label:
                note = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{b.url}/activities/host-rewritten",
                        "type": "Like", "actor": b.actor_iri("admin"), "object": a.actor_iri()}
                status, answer = signed_post(b, a, "/inbox", note)
                assert status == 401 and "signature" in str(answer), (status, answer)
        finally:
            proxy.stop()
    if tool("caddy") is None:
        pytest.skip("caddy is not installed: the Caddyfile was not tried live")
    proxy = start_caddy(tmp_path, listen_port=a.public_port, upstream_port=a.port)
    try:
        a.wait_healthy()
        code, checks = doctor(a)
        assert code == 0, checks
        assert checks["proxy"] == "OK Host, raw path, query and scheme arrive unchanged"
        like = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{b.url}/activities/like-via-caddy",
                "type": "Like", "actor": b.actor_iri("admin"), "object": a.actor_iri()}
        status, answer = signed_post(b, a, "/inbox?via=caddy", like)
        assert status == 202, answer
    finally:
        proxy.stop()
