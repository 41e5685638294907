"""The `maillage` command (pyproject's `node.cli:main`, and `python -m node`). Parsing and dispatch are in
node/cli/main.py; each family of commands has its module (node_cmds, content, participants, social,
users), all sharing node/cli/common.py, and each is imported only when one of its commands runs."""

from .main import main

__all__ = ["main"]
