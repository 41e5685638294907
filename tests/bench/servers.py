"""The other side of the benchmarks, each in its own process on 127.0.0.1:

- `bare-inbox PORT`: the inbox baseline, a bare aiohttp endpoint that parses the JSON body and answers 202;
- `bare-get PORT FOLDER`: the read baseline, a bare aiohttp GET answering `/NAME` with the bytes of
  FOLDER/NAME (read at start) and their content type;
- `sinks PUBLIC_KEY_FILE PORT...`: shared inboxes `/s/{n}/inbox` on each port that verify every HTTP
  signature (protocol.sig.cavage.verify_request) with that key and count what arrives; `GET /stats`;
  `POST /reset` (body: the next sender's public key PEM) forgets everything.

Run as `python -m tests.bench.servers KIND ARGS...`; SIGTERM stops it.
"""

import asyncio
import json
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from node.eventloop import new_event_loop
from protocol.errors import SignatureError
from protocol.sig.cavage import parse_signature_header, verify_request

AS2 = "application/activity+json"


def bare_inbox() -> web.Application:
    async def post(request: web.Request) -> web.Response:
        json.loads(await request.read())
        return web.Response(status=202)

    async def get(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=1_048_576)
    app.router.add_post("/{tail:.*}", post)
    app.router.add_get("/{tail:.*}", get)
    return app


def bare_get(folder: str) -> web.Application:
    files = {f"/{p.name}": p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}

    async def get(request: web.Request) -> web.Response:
        body = files[request.path]
        return web.Response(body=body, content_type="text/html" if body.startswith(b"<") else AS2)

    app = web.Application()
    app.router.add_get("/{tail:.*}", get)
    return app


def sinks(key_file: str) -> web.Application:
    key = [Path(key_file).read_text()]
    seen: Counter[tuple[str, str]] = Counter()
    bad: list[str] = []

    async def post(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            params = parse_signature_header(request.headers.get("Signature", ""))
            verify_request(method=request.method, path=request.raw_path, headers=request.headers, body=body,
                           params=params, public_key_pem=key[0], now=datetime.now(UTC))
        except SignatureError as exc:
            bad.append(exc.reason)
            return web.json_response({"error": exc.reason}, status=401)
        seen[(request.path, json.loads(body)["id"])] += 1
        return web.Response(status=202)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"received": sum(seen.values()), "distinct": len(seen),
                                  "duplicated": sum(n - 1 for n in seen.values()), "bad_signatures": len(bad),
                                  "bad_reasons": sorted(set(bad))[:5]})

    async def reset(request: web.Request) -> web.Response:
        seen.clear()
        bad.clear()
        key[0] = await request.text()
        return web.Response(status=204)

    app = web.Application(client_max_size=1_048_576)
    app.router.add_post("/s/{n}/inbox", post)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    return app


async def serve(app: web.Application, ports: list[int]) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    for port in ports:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str]) -> None:
    kind, args = argv[0], argv[1:]
    if kind == "bare-inbox":
        app, ports = bare_inbox(), [int(args[0])]
    elif kind == "bare-get":
        app, ports = bare_get(args[1]), [int(args[0])]
    elif kind == "sinks":
        app, ports = sinks(args[0]), [int(p) for p in args[1:]]
    else:
        raise SystemExit(f"unknown server kind {kind!r}")
    if kind == "sinks":
        # The sinks stand for other servers, on other machines in real life: on this one they share the
        # node's two cores, so they run on the node's loop (uvloop), which takes less of them.
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(serve(app, ports))
        return
    asyncio.run(serve(app, ports))


if __name__ == "__main__":
    main(sys.argv[1:])
