"""`maillage backup` and `maillage restore`: a node is its database, its config file and the images its
organizers uploaded (DATA/media, which published items and the network's avatar link to).

The database is copied with SQLite's online backup API, which gives a consistent snapshot while
`serve` keeps writing (a plain file copy of a WAL database can catch it half-way). The archive holds
the actors' private keys: it is written readable by its owner only.
"""

import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__, clock
from .config import CONFIG_FILE, DATABASE_FILE
from .media import NAME as MEDIA_NAME
from .media import media_dir

MANIFEST = "MANIFEST.json"
MEMBERS = (DATABASE_FILE, CONFIG_FILE, MANIFEST)
MEDIA = "media"  # the archive's folder of uploaded images: media/NAME, NAME as node/media.py names them


class BackupError(Exception):
    """A backup or restore cannot be made; the message says why."""


@dataclass(frozen=True)
class Restored:
    data_dir: Path
    schema_version: int | None
    previous: Path | None  # the archive of the node that was replaced (--force), if any


def default_name() -> str:
    return f"maillage-backup-{clock.now().strftime('%Y%m%dT%H%M%SZ')}.tar.gz"


def _snapshot(db_path: Path, target: Path) -> int | None:
    """Online copy of `db_path` to `target`; returns its schema version. Refuses a corrupt copy."""
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    source = sqlite3.connect(db_path, timeout=10)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the database copy fails its integrity check: {check}")
        try:
            found = copy.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
            version = int(found) if found is not None else None
        except sqlite3.Error:
            version = None
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {db_path}: {exc}") from exc
    finally:
        copy.close()
        source.close()
    return version


def create_backup(data_dir: Path, output: Path | None = None) -> Path:
    """Write `maillage.db` (online copy), `maillage.toml`, the uploaded images and a manifest into a
    .tar.gz; returns its path. `output` may be a file name or an existing folder (a timestamped name is
    chosen in it)."""
    config_path = data_dir / CONFIG_FILE
    if not config_path.is_file():
        raise BackupError(f"no {CONFIG_FILE} in {data_dir}: not a Maillage data folder")
    if output is None:
        output = Path(default_name())
    elif output.is_dir():
        output = output / default_name()
    with tempfile.TemporaryDirectory(prefix="maillage-backup-") as tmp:
        db_copy = Path(tmp) / DATABASE_FILE
        version = _snapshot(data_dir / DATABASE_FILE, db_copy)
        manifest = {"maillage": __version__, "schema_version": version, "created_at": clock.iso()}
        partial = output.with_name(f".{output.name}.partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                tar.add(db_copy, arcname=DATABASE_FILE)
                tar.add(config_path, arcname=CONFIG_FILE)
                for image in _media_files(media_dir(data_dir)):
                    tar.add(image, arcname=f"{MEDIA}/{image.name}")
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(clock.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
            partial.replace(output)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise BackupError(f"cannot write {output}: {exc}") from exc
    return output


def _media_files(folder: Path) -> list[Path]:
    """The uploaded images in `folder` (half-written `.part` files and strays left out)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if MEDIA_NAME.match(p.name) and p.is_file())


def _extract(archive: Path, into: Path) -> dict[str, object]:
    """Extract only the expected regular files (never a path or a link from the archive): the database,
    the config, the manifest, and images named as node/media.py names them (into `into`/media)."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            members = {m.name: m for m in tar.getmembers()}
            for name in (DATABASE_FILE, CONFIG_FILE):
                if name not in members or not members[name].isfile():
                    raise BackupError(f"{archive} is not a Maillage backup (no {name})")
            for name in MEMBERS:
                member = members.get(name)
                if member is None or not member.isfile():
                    continue
                _copy_out(tar, member, into / name, 0o600)
            images = [m for name, m in members.items() if m.isfile() and name.startswith(f"{MEDIA}/")
                      and MEDIA_NAME.match(name.removeprefix(f"{MEDIA}/"))]
            if images:
                (into / MEDIA).mkdir(mode=0o755)
            for member in images:
                _copy_out(tar, member, into / member.name, 0o644)
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupError(f"cannot read {archive}: {exc}") from exc
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    return manifest if isinstance(manifest, dict) else {}


def _copy_out(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, mode: int) -> None:
    source = tar.extractfile(member)
    assert source is not None
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(source, out)


def _check_restorable(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(f"the archived database cannot be read: {exc}") from exc
    finally:
        conn.close()
    if check != "ok":
        raise BackupError(f"the archived database fails its integrity check: {check}")


def _ensure_not_in_use(db_path: Path) -> None:
    """Leaving WAL mode needs the only connection to the file: if `serve` (or any other process) has
    it open, SQLite refuses, and so do we."""
    conn = sqlite3.connect(db_path, timeout=0)
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = "wal"
    finally:
        conn.close()
    if mode != "delete":
        raise BackupError(f"{db_path} is in use: stop `maillage serve` before restoring")


def restore_backup(data_dir: Path, archive: Path, *, force: bool = False) -> Restored:
    """Put a backup in place in `data_dir`. An existing node is replaced only with `force`, and then
    archived first (`maillage-before-restore-*.tar.gz` in the data folder) so nothing is lost."""
    if not archive.is_file():
        raise BackupError(f"no such file: {archive}")
    existing = [p for p in (data_dir / CONFIG_FILE, data_dir / DATABASE_FILE) if p.exists()]
    if existing and not force:
        raise BackupError(f"{data_dir} already holds a node ({existing[0].name}); use --force to replace it")
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=data_dir) as tmp:
        staged = Path(tmp)
        manifest = _extract(archive, staged)
        _check_restorable(staged / DATABASE_FILE)
        previous = None
        if existing:
            db_path = data_dir / DATABASE_FILE
            if db_path.exists():
                _ensure_not_in_use(db_path)
            if (data_dir / CONFIG_FILE).exists() and db_path.exists():
                stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
                previous = create_backup(data_dir, data_dir / f"maillage-before-restore-{stamp}.tar.gz")
        for suffix in ("-wal", "-shm"):  # a stale WAL must never be replayed into the restored file
            (data_dir / f"{DATABASE_FILE}{suffix}").unlink(missing_ok=True)
        (staged / DATABASE_FILE).replace(data_dir / DATABASE_FILE)
        (staged / CONFIG_FILE).replace(data_dir / CONFIG_FILE)
        if (staged / MEDIA).is_dir():  # an archive without images (older ones) leaves the folder as it is
            shutil.rmtree(media_dir(data_dir), ignore_errors=True)  # the replaced node's: in `previous`
            (staged / MEDIA).replace(media_dir(data_dir))
    version = manifest.get("schema_version")
    return Restored(data_dir, version if isinstance(version, int) else None, previous)
