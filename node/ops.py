"""`maillage doctor` and `maillage status`: what an admin runs when federation misbehaves.

Doctor looks at the node from the outside, through its public URL, the way a remote server does
(WebFinger, the actor, what the proxy passes on), then at the data folder (keys, database, disk,
queues). Every check says OK, WARN or FAIL with a reason; a FAIL is something that breaks federation.
Both commands only read the database: they never migrate or write it.
"""

import asyncio
import email.utils
import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from yarl import URL

from protocol.keys import public_key_pem
from protocol.retry import FOLLOWERS_EXPIRE_AFTER_SECONDS
from protocol.webfinger import parse_jrd_actor_iri

from . import clock
from .config import Config
from .db import latest_version
from .urls import Urls

AS2 = "application/activity+json"
CLOCK_WARN_SECONDS = 30
CLOCK_FAIL_SECONDS = 300  # Mastodon accepts one hour of skew; other servers accept much less
DISK_WARN_BYTES = 1 << 30
DISK_FAIL_BYTES = 100 << 20
OVERDUE_SECONDS = 60  # a due delivery still queued this long after its time: the worker is not running
PROBE_PATH = "/readyz/request/doctor/a%2Fb//c%7Ed"
PROBE_QUERY = "q=%C3%A9t%C3%A9&x=1"


@dataclass(frozen=True)
class Check:
    name: str
    level: str  # OK, WARN or FAIL
    reason: str


@contextmanager
def _read_db(config: Config) -> Iterator[sqlite3.Connection]:
    """A plain connection that only reads (a `mode=ro` one cannot open a WAL file whose -shm is gone)."""
    if not config.database_path.is_file():
        raise FileNotFoundError(f"no database at {config.database_path}")
    conn = sqlite3.connect(config.database_path, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


class _Probe:
    """GETs against the node's own public URL, without following redirects (a redirect means the
    base URL is not the one remote servers will end up at)."""

    def __init__(self, session: aiohttp.ClientSession, config: Config) -> None:
        self.session = session
        self.config = config
        self.dates: list[str] = []

    async def get(self, url: str, accept: str) -> tuple[int, dict[str, str], Any]:
        # encoded=True: send the path byte for byte, so what the node echoes shows only the proxy's changes
        target = URL(url, encoded=True)
        async with self.session.get(target, headers={"Accept": accept}, allow_redirects=False) as resp:
            if "Date" in resp.headers:
                self.dates.append(resp.headers["Date"])
            body = bytearray()
            async for chunk in resp.content.iter_chunked(65536):  # read(n) may stop at a chunk boundary
                body += chunk
                if len(body) > self.config.fetch_max_bytes:
                    raise _Failed(f"{url} answered more than {self.config.fetch_max_bytes} bytes")
            if resp.status in (301, 302, 303, 307, 308):
                raise _Failed(f"{url} redirects to {resp.headers.get('Location')}: base_url must be the final URL")
            try:
                data = json.loads(body) if body else None
            except ValueError:
                data = None
            return resp.status, dict(resp.headers), data


class _Failed(Exception):
    pass


def _network_hint(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return f"TLS failed ({exc}); remote servers need a valid certificate for the public host name"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return (f"cannot connect ({exc}): is `maillage serve` running, is the proxy up, are ports 80/443 open"
                " in the firewall, and does DNS point at this server?")
    if isinstance(exc, TimeoutError):
        return "timed out: a firewall dropping packets, or the proxy cannot reach the node"
    return f"{exc.__class__.__name__}: {exc}"


async def _public_checks(config: Config, public_pem: str | None) -> list[Check]:
    urls = Urls(config.base_url)
    actor_iri = urls.actor(config.network)
    resource = quote(f"acct:{config.network}@{config.domain}")
    checks: list[Check] = []
    timeout = aiohttp.ClientTimeout(total=config.fetch_timeout)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        probe = _Probe(session, config)
        try:
            status, _, jrd = await probe.get(f"{config.base_url}/.well-known/webfinger?resource={resource}",
                                             "application/jrd+json")
            if status != 200:
                raise _Failed(f"WebFinger answered {status} for acct:{config.network}@{config.domain}")
            try:
                found = parse_jrd_actor_iri(jrd)
            except Exception as exc:  # the JRD is someone else's document: any parse error is a finding
                raise _Failed(f"WebFinger answered without an ActivityPub self link: {exc}") from None
            if found != actor_iri:
                raise _Failed(f"WebFinger points to {found}, expected {actor_iri}: check base_url")
            checks.append(Check("webfinger", "OK", f"{config.base_url} answers WebFinger for "
                                f"@{config.network}@{config.domain}"))
            status, headers, actor = await probe.get(actor_iri, AS2)
            if status != 200 or not isinstance(actor, dict):
                raise _Failed(f"{actor_iri} answered {status} ({headers.get('Content-Type')})")
            served_pem = (actor.get("publicKey") or {}).get("publicKeyPem")
            if actor.get("id") != actor_iri:
                raise _Failed(f"the actor document has id {actor.get('id')}, expected {actor_iri}")
            if public_pem and (served_pem or "").strip() != public_pem.strip():
                raise _Failed("the public URL serves another key than this data folder: another node answers there")
            checks.append(Check("actor", "OK", f"{actor_iri} serves the network actor and its key"))
        except _Failed as exc:
            checks.append(Check("public URL", "FAIL", str(exc)))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            checks.append(Check("public URL", "FAIL", f"{config.base_url}: {_network_hint(exc)}"))
            return checks
        checks.append(await _proxy_check(probe, config))
        checks.append(await _ready_check(probe, config))
    checks.append(_clock_check(probe.dates))
    return checks


async def _proxy_check(probe: _Probe, config: Config) -> Check:
    """What the node saw of a request through the public URL: the signed parts must arrive intact."""
    sent = f"{PROBE_PATH}?{PROBE_QUERY}"
    try:
        status, _, seen = await probe.get(f"{config.base_url}{sent}", "application/json")
    except (_Failed, aiohttp.ClientError, TimeoutError, OSError) as exc:
        return Check("proxy", "FAIL", f"request probe failed: {exc}")
    if status != 200 or not isinstance(seen, dict):
        return Check("proxy", "WARN", f"request probe answered {status}: cannot tell what the proxy passes on")
    problems, level = [], "OK"
    if str(seen.get("host", "")).lower() != config.domain:
        level = "FAIL"
        problems.append(f"the node sees Host {seen.get('host')!r}, not {config.domain!r}: the proxy must pass the"
                        " original Host (nginx: proxy_set_header Host $host) or every signature fails")
    if seen.get("path") != sent:
        level = "FAIL"
        problems.append(f"the node sees path {seen.get('path')!r}, not {sent!r}: the proxy rewrites the path"
                        " (nginx: write `proxy_pass http://upstream;` with no URI part)")
    scheme = urlsplit(config.base_url).scheme
    if seen.get("scheme") != scheme and level == "OK":
        level = "WARN"
        problems.append(f"the node sees scheme {seen.get('scheme')!r} for a {scheme} base URL: set X-Forwarded-Proto"
                        f" in the proxy and add its address ({seen.get('remote')}) to trusted_proxies")
    return Check("proxy", level, "; ".join(problems) or "Host, raw path, query and scheme arrive unchanged")


async def _ready_check(probe: _Probe, config: Config) -> Check:
    try:
        status, _, body = await probe.get(f"{config.base_url}/readyz", "application/json")
    except (_Failed, aiohttp.ClientError, TimeoutError, OSError) as exc:
        return Check("readiness", "FAIL", f"/readyz failed: {exc}")
    if status == 200:
        return Check("readiness", "OK", "database, migrations and workers are ready")
    checks = body.get("checks") if isinstance(body, dict) else None
    return Check("readiness", "FAIL", f"/readyz answered {status}: {checks}")


def _clock_check(dates: list[str]) -> Check:
    if not dates:
        return Check("clock", "WARN", "no Date header came back from the public URL: cannot measure skew")
    try:
        remote = email.utils.parsedate_to_datetime(dates[-1])
    except (TypeError, ValueError):
        return Check("clock", "WARN", f"unreadable Date header {dates[-1]!r}")
    skew = (clock.now() - remote).total_seconds()
    level = "OK" if abs(skew) < CLOCK_WARN_SECONDS else "WARN" if abs(skew) < CLOCK_FAIL_SECONDS else "FAIL"
    hint = "" if level == "OK" else ": signatures carry a Date that peers check; run an NTP client (systemd-timesyncd)"
    return Check("clock", level, f"this machine and the public URL differ by {skew:+.0f} s{hint}")


def _local_checks(config: Config) -> tuple[list[Check], str | None]:
    """Keys, database, disk and queues; also returns the network actor's public key for the remote checks."""
    checks: list[Check] = []
    network_pem = None
    try:
        with _read_db(config) as conn:
            bad = []
            actors = conn.execute("SELECT username, private_key_pem, public_key_pem FROM actors").fetchall()
            for row in actors:
                try:
                    if public_key_pem(row["private_key_pem"]).strip() != row["public_key_pem"].strip():
                        bad.append(f"{row['username']} (public key does not match)")
                except Exception as exc:  # any key the crypto library refuses is a finding, not a crash
                    bad.append(f"{row['username']} ({exc})")
                if row["username"] == config.network:
                    network_pem = row["public_key_pem"]
            checks.append(Check("keys", "FAIL", "unusable keys: " + ", ".join(bad)) if bad else
                          Check("keys", "OK", f"{len(actors)} actor key pairs parse and match"))
            result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            checks.append(Check("database", "OK", "integrity_check ok") if result == ["ok"] else
                          Check("database", "FAIL", "integrity_check: " + "; ".join(result[:5])))
            checks.append(_schema_check(conn))
            checks.extend(_queue_checks(conn))
    except (sqlite3.Error, FileNotFoundError) as exc:
        checks.append(Check("database", "FAIL", str(exc)))
    checks.append(_disk_check(config))
    return checks, network_pem


def _schema_check(conn: sqlite3.Connection) -> Check:
    version = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
    expected = latest_version()
    if version == expected:
        return Check("schema", "OK", f"schema version {version}")
    if version is not None and version > expected:
        return Check("schema", "FAIL", f"schema {version} is newer than this Maillage ({expected}): upgrade the code")
    return Check("schema", "WARN", f"schema {version}, this Maillage expects {expected}: applied at the next start")


def _queue_checks(conn: sqlite3.Connection) -> list[Check]:
    now = clock.timestamp()
    pending, oldest = conn.execute(
        "SELECT COUNT(*), MIN(created_at) FROM deliveries WHERE state = 'pending'").fetchone()
    stale = conn.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND attempts > 0"
                         " AND next_attempt_at > ?", (now,)).fetchone()[0]
    failed = conn.execute("SELECT host, COUNT(*) AS n FROM deliveries WHERE state = 'failed' GROUP BY host"
                          " ORDER BY n DESC").fetchall()
    unavailable = [r[0] for r in conn.execute("SELECT host FROM domains WHERE unavailable = 1")]
    overdue = conn.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND next_attempt_at < ?",
                           (now - OVERDUE_SECONDS,)).fetchone()[0]
    checks = []
    if stale or failed or unavailable or overdue:
        parts = []
        if overdue:
            parts.append(f"{overdue} deliveries are overdue: is `maillage serve` running?")
        if stale:
            parts.append(f"{stale} of {pending} pending deliveries are being retried (oldest queued {oldest})")
        if failed:
            parts.append(f"{sum(r[1] for r in failed)} failed, most to " + ", ".join(r[0] for r in failed[:3]))
        if unavailable:
            parts.append("unavailable domains: " + ", ".join(unavailable[:5]))
        checks.append(Check("deliveries", "WARN", "; ".join(parts)))
    else:
        checks.append(Check("deliveries", "OK", f"{pending} pending, none failing"))
    inbox_failed = conn.execute("SELECT COUNT(*) FROM inbox WHERE state = 'failed'").fetchone()[0]
    checks.append(Check("inbox", "WARN" if inbox_failed else "OK",
                        f"{inbox_failed} received activities failed to process" if inbox_failed else
                        "no failed activities"))
    return checks


def _disk_check(config: Config) -> Check:
    free = shutil.disk_usage(config.data_dir).free
    level = "OK" if free >= DISK_WARN_BYTES else "WARN" if free >= DISK_FAIL_BYTES else "FAIL"
    return Check("disk", level, f"{free / (1 << 30):.1f} GiB free in {config.data_dir}")


async def doctor(config: Config) -> list[Check]:
    local, network_pem = await asyncio.to_thread(_local_checks, config)
    return [*await _public_checks(config, network_pem), *local]


def format_checks(checks: list[Check]) -> str:
    return "\n".join(f"{c.level:<4}  {c.name}: {c.reason}" for c in checks)


def status(config: Config) -> dict[str, Any]:
    """Counts an admin wants at a glance: follows both ways, peers, the delivery queue, the inbox."""
    local = f"{config.base_url}/"
    with _read_db(config) as conn:
        def by_state(sql: str, params: tuple[Any, ...] = ()) -> dict[str, int]:
            return {r[0]: r[1] for r in conn.execute(sql, params)}

        followers = by_state("SELECT state, COUNT(*) FROM follows WHERE substr(followee_iri, 1, ?) = ?"
                             " AND substr(follower_iri, 1, ?) != ? GROUP BY state",
                             (len(local), local, len(local), local))
        following = by_state("SELECT state, COUNT(*) FROM follows WHERE substr(follower_iri, 1, ?) = ?"
                             " AND substr(followee_iri, 1, ?) != ? GROUP BY state",
                             (len(local), local, len(local), local))
        peers = conn.execute(
            "SELECT COUNT(DISTINCT host) FROM remote_actors WHERE iri IN (SELECT follower_iri FROM follows"
            " WHERE state = 'accepted' UNION SELECT followee_iri FROM follows WHERE state = 'accepted')").fetchone()[0]
        unavailable = conn.execute("SELECT COUNT(*) FROM domains WHERE unavailable = 1").fetchone()[0]
        waiting, expired = conn.execute(
            "SELECT count(*) FILTER (WHERE retry_at > ?), COALESCE(sum(followers_expired), 0) FROM domains",
            (clock.timestamp(),)).fetchone()
        deliveries = by_state("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
        inbox = by_state("SELECT state, COUNT(*) FROM inbox GROUP BY state")
        version = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
    return {"node": f"@{config.network}@{config.domain}", "base_url": config.base_url, "schema_version": version,
            "followers": followers, "following": following, "peers": peers, "unavailable_domains": unavailable,
            "waiting_domains": waiting, "followers_expired": expired, "deliveries": deliveries, "inbox": inbox}


def format_status(info: dict[str, Any]) -> str:
    def states(counts: dict[str, int], names: tuple[str, ...]) -> str:
        return ", ".join(f"{counts.get(n, 0)} {n}" for n in names)

    return "\n".join([
        f"node        {info['node']} ({info['base_url']}), schema {info['schema_version']}",
        f"followers   {states(info['followers'], ('accepted', 'pending'))}, {info['followers_expired']} expired"
        f" (their server accepted no delivery for {FOLLOWERS_EXPIRE_AFTER_SECONDS // 86400} days)",
        f"following   {states(info['following'], ('accepted', 'pending', 'rejected'))}",
        f"peers       {info['peers']} hosts, {info['unavailable_domains']} unavailable,"
        f" {info['waiting_domains']} waiting after failed deliveries",
        f"deliveries  {states(info['deliveries'], ('pending', 'delivered', 'failed'))}",
        f"inbox       {states(info['inbox'], ('new', 'done', 'ignored', 'failed'))}",
    ])
