"""Real nodes on loopback for federation tests: each node is a `maillage serve` subprocess with its own
data folder, driven through the `maillage` CLI and observed through its SQLite database (read-only)
and its HTTP endpoints. Nothing here imports the node's code: the processes talk real HTTP with real
signatures, as two servers on the internet would."""

import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tests.support.ports import free_port

T = TypeVar("T")

AS2 = "application/activity+json"
ADMIN = "admin"
PASSWORD = "correct horse battery"
CLI_TIMEOUT = 30.0
START_TIMEOUT = 15.0
STOP_TIMEOUT = 20.0
POLL_INTERVAL = 0.05
LOG_TAIL_LINES = 40


def maillage_command() -> list[str]:
    """The installed `maillage` script next to the running interpreter, else `python -m node`."""
    script = Path(sys.executable).with_name("maillage")
    return [str(script)] if script.exists() else [sys.executable, "-m", "node"]




def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class NodeProcess:
    """One node: `init` via the CLI, `serve` as a subprocess logging to `<root>/<label>.log`."""

    def __init__(self, root: Path, label: str, network: str = "reseau") -> None:
        self.label = label
        self.network = network
        self.data = root / label
        self.log_path = root / f"{label}.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._terminating = False

    def __repr__(self) -> str:
        return f"<node {self.label} {self.url}>"

    # Names and IRIs.

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def handle(self) -> str:
        return f"@{self.network}@{self.host}"

    def actor_iri(self, username: str | None = None) -> str:
        return f"{self.url}/users/{username or self.network}"

    @property
    def shared_inbox(self) -> str:
        return f"{self.url}/inbox"

    # The CLI.

    def cli_args(self, command: str, *args: str) -> list[str]:
        return [*maillage_command(), *command.split(), "--data", str(self.data), *args]

    def cli(self, command: str, *args: str) -> str:
        """Run `maillage COMMAND --data DIR ARGS...`; returns stdout, fails the test on a non-zero exit."""
        result = subprocess.run(
            self.cli_args(command, *args), capture_output=True, text=True, timeout=CLI_TIMEOUT, env=_env(),
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"`maillage {command}` on {self.label} exited {result.returncode}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}\n{self.log_tail()}"
            )
        return result.stdout.strip()

    def init_args(self) -> list[str]:
        return self.cli_args("init", "--url", self.url, "--name", self.network, "--title", f"Réseau {self.label}",
                             "--admin", ADMIN, "--password", PASSWORD, "--dev")

    def init(self) -> None:
        run_parallel([self.init_args()], what=f"init {self.label}")

    def publish(self, path: Path, author: str = ADMIN) -> str:
        """Publish a Markdown file; returns the object IRI the CLI prints."""
        return self.cli("publish", "--as", author, str(path))

    # The server process.

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, *, wait: bool = True) -> None:
        assert not self.running, f"{self.label} is already running"
        self._terminating = False
        with self.log_path.open("ab") as log:
            log.write(f"--- {time.strftime('%H:%M:%S')} starting {self.label} on {self.url}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.cli_args("serve", "--host", "127.0.0.1", "--port", str(self.port)),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_env(),
            )
        if wait:
            self.wait_healthy()

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        """Poll `/healthz` until it answers 200; fail with the log if the process dies or is too slow."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise AssertionError(f"{self.label} exited with {self.proc and self.proc.returncode} while "
                                     f"starting\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(POLL_INTERVAL)
        raise AssertionError(f"{self.label} did not answer /healthz within {timeout}s\n{self.log_tail()}")

    def terminate(self) -> None:
        """Send SIGTERM once (a second one would interrupt the graceful shutdown the first started)."""
        if self.running and not self._terminating:
            assert self.proc is not None
            self._terminating = True
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> int | None:
        """SIGTERM (graceful shutdown), then SIGKILL if it does not exit in time; returns the exit code."""
        if self.proc is None:
            return None
        self.terminate()
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.label} ignored SIGTERM for {STOP_TIMEOUT}s\n{self.log_tail()}") from None
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to finish anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            text = "(no log yet)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last {lines} lines of {self.label}'s log ({self.log_path}) ---\n{tail}"

    # Observing the node.

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Read the node's database with the stdlib, read-only, alongside the running server (WAL)."""
        conn = sqlite3.connect(f"file:{self.data / 'maillage.db'}?mode=ro", uri=True, timeout=5)
        try:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def get_json(self, path: str) -> Any:
        request = urllib.request.Request(f"{self.url}{path}", headers={"Accept": AS2})
        with urllib.request.urlopen(request, timeout=5) as resp:
            return json.loads(resp.read())

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        """POST raw bytes; returns (status, parsed JSON body or None), including error statuses."""
        request = urllib.request.Request(f"{self.url}{path}", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:
                status, payload = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, exc.read()
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload.decode(errors="replace")


class WebSession:
    """An organizer's browser on a node's pages: a cookie jar, the CSRF token read from each form's page,
    urlencoded POSTs. Redirects are not followed: a form's answer (303 and where to) is what tests read."""

    _TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, node: "NodeProcess") -> None:
        self.node = node
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        """(status, Location, body) of one request."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(f"{self.node.url}{path}", data=body, method=method,
                                         headers={"Accept-Language": "en"})
        try:
            with self.opener.open(request, timeout=CLI_TIMEOUT) as resp:
                return resp.status, resp.headers.get("Location", ""), resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", ""), exc.read().decode(errors="replace")

    def submit(self, path: str, data: dict[str, str], *, form_page: str | None = None) -> tuple[int, str]:
        """Send a form as the page at `form_page` (default: `path`) would: (status, Location)."""
        status, _, page = self.request("GET", form_page or path)
        found = self._TOKEN.search(page)
        assert status == 200 and found, f"no form with a CSRF token at {form_page or path} ({status})"
        status, location, _ = self.request("POST", path, {**data, "csrf_token": found.group(1)})
        return status, location

    def log_in(self, username: str = ADMIN, password: str = PASSWORD) -> None:
        status, location = self.submit("/login", {"username": username, "password": password, "next": "/desk"})
        assert (status, location) == (303, "/desk"), f"login as {username} on {self.node.label}: {status} {location}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def run_parallel(commands: Iterable[list[str]], *, what: str, limit: int | None = None) -> list[str]:
    """Run CLI commands concurrently, at most `limit` at a time (each is a whole Python start-up, mostly
    CPU); returns their stdouts in order, or fails with every non-zero exit and its stderr."""
    limit = limit or 2 * (os.cpu_count() or 1)
    pending = list(enumerate(commands))
    running: list[tuple[int, subprocess.Popen[bytes]]] = []
    outputs: dict[int, str] = {}
    errors: list[str] = []
    deadline = time.monotonic() + CLI_TIMEOUT + 2 * len(pending)
    try:
        while pending or running:
            while pending and len(running) < limit:
                index, cmd = pending.pop(0)
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        stdin=subprocess.DEVNULL, env=_env())
                running.append((index, proc))
            index, proc = running.pop(0)
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            outputs[index] = out.decode().strip()
            if proc.returncode != 0:
                errors.append(f"{' '.join(map(str, proc.args))} exited {proc.returncode}: {err.decode()}")
    finally:
        for _, proc in running:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
    if errors:
        raise AssertionError(f"{what} failed:\n" + "\n".join(errors))
    return [outputs[i] for i in sorted(outputs)]


def wait_for(
    predicate: Callable[[], T], *, timeout: float = 10.0, what: str, nodes: Sequence[NodeProcess] = (),
    show: Callable[[], Any] | None = None, interval: float = POLL_INTERVAL,
) -> T:
    """Poll `predicate` until it returns something truthy, and return that. On timeout, fail with `what`,
    the last value seen (or what `show()` returns then) and the tail of each node's log."""
    assert interval <= 0.2
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    if show is not None:
        last = show()
    logs = "\n".join(node.log_tail() for node in nodes)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})\n{logs}")


def holds_for(
    predicate: Callable[[], bool], *, duration: float, what: str, nodes: Sequence[NodeProcess] = ()
) -> None:
    """Check that `predicate` stays true for `duration` seconds (to show that something does NOT happen)."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if not predicate():
            logs = "\n".join(node.log_tail() for node in nodes)
            raise AssertionError(f"{what} stopped holding\n{logs}")
        time.sleep(POLL_INTERVAL)


class Cluster:
    """The nodes of one test; `close()` (a fixture finalizer) stops whatever is still running."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.nodes: list[NodeProcess] = []

    def add(self, *labels: str, network: str = "reseau") -> list[NodeProcess]:
        """Create, `init` (in parallel) and start nodes (in parallel); returns them, ready to serve."""
        new = [NodeProcess(self.root, label, network) for label in labels]
        self.nodes.extend(new)
        run_parallel([node.init_args() for node in new], what="init")
        for node in new:
            node.start(wait=False)
        for node in new:
            node.wait_healthy()
        return new

    def wait_for(
        self, predicate: Callable[[], T], *, timeout: float = 10.0, what: str, show: Callable[[], Any] | None = None
    ) -> T:
        return wait_for(predicate, timeout=timeout, what=what, nodes=self.nodes, show=show)

    def holds_for(self, predicate: Callable[[], bool], *, duration: float, what: str) -> None:
        holds_for(predicate, duration=duration, what=what, nodes=self.nodes)

    def close(self) -> None:
        """SIGTERM every running node at once, then wait for each; a node still running after the grace
        period is killed and fails the test (a server must stop when asked)."""
        for node in self.nodes:
            node.terminate()
        failures = []
        for node in self.nodes:
            try:
                node.stop()
            except AssertionError as exc:
                failures.append(str(exc))
            finally:
                node.kill()
        if failures:
            raise AssertionError("\n".join(failures))
