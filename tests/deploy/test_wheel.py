"""A node installed from a wheel (`pip install .`, pipx, a distribution's package) works like one run from
the checkout: the wheel carries every template, static file and translation (pyproject's data-files), and
the installed node finds them under the environment's `share/maillage` (node/assets.py).

The wheel is built from a copy of the tree without build isolation (no registry: setuptools comes with
the test extras), installed with --no-deps into a fresh virtualenv that borrows the dependencies of the
one running the tests, and started with its own `maillage` script from a folder outside the checkout."""

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.assets import ASSET_FOLDERS
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
TREE = ("pyproject.toml", "README.md", "node", "protocol", *ASSET_FOLDERS)
SHIPPED_SUFFIXES = {"templates": None, "static": None, "locale": ".po"}  # None: every file


def shipped_assets() -> set[str]:
    """The checkout's asset files a node reads, as paths relative to the tree (messages.pot is for
    translators: not read at run time)."""
    found = set()
    for folder, suffix in SHIPPED_SUFFIXES.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and (suffix is None or path.suffix == suffix):
                found.add(path.relative_to(ROOT).as_posix())
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in TREE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(work / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (found,) = (work / "dist").glob("maillage-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed, importing its dependencies from this one's."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                           "--no-index", "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # The dependencies (aiohttp...), as a plain path entry: the editable install's own .pth files in that
    # folder are not read, so `node` can only come from the wheel.
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return venv


def test_the_wheel_carries_every_template_static_file_and_translation(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    prefix = next(n.split("/data/")[0] for n in names if ".data/data/" in n) + "/data/share/maillage/"
    carried = {n[len(prefix):] for n in names if n.startswith(prefix)}
    assert carried == shipped_assets()


def _get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def served(installed: Path, tmp_path: Path) -> Iterator[str]:
    """`maillage serve` of the installed wheel on a free loopback port, started outside the checkout."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and
           not k.startswith("MAILLAGE_")}
    script = str(installed / "bin" / "maillage")
    subprocess.run([script, "init", "--data", "data", "--url", url, "--name", "reseau", "--title", "Réseau",
                    "--admin", "admin", "--password", "correct horse battery", "--dev"],
                   cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120)
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([script, "serve", "--data", "data", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the installed node did not answer /healthz within 30 s"
            try:
                if _get(f"{url}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_the_installed_node_uses_its_own_code_and_assets(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import node, node.assets as a; print(node.__file__); print(*(a.asset_dir(n) for n in a.ASSET_FOLDERS))"],
        cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(path).is_relative_to(installed) for path in where), where
    assert not any(Path(path).is_relative_to(ROOT) for path in where)


def test_a_node_installed_from_the_wheel_serves_pages_styles_and_translations(served: str) -> None:
    status, home = _get(f"{served}/", **{"Accept-Language": "fr"})
    assert status == 200
    assert '<html lang="fr"' in home and "Réseau" in home
    status, css = _get(f"{served}/static/maillage.css")
    assert status == 200 and css == (ROOT / "static" / "maillage.css").read_text(encoding="utf-8")
    status, login = _get(f"{served}/login", **{"Accept-Language": "es"})
    assert status == 200 and '<html lang="es"' in login


def test_the_wheel_carries_every_package_of_the_tree(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        modules = {n for n in archive.namelist() if n.endswith(".py")}
    in_tree = {p.relative_to(ROOT).as_posix() for top in ("node", "protocol") for p in (ROOT / top).rglob("*.py")}
    assert modules == in_tree
