"""The container image is built from the same description as every other install: pyproject.toml.
These tests keep deploy/Dockerfile in step with it (Python version, what is copied, how it installs)."""

import re
import tomllib

from node.assets import ASSET_FOLDERS
from tests.deploy.proxies import DEPLOY

ROOT = DEPLOY.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DOCKERFILE = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
# Folders the node reads at run time next to its packages (node/assets.py).
RUNTIME_DIRS = ASSET_FOLDERS


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def test_python_version_is_the_projects() -> None:
    """The image's Python is the version the project targets (mypy, ruff) and requires-python allows."""
    version = re.search(r"^ARG PYTHON_VERSION=(\d+\.\d+)$", DOCKERFILE, re.MULTILINE)
    assert version, "deploy/Dockerfile must declare ARG PYTHON_VERSION=X.Y"
    assert version.group(1) == PYPROJECT["tool"]["mypy"]["python_version"]
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + version.group(1).replace(".", "")
    minimum = re.fullmatch(r">=(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert minimum and tuple(map(int, version.group(1).split("."))) >= (int(minimum[1]), int(minimum[2]))
    froms = [args for word, args in instructions() if word == "FROM"]
    assert len(froms) >= 2, "multi-stage build"
    assert all(f.startswith("python:${PYTHON_VERSION}-slim") for f in froms), froms


def test_build_stage_installs_the_project_from_its_pyproject() -> None:
    build = stages()[0]
    copies = [args for word, args in build if word == "COPY"]
    copied = {src for args in copies for src in args.split()[:-1]}
    assert "pyproject.toml" in copied
    assert PYPROJECT["project"]["readme"] in copied, "setuptools reads the readme named in pyproject.toml"
    top_packages = {p.split(".")[0] for p in PYPROJECT["tool"]["setuptools"]["packages"]}
    for folder in sorted(top_packages) + list(RUNTIME_DIRS):
        assert folder in copied, f"{folder}/ is not copied into the image"
        assert (ROOT / folder).is_dir()
    runs = " ".join(args for word, args in build if word == "RUN")
    assert re.search(r"/opt/venv/bin/pip install [^&]*-e \.", runs), "install the project itself with pip"
    pip_index = next(i for i, (w, a) in enumerate(build) if w == "RUN" and "pip install" in a)
    copy_index = next(i for i, (w, a) in enumerate(build) if w == "COPY" and "pyproject.toml" in a)
    assert copy_index < pip_index
    assert "requirements" not in DOCKERFILE, "dependencies come from pyproject.toml only"


def test_final_stage_runs_unprivileged_with_a_data_volume_and_healthcheck() -> None:
    final = stages()[-1]
    words = dict(final)
    assert words["USER"] not in ("root", "0", "0:0")
    assert words["VOLUME"] == '["/data"]'
    assert "/healthz" in words["HEALTHCHECK"]
    assert words["ENTRYPOINT"] == '["maillage"]'
    assert words["CMD"] == '["serve", "--data", "/data"]'
    copies = [a for w, a in final if w == "COPY"]
    assert all(a.startswith("--from=build") for a in copies), "the final stage takes only the build's output"
    assert "MAILLAGE_PORT=8080" in words["ENV"] and "8080/healthz" in words["HEALTHCHECK"]


def test_dockerignore_lets_the_copied_files_in() -> None:
    """BuildKit reads deploy/Dockerfile.dockerignore; everything the Dockerfile copies must pass it."""
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = {src for word, args in stages()[0] if word == "COPY" for src in args.split()[:-1]}
    assert copied <= allowed, copied - allowed
