"""Operations endpoints. `/healthz` (node/web/content.py) says the process answers; `/readyz` says
the node can do its job: the database answers, its schema is current, the workers are alive, the disk
has room (node/diskspace.py: free space, and no write refused for lack of it in the last minute). Load
balancers and orchestrators route traffic on the second.

`/readyz/request/...` echoes what the node saw of the request (Host, raw path, scheme, client): `maillage
doctor` calls it through the public URL to catch a proxy that rewrites what HTTP Signatures cover."""

from aiohttp import web

from ..appkeys import CONFIG, DB, WORKER_TASKS
from ..db import latest_version
from ..diskspace import readiness


async def get_readyz(request: web.Request) -> web.Response:
    checks: dict[str, str] = {}
    try:
        version = await request.app[DB].fetch_value("SELECT MAX(version) FROM schema_migrations")
        checks["database"] = "ok"
        expected = latest_version()
        checks["migrations"] = "ok" if version == expected else f"schema {version}, expected {expected}"
    except Exception as exc:  # any storage failure means "not ready", with the reason
        checks["database"] = f"{exc.__class__.__name__}: {exc}"
        checks["migrations"] = "unknown"
    db = request.app.get(DB)
    checks["disk"] = readiness(request.app[CONFIG].data_dir, db.disk_full_at if db is not None else None)
    tasks = request.app.get(WORKER_TASKS)
    if not tasks:
        checks["workers"] = "not started"
    else:
        dead = [t.get_name() for t in tasks if t.done()]
        checks["workers"] = f"stopped: {', '.join(dead)}" if dead else "ok"
    ready = all(v == "ok" for v in checks.values())
    return web.json_response({"status": "ready" if ready else "not ready", "checks": checks},
                             status=200 if ready else 503, headers={"Cache-Control": "no-store"})


async def get_request_echo(request: web.Request) -> web.Response:
    return web.json_response(
        {"host": request.headers.get("Host"), "path": request.raw_path, "scheme": request.scheme,
         "remote": request.remote},
        headers={"Cache-Control": "no-store"},
    )
