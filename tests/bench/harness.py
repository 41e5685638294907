"""What every benchmark in tests/bench shares: timing, percentiles, free ports, node folders, child
processes (a real `maillage serve`, the bare baselines and sinks of tests/bench/servers.py), bulk seeding
of the database, an aiohttp load generator, and the one result line format.

Benchmarks are scripts, not tests (pytest collects `test_*.py` only): `python -m tests.bench` runs them
all (`make bench`), `python -m tests.bench.bench_inbox` one. Everything listens on 127.0.0.1 and every
load loop is bounded in count and time. Figures are ratios against a baseline measured in the same
run, because the machine is shared and noisy.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from node.bootstrap import init_node
from node.config import Config, load_config

ROOT = Path(__file__).resolve().parents[2]
NETWORK = "reseau"
ADMIN = "admin"
PASSWORD = "correct horse battery"
AS2 = "application/activity+json"
RESULTS_ENV = "BENCH_RESULTS"  # when set, each result is also appended to this file as a JSON line
KEEP_ENV = "BENCH_KEEP"  # when set, work folders (data, logs) are kept and their path printed
PROFILE_ENV = "BENCH_PROFILE"  # a folder: each `maillage serve` is sampled by py-spy into FOLDER/serve-PID.txt
PROFILE_ARGS_ENV = "BENCH_PROFILE_ARGS"  # more py-spy options, e.g. `--gil` (only the thread holding the GIL)

clock = time.perf_counter


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (`p` in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def heading(text: str) -> None:
    """A benchmark's title, with the machine's load: other work on it shows in every figure."""
    one, five, _ = os.getloadavg()
    print(f"\n== {text}\n   (load average {one:.1f} / {five:.1f} over 1 / 5 min on {os.cpu_count()} cores)", flush=True)


def info(text: str) -> None:
    print(f"   {text}", flush=True)


def result(bench: str, figure: str, baseline: str, ratio: float, target: str, ok: bool, detail: str = "") -> bool:
    """Print the one line each measured figure gets: figure, baseline, ratio, target, PASS/MISS."""
    verdict = "PASS" if ok else "MISS"
    print(f"[{bench}] {figure} | baseline {baseline} | ratio {ratio:.2f} | target {target} | {verdict}"
          + (f" | {detail}" if detail else ""), flush=True)
    _record({"bench": bench, "figure": figure, "baseline": baseline, "ratio": round(ratio, 3), "target": target,
             "verdict": verdict, "detail": detail})
    return ok


def note(bench: str, figure: str) -> None:
    """A figure reported without a target (database bytes per object)."""
    print(f"[{bench}] {figure} | reported, no target", flush=True)
    _record({"bench": bench, "figure": figure, "verdict": "NOTE"})


def _record(line: dict[str, Any]) -> None:
    out = os.environ.get(RESULTS_ENV)
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")


# ---------------------------------------------------------------------------------------------------
# Nodes and processes.


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A temporary folder for one benchmark's nodes and logs, removed afterwards unless BENCH_KEEP is set."""
    if os.environ.get(KEEP_ENV):
        path = Path(tempfile.mkdtemp(prefix=prefix))
        info(f"work folder kept: {path}")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


async def new_node(data: Path, port: int) -> Config:
    """A freshly initialised dev node in `data` whose base URL is http://127.0.0.1:PORT."""
    config = Config(data_dir=data, base_url=f"http://127.0.0.1:{port}", network=NETWORK, title="Bench", dev=True)
    await init_node(config, admin=ADMIN, password=PASSWORD)
    return load_config(data, environ={})


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    return env


class Proc:
    """A child process logging to a file, stopped with SIGTERM (then SIGKILL) when the block ends."""

    def __init__(self, args: Sequence[str], log: Path, *, profiled: bool = False,
                 env: dict[str, str] | None = None) -> None:
        self.args = list(args)
        self.env = env or {}
        self.profiled = profiled
        self.log = log
        self.popen: subprocess.Popen[bytes] | None = None
        self.profiler: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def __enter__(self) -> Proc:
        with self.log.open("ab") as fh:
            self.started_at = clock()
            self.popen = subprocess.Popen(self.args, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          env={**_env(), **self.env}, cwd=ROOT)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def cpu_seconds(self) -> float | None:
        """CPU time (user and system, every thread) this process has used so far; None where /proc is
        not there to tell (not Linux). What an activity costs the node, whatever the machine's load."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def profile(self) -> None:
        """With BENCH_PROFILE set, sample this process with py-spy (collapsed stacks) until it stops."""
        folder = os.environ.get(PROFILE_ENV)
        if not folder or not self.profiled:
            return
        out = Path(folder) / f"{Path(self.args[0]).name}-{self.pid}.txt"
        self.profiler = subprocess.Popen(
            [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(self.pid), "--format", "raw",
             "--rate", "200", "--output", str(out), *os.environ.get(PROFILE_ARGS_ENV, "").split()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        info(f"profiling {self.args[0]} into {out}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.profiler is not None and self.profiler.poll() is None:
            self.profiler.send_signal(signal.SIGINT)
            self.profiler.wait(timeout)
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    async def wait_http(self, url: str, within: float = 20.0) -> float:
        """Seconds from the process start until `url` answers 200."""
        deadline = clock() + within
        async with aiohttp.ClientSession() as session:
            while clock() < deadline:
                assert self.popen is not None
                if self.popen.poll() is not None:
                    raise RuntimeError(f"{self.args[0]} exited {self.popen.returncode}; see {self.log}")
                try:
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as resp:
                        if resp.status == 200:
                            elapsed = clock() - self.started_at
                            self.profile()
                            return elapsed
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.02)
        raise RuntimeError(f"{url} did not answer within {within}s; see {self.log}")

    def memory_mb(self) -> tuple[float, float]:
        """(resident now, peak resident) in MB, from /proc."""
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
        return fields["VmRSS"], fields["VmHWM"]


def maillage_serve(data: Path, port: int, log: Path, env: dict[str, str] | None = None) -> Proc:
    """`maillage serve` on 127.0.0.1:PORT; `env` may set MAILLAGE_* overrides (others' are not inherited)."""
    script = Path(sys.executable).with_name("maillage")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "node"]
    return Proc([*command, "serve", "--data", str(data), "--host", "127.0.0.1", "--port", str(port)], log,
                profiled=True, env=env)


def helper_server(kind: str, *args: object, log: Path) -> Proc:
    """One of tests/bench/servers.py: `bare-inbox`, `bare-get` or `sinks`."""
    return Proc([sys.executable, "-m", "tests.bench.servers", kind, *map(str, args)], log)


def insert_many(db_path: Path, sql: str, rows: Iterable[Sequence[Any]], chunk: int = 50_000) -> int:
    """Bulk insert with executemany, `chunk` rows per transaction; returns the row count."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    total = 0
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                total += _commit(conn, sql, batch)
                batch = []
        total += _commit(conn, sql, batch)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return total


def _commit(conn: sqlite3.Connection, sql: str, batch: list[Sequence[Any]]) -> int:
    if batch:
        conn.execute("BEGIN")
        conn.executemany(sql, batch)
        conn.execute("COMMIT")
    return len(batch)


def db_value(db_path: Path, sql: str, params: Sequence[Any] = ()) -> Any:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = conn.execute(sql, params).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


REMOTE_ACTOR_SQL = (
    "INSERT INTO remote_actors (iri, type, host, username, name, inbox, shared_inbox, followers, key_id,"
    " public_key_pem, document, fetched_at) VALUES (?, 'Person', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def remote_actor_row(iri: str, host: str, username: str, shared_inbox: str | None, public_pem: str) -> tuple[Any, ...]:
    """A cached remote actor (fetched now, so the key is used without a fetch)."""
    doc = {"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"], "id": iri,
           "type": "Person", "preferredUsername": username, "inbox": f"{iri}/inbox",
           "endpoints": {"sharedInbox": shared_inbox} if shared_inbox else {},
           "publicKey": {"id": f"{iri}#main-key", "owner": iri, "publicKeyPem": public_pem}}
    return (iri, host, username, username, f"{iri}/inbox", shared_inbox, f"{iri}/followers", f"{iri}#main-key",
            public_pem, json.dumps(doc), time.time())


# ---------------------------------------------------------------------------------------------------
# Load generation: a closed loop of `concurrency` aiohttp clients over keep-alive connections.


@dataclass(frozen=True)
class Req:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Load:
    sent: int = 0
    elapsed: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def rate(self, statuses: tuple[int, ...] = (200, 202)) -> float:
        return sum(self.statuses[s] for s in statuses) / self.elapsed if self.elapsed else 0.0

    def ms(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000


async def run_load(requests: Iterable[Req], *, concurrency: int, duration: float, url: str | None = None) -> Load:
    """Send `requests` (each once, in order; `url` replaces each one's URL) with `concurrency` requests in
    flight until they run out or `duration` seconds pass; every status and latency is recorded."""
    it: Iterator[Req] = iter(requests)
    load = Load()
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = clock()
        deadline = start + duration

        async def client() -> None:
            while clock() < deadline:
                req = next(it, None)
                if req is None:
                    return
                t0 = clock()
                try:
                    async with session.request(req.method, url or req.url, headers=req.headers, data=req.body) as resp:
                        await resp.read()
                        status = resp.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                load.latencies.append(clock() - t0)
                load.statuses[status] += 1
                load.sent += 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
        load.elapsed = clock() - start
    return load


def repeat(req: Req, times: int) -> Iterator[Req]:
    return (req for _ in range(times))
