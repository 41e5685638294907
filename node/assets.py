"""Where the node's templates, static files and translations are.

In a source checkout, and in the editable install that `make` and the deploy files use, they sit beside
the code: `templates/`, `static/` and `locale/` at the top of the tree. A wheel cannot put folders
there, so `pip install .` (or pipx, or a distribution's package) installs them as data files under
`share/maillage/` in the environment (pyproject.toml's `data-files`): the environment's prefix, or
`~/.local` for `pip install --user`. A node missing them would fail on its first page, so asking for
one that is nowhere is an error that says where it was looked for.
"""

import os
import sysconfig
from pathlib import Path

ASSET_FOLDERS = ("templates", "static", "locale")
BESIDE_THE_CODE = Path(__file__).resolve().parent.parent


class MissingAssets(RuntimeError):
    """An asset folder is neither beside the code nor among the installed data files."""


def installed_data_roots() -> list[Path]:
    """Where an install puts maillage's data files: `share/maillage` under the environment's data path,
    then under the user's (`pip install --user`)."""
    roots = [Path(sysconfig.get_path("data"))]
    user_scheme = f"{os.name}_user"
    if user_scheme in sysconfig.get_scheme_names():
        roots.append(Path(sysconfig.get_path("data", user_scheme)))
    return [root / "share" / "maillage" for root in roots]


def asset_dir(name: str) -> Path:
    """The folder `name` (one of ASSET_FOLDERS): beside the code when it is there, else installed."""
    if name not in ASSET_FOLDERS:
        raise ValueError(f"unknown asset folder {name!r}")
    candidates = [BESIDE_THE_CODE / name, *(root / name for root in installed_data_roots())]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise MissingAssets(f"the node's {name} folder is missing: looked in {', '.join(map(str, candidates))}."
                        " Reinstall maillage (pip install ., or pip install -e . from a checkout).")
