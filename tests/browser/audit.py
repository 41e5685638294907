"""Accessibility audits with axe-core (Deque's engine, the one browsers' own tools and most audit
services run), injected into the page as it is. Pinned by tests/browser/axe/package-lock.json;
`npm ci` runs there when node_modules is missing, as for the interop peers."""

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

AXE_DIR = Path(__file__).with_name("axe")
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA: what public bodies in the EU must meet (EN 301 549), and what the network's
# members, some of whom read with a screen reader or only a keyboard, need; and axe's best practices
# (unique landmarks, table headers with text...), which screen readers lean on as much.
STANDARDS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@functools.cache
def axe_source() -> str:
    if not AXE_JS.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("the accessibility audit needs npm to install axe-core (tests/browser/axe)")
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR, capture_output=True, text=True,
                              timeout=300)
        if proc.returncode != 0:
            pytest.fail(f"npm ci in {AXE_DIR} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return AXE_JS.read_text(encoding="utf-8")


async def violations(page: Page) -> list[dict[str, Any]]:
    """What axe finds against STANDARDS on the page as it is now: one entry per rule broken."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated over the DevTools protocol: the page's CSP (script-src 'self') stays in force for it.
        await page.evaluate(f"() => {{ {axe_source()} }}")
    result = await page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        STANDARDS)
    return list(result)


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['impact']}: {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)
