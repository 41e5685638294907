"""Real headless Chromium (Debian's `chromium`) driven by Playwright's async API, against a real node
served on a TCP port of 127.0.0.1 in the test's event loop. One node and one browser per module; each
test gets a fresh browser context (no cookies) whose page records console errors, uncaught exceptions,
failed requests and error statuses: `Watch.assert_clean()` fails the test on any of them.

Without /usr/bin/chromium the tests are skipped, except under CI (CI set), where they must run:
`.ci/run` installs chromium with apt-get, and `playwright` comes from the test extra."""

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from node.app import create_app
from node.bootstrap import init_node
from node.config import Config, load_config
from tests.support.ports import free_port
from tests.support.showcase import seed

CHROMIUM = os.environ.get("MAILLAGE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
NETWORK = "reseau"
ADMIN, PASSWORD = "admin", "correct horse battery"
LAUNCH_ARGS = ["--disable-quic", "--disable-sync",
               "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run must install the chromium package")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); CI runs these tests", allow_module_level=True)
try:
    from playwright.async_api import Browser, ConsoleMessage, Page, Request, Response, async_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    if os.environ.get("CI"):
        raise
    pytest.skip("playwright is not installed (pip install -e '.[test]')", allow_module_level=True)


@dataclass
class Site:
    base: str
    app: web.Application
    config: Config

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    """`maillage init --dev` and `maillage serve` in-process: a node on a real port, seeded."""
    port = free_port()
    data = tmp_path_factory.mktemp("browser-node")
    config = Config(data_dir=data / "node", base_url=f"http://127.0.0.1:{port}", network=NETWORK,
                    title="Réseau des territoires solidaires", dev=True)
    await init_node(config, admin=ADMIN, password=PASSWORD)
    config = load_config(config.data_dir, environ={})
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await seed(app, NETWORK)
        yield Site(base=config.base_url, app=app, config=config)
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@dataclass
class Watch:
    """Everything that went wrong while a page was open."""

    problems: list[str] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning") and not self._expected(message.text):
            self.problems.append(f"console {message.type}: {message.text} ({message.location.get('url')})")

    def on_page_error(self, error: Any) -> None:
        self.problems.append(f"uncaught: {error}")

    def on_request_failed(self, request: Request) -> None:
        if request.failure == "net::ERR_ABORTED":  # the page was left before this finished loading
            return
        self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def on_response(self, response: Response) -> None:
        if response.status >= 400 and response.status not in self.allowed_statuses:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def _expected(self, text: str) -> bool:
        # Chromium logs the status of a page we navigated to on purpose (an error page test).
        return any(f"status of {s}" in text for s in self.allowed_statuses)

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


@contextlib.asynccontextmanager
async def _tab(browser: Browser, **options: Any) -> AsyncIterator[tuple[Page, Watch]]:
    context = await browser.new_context(locale="en-GB", **options)
    context.set_default_timeout(10_000)  # a missing element fails in seconds, not half a minute
    page = await context.new_page()
    watch = Watch()
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_page_error)
    page.on("requestfailed", watch.on_request_failed)
    page.on("response", watch.on_response)
    try:
        yield page, watch
    finally:
        await context.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Browser) -> AsyncIterator[tuple[Page, Watch]]:
    """A desktop browser tab with no cookie yet, English first in Accept-Language."""
    async with _tab(browser, viewport={"width": 1280, "height": 900}) as tab:
        yield tab


@pytest_asyncio.fixture(loop_scope="module")
async def phone(browser: Browser) -> AsyncIterator[tuple[Page, Watch]]:
    """The narrowest phone we support: 320 CSS pixels."""
    async with _tab(browser, viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True,
                    device_scale_factor=2) as tab:
        yield tab


@pytest_asyncio.fixture(loop_scope="module")
async def browser_no_js(browser: Browser) -> AsyncIterator[Page]:
    """A tab with JavaScript turned off: every page must work without it."""
    async with _tab(browser, viewport={"width": 1024, "height": 800}, java_script_enabled=False) as (tab, watch):
        yield tab
        watch.assert_clean()


async def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path
