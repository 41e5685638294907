"""Security headers on every response of every route (read from the router, so routes added later are
checked too), errors included: `X-Content-Type-Options: nosniff` and `Referrer-Policy` everywhere, and a
strict Content-Security-Policy on every HTML page."""

import re

import pytest
from aiohttp.test_utils import TestClient

from node.middleware import CSP
from tests.support.examples import publish_examples
from tests.support.peer import AS2

REQUIRED_DIRECTIVES = {"default-src": "'self'", "script-src": "'self'", "object-src": "'none'",
                       "base-uri": "'none'", "frame-ancestors": "'none'", "form-action": "'self'",
                       "style-src": "'self'"}


def directives(policy: str) -> dict[str, str]:
    return {d.split()[0]: " ".join(d.split()[1:]) for d in policy.split(";") if d.strip()}


def test_the_policy_is_strict() -> None:
    found = directives(CSP)
    assert {k: found.get(k) for k in REQUIRED_DIRECTIVES} == REQUIRED_DIRECTIVES
    assert not re.search(r"unsafe-inline|unsafe-eval|unsafe-hashes|\*|http:", CSP)


async def _paths(client: TestClient) -> list[str]:
    slugs = {e.kind: e.slug for e in (await publish_examples(client.app)).values()}
    values = {"username": ["reseau", "admin", "nobody"], "kind": ["practices", "journeys", "outcomes"],
              "slug": [*slugs.values(), "nothing"], "name": ["social-currency", "none"], "token": ["x"],
              "tail": ["x"], "file": ["maillage.css", "nothing.css", "x" * 300]}
    paths = ["/nothing/here", "/users/reseau/nothing"]
    for resource in client.app.router.resources():
        info = resource.get_info()
        template = info.get("formatter") or info.get("path") or (info["prefix"] + "/{file}" if "prefix" in info
                                                                   else None)
        if template is None:
            continue
        combos: list[dict[str, str]] = [{}]
        for name in re.findall(r"\{(\w+)\}", template):
            combos = [{**c, name: v} for c in combos for v in values.get(name, ["x"])]
        paths.extend(template.format(**c) for c in combos)
    return sorted(set(paths))


async def test_every_response_of_every_route_carries_the_security_headers(client: TestClient) -> None:
    missing: dict[str, list[str]] = {}
    html_pages = 0
    for path in await _paths(client):
        for method, accept in (("GET", "text/html"), ("GET", AS2), ("POST", AS2), ("DELETE", "*/*")):
            resp = await client.request(method, path, headers={"Accept": accept})
            assert resp.status < 500 or path == "/readyz", (method, path, resp.status, await resp.text())
            problems = []
            if resp.headers.get("X-Content-Type-Options") != "nosniff":
                problems.append("X-Content-Type-Options")
            if resp.headers.get("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin"):
                problems.append("Referrer-Policy")
            if resp.headers.get("Content-Type", "").startswith("text/html"):
                html_pages += 1
                if resp.headers.get("Content-Security-Policy") != CSP:
                    problems.append(f"Content-Security-Policy: {resp.headers.get('Content-Security-Policy')}")
            if problems:
                missing[f"{method} {path} ({resp.status}, {resp.headers.get('Content-Type')})"] = problems
    assert missing == {}
    assert html_pages >= 10


@pytest.mark.parametrize("path", ["/static/" + "x" * 300, "/static/" + "x/" * 2000])
async def test_a_static_file_name_too_long_for_the_file_system_is_404(client: TestClient, path: str) -> None:
    """aiohttp's static handler let the OS error through as a 500."""
    resp = await client.get(path)
    assert resp.status == 404
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
