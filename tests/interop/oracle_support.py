"""Running the independent signature implementations of tests/interop/oracles/: the Node libraries
(verify.mjs, exact versions from its package-lock.json, installed by `npm ci`) and bovine (oracle.py,
in a venv of its own: bovine pins PyLD < 3 and cryptography < 46, which the node's venv must not get).

Each oracle takes a list of cases and returns one result per case. When an oracle cannot be installed
or started here, `OracleUnavailable` carries the exact reason and the tests that need it skip."""

import asyncio
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ORACLES = Path(__file__).resolve().parent / "oracles"
BOVINE_DIR = ORACLES / "bovine"
BOVINE_VENV = BOVINE_DIR / ".venv"
NODE = shutil.which("node")
NPM = shutil.which("npm")
NODE_LIBS = ("http-signature", "@peertube/http-signature", "activitypub-http-signatures", "fedify")
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"


class OracleUnavailable(Exception):
    """An oracle could not be installed or started; the message says exactly why."""


def b64(body: bytes | None) -> str | None:
    return None if body is None else base64.b64encode(body).decode("ascii")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("MAILLAGE_", "PYTHON", "VIRTUAL_ENV"))}


def _tail(proc: subprocess.CompletedProcess[str]) -> str:
    return (proc.stdout + proc.stderr).strip()[-1500:]


def ensure_node_oracles() -> list[str]:
    """The Node oracle command, after `npm ci` if node_modules is missing."""
    if NODE is None or NPM is None:
        raise OracleUnavailable("node and npm are not on PATH (Node.js >= 20 is needed for tests/interop/oracles)")
    if not (ORACLES / "node_modules" / "@fedify" / "fedify").is_dir():
        proc = subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=ORACLES, capture_output=True, text=True,
                              timeout=600, check=False, env=_env())
        if proc.returncode != 0:
            raise OracleUnavailable(f"npm ci in {ORACLES} failed ({proc.returncode}): {_tail(proc)}")
    return [NODE, str(ORACLES / "verify.mjs")]


def ensure_bovine() -> list[str]:
    """The bovine oracle command, after (re)creating its venv when missing or requirements.txt changed."""
    python = BOVINE_VENV / "bin" / "python"
    marker = BOVINE_VENV / ".installed"
    wanted = hashlib.sha256((BOVINE_DIR / "requirements.txt").read_bytes()).hexdigest()
    if not python.exists() or not marker.exists() or marker.read_text() != wanted:
        steps = [[sys.executable, "-m", "venv", "--clear", str(BOVINE_VENV)],
                 [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
                  str(BOVINE_DIR / "requirements.txt")]]
        for step in steps:
            proc = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False, env=_env())
            if proc.returncode != 0:
                raise OracleUnavailable(f"installing bovine ({' '.join(step[2:4])}) failed: {_tail(proc)}")
        marker.write_text(wanted)
    return [str(python), str(BOVINE_DIR / "oracle.py")]


def _decode(command: list[str], code: int | None, out: str, err: str, count: int) -> list[dict[str, Any]]:
    if code != 0:
        raise OracleUnavailable(f"{' '.join(command)} exited {code}: {err.strip()[-1500:]}")
    results = json.loads(out)
    assert isinstance(results, list) and len(results) == count, out[:500]
    return results


def run(command: list[str], cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    proc = subprocess.run(command, input=json.dumps({"cases": cases}), capture_output=True, text=True, timeout=120,
                          check=False, env=_env())
    return _decode(command, proc.returncode, proc.stdout, proc.stderr, len(cases))


async def run_async(command: list[str], cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """As `run`, without blocking the event loop: for cases that talk to a node served by this loop."""
    proc = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                env=_env())
    out, err = await asyncio.wait_for(proc.communicate(json.dumps({"cases": cases}).encode()), timeout=120)
    return _decode(command, proc.returncode, out.decode(), err.decode(), len(cases))


def available(result: dict[str, Any]) -> dict[str, Any]:
    """A result, or a skip with the library's own reason when it could not be loaded."""
    if "unavailable" in result:
        pytest.skip(result["unavailable"])
    return result


def key_document(actor: str, key_id: str, public_pem: str) -> dict[str, Any]:
    """A minimal actor document publishing one key, as the oracles' key lookups need it."""
    return {"@context": [AS_CONTEXT, SECURITY_CONTEXT], "id": actor, "type": "Person",
            "preferredUsername": actor.rsplit("/", 1)[-1], "inbox": f"{actor}/inbox",
            "publicKey": {"id": key_id, "owner": actor, "publicKeyPem": public_pem}}


@dataclass
class Signed:
    """A request the node signed and sent, as received, with its signer's actor document."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    key_document: dict[str, Any]

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def case(self, lib: str) -> dict[str, Any]:
        return {"op": "verify", "lib": lib, "method": self.method, "url": self.url, "headers": self.headers,
                "body": b64(self.body), "publicKeyPem": self.key_document["publicKey"]["publicKeyPem"],
                "keyDocument": self.key_document, "owner": self.key_document["id"]}
