"""The data folder holds every actor's private key (`maillage.db`, its `-wal` and `-shm`, the copies made
before migrations), the session key and the config: only the node's own user may read it. `init` makes
the folder 0700 and its files 0600; every start makes an existing node so, saying what it changed (an
older node, a folder restored or copied by hand). Subfolders (uploaded images) are inside the private
folder and left as they are."""

import contextlib
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)
OTHERS = 0o077  # the group's and others' permission bits


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Whatever this process creates meanwhile is its owner's only (umask 077), SQLite's files included."""
    old = os.umask(OTHERS)
    try:
        yield
    finally:
        os.umask(old)


def make_private(data_dir: Path) -> None:
    """Take the group's and others' permissions off the folder and each file directly in it, with a log line
    for each change; one that cannot be changed (another owner) is logged, and the node starts all the same."""
    if not data_dir.is_dir():
        return
    for path in [data_dir, *sorted(data_dir.iterdir())]:
        try:
            info = path.lstat()
            if (path is data_dir or stat.S_ISREG(info.st_mode)) and info.st_mode & OTHERS:
                mode = stat.S_IMODE(info.st_mode)
                path.chmod(mode & ~OTHERS)
                log.warning("%s was readable by others (%04o): made it private (%04o)", path, mode, mode & ~OTHERS)
        except OSError as exc:
            log.warning("cannot make %s private: %s", path, exc)
