"""`maillage` imports what each command needs, nothing more (issue 20: every command, `--help` too, took
1.35 s importing the whole web application). Structural, not timed: each command runs as `python -m node`
in a fresh interpreter, which writes the names of the modules it loaded at exit, and the test checks that
the web application, templates, pyld and the HTTP client are not among them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from node.config import Config
from tests.support.node import practice

ROOT = Path(__file__).resolve().parents[2]
# Runs `python -m node ARGS`, then writes every module name in sys.modules to $MODULES_OUT.
RUN_AND_LIST = ("import atexit, os, runpy, sys\n"
                "atexit.register(lambda: open(os.environ['MODULES_OUT'], 'w').write('\\n'.join(sys.modules)))\n"
                "sys.argv = ['maillage', *sys.argv[1:]]\n"
                "runpy.run_module('node', run_name='__main__', alter_sys=True)\n")
# The web application and what only serving needs: aiohttp's server, templates, JSON-LD processing (pyld),
# the HTTP client (aiohttp, node.delivery), iCalendar.
WEB_APP = {"node.app", "node.routes", "node.web", "aiohttp.web", "aiohttp_jinja2", "jinja2", "pyld", "icalendar"}
HTTP_CLIENT = {"aiohttp", "node.delivery", "node.fetch"}


def loaded(tmp_path: Path, *argv: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    out = tmp_path / "modules.txt"
    result = subprocess.run([sys.executable, "-c", RUN_AND_LIST, *argv], capture_output=True, text=True, timeout=60,
                            cwd=ROOT, env={**os.environ, "MODULES_OUT": str(out)})
    return result, set(out.read_text(encoding="utf-8").splitlines())


def test_help_imports_only_argument_parsing(tmp_path: Path) -> None:
    result, modules = loaded(tmp_path, "--help")
    assert result.returncode == 0 and "usage: maillage" in result.stdout
    assert modules & (WEB_APP | HTTP_CLIENT | {"node.db", "node.cli.common", "asyncio", "cryptography"}) == set()


def test_publish_imports_neither_the_web_app_nor_the_http_client(node_config: Config, tmp_path: Path) -> None:
    draft = tmp_path / "practice.md"
    draft.write_text(practice(), encoding="utf-8")
    result, modules = loaded(tmp_path, "publish", "--data", str(node_config.data_dir), "--as", "admin", str(draft))
    assert (result.returncode, result.stdout, result.stderr) == (0, "http://node.test/practices/monnaie-locale\n", "")
    assert {"node.publishing", "node.outbox", "node.db"} <= modules  # it did publish (and queue deliveries)
    assert modules & (WEB_APP | HTTP_CLIENT) == set()


@pytest.mark.parametrize(("argv", "status"), [
    (["user", "list"], 0), (["status"], 0), (["comments"], 0), (["delete", "--as", "admin", "practice", "none"], 1)])
def test_other_local_commands_do_not_import_the_web_app(node_config: Config, tmp_path: Path, argv: list[str],
                                                          status: int) -> None:
    command = argv[:2] if argv[0] == "user" else argv[:1]
    result, modules = loaded(tmp_path, *command, "--data", str(node_config.data_dir), *argv[len(command):])
    assert result.returncode == status and "Traceback" not in result.stderr
    assert modules & WEB_APP == set()
