"""`maillage backup` and `maillage restore` through the CLI, with `maillage serve` running: the
archive is a consistent copy taken while the node writes, and a restore never silently replaces a node."""

import io
import json
import sqlite3
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.backup import BackupError, create_backup, restore_backup
from tests.federation.harness import NodeProcess, run_parallel

PRACTICE = "---\ntype: practice\nslug: {slug}\nlang: fr\ntitle: Titre {slug}\nsummary: Résumé.\n---\nCorps.\n"


def cli(node: NodeProcess, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(node.cli_args(command, *args), capture_output=True, text=True, timeout=60)


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[NodeProcess]:
    node = NodeProcess(tmp_path, "live")
    run_parallel([node.init_args()], what="init")
    node.start()
    yield node
    node.stop()


def publish(node: NodeProcess, folder: Path, slug: str) -> str:
    path = folder / f"{slug}.md"
    path.write_text(PRACTICE.format(slug=slug), encoding="utf-8")
    return node.publish(path)


def test_backup_while_serving_then_restore(serving: NodeProcess, tmp_path: Path) -> None:
    publish(serving, tmp_path, "avant")
    # Keep the node writing (publications through the CLI) while the backup runs.
    stop = threading.Event()

    def keep_publishing() -> None:
        n = 0
        while not stop.is_set() and n < 20:
            publish(serving, tmp_path, f"pendant-{n}")
            n += 1

    writer = threading.Thread(target=keep_publishing)
    writer.start()
    try:
        result = cli(serving, "backup", "--output", str(tmp_path))
    finally:
        stop.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    archive = Path(result.stdout.strip())
    assert archive.parent == tmp_path and archive.name.startswith("maillage-backup-")
    assert archive.stat().st_mode & 0o777 == 0o600, "the archive holds private keys"
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["MANIFEST.json", "maillage.db", "maillage.toml"]
        manifest = json.load(tar.extractfile("MANIFEST.json"))  # type: ignore[arg-type]
    assert manifest["schema_version"] >= 1

    restored = NodeProcess(tmp_path, "restored")
    result = cli(restored, "restore", str(archive))
    assert result.returncode == 0, result.stderr
    assert (restored.data / "maillage.toml").read_text() == (serving.data / "maillage.toml").read_text()
    assert restored.value("PRAGMA integrity_check") == "ok"
    slugs = {r["slug"] for r in restored.query("SELECT slug FROM objects")}
    assert "avant" in slugs
    # Every publication in the copy is whole: its activities and translation came with it (one snapshot).
    assert restored.value("SELECT COUNT(*) FROM objects o WHERE NOT EXISTS (SELECT 1 FROM translations t"
                          " WHERE t.object_id = o.id)") == 0
    restored.start()  # the restored folder serves (on its own port; its base_url is the original's)
    try:
        assert restored.get_json("/practices/avant")["type"] == "Article"
    finally:
        restored.stop()

    # Restoring over a node is refused, then needs --force, and never while that node serves.
    result = cli(restored, "restore", str(archive))
    assert result.returncode == 1 and "already holds a node" in result.stderr and "--force" in result.stderr
    result = cli(serving, "restore", str(archive), "--force")
    assert result.returncode == 1 and "stop `maillage serve`" in result.stderr
    result = cli(restored, "restore", str(archive), "--force")
    assert result.returncode == 0, result.stderr
    kept = list(restored.data.glob("maillage-before-restore-*.tar.gz"))
    assert len(kept) == 1, "the replaced node is archived first"


def test_status_and_backup_refuse_a_folder_without_a_node(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="not a Maillage data folder"):
        create_backup(tmp_path, tmp_path / "x.tar.gz")
    node = NodeProcess(tmp_path, "empty")
    result = cli(node, "status")
    assert result.returncode == 1 and result.stderr.startswith("error: ")


def _archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    target = tmp_path / "target"
    not_db = _archive(tmp_path / "a.tar.gz", {"maillage.db": b"not sqlite", "maillage.toml": b"x = 1\n"})
    with pytest.raises(BackupError):
        restore_backup(target, not_db)
    missing = _archive(tmp_path / "b.tar.gz", {"../maillage.db": b"", "maillage.toml": b""})
    with pytest.raises(BackupError, match="no maillage.db"):
        restore_backup(target, missing)
    assert not (tmp_path / "maillage.db").exists()
    assert not any(target.glob("maillage.*")), "a refused restore leaves nothing behind"
    db = tmp_path / "ok.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    good = _archive(tmp_path / "c.tar.gz", {"maillage.db": db.read_bytes(), "maillage.toml": b"x = 1\n",
                                             "extra/../../evil": b"boom"})
    restore_backup(target, good)
    assert sorted(p.name for p in target.iterdir()) == ["maillage.db", "maillage.toml"]
    assert not (tmp_path.parent / "evil").exists()


def test_uploaded_images_are_backed_up_and_restored(tmp_path: Path) -> None:
    """Published items and the network's avatar link to DATA/media: an archive without it restored a node
    whose images were gone. Only images named as uploads are named are taken, either way."""
    source = NodeProcess(tmp_path, "source")
    run_parallel([source.init_args()], what="init")
    media = source.data / "media"
    media.mkdir()
    image = media / f"{'a' * 32}.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    (media / f".{image.name}.part").write_bytes(b"half")  # an upload being written: not taken
    archive = create_backup(source.data, tmp_path / "with-media.tar.gz")
    with tarfile.open(archive) as tar:
        assert sorted(n for n in tar.getnames() if n.startswith("media")) == [f"media/{image.name}"]
    target = tmp_path / "restored"
    restore_backup(target, archive)
    assert (target / "media" / image.name).read_bytes() == image.read_bytes()
    assert sorted(p.name for p in (target / "media").iterdir()) == [image.name]
    hostile = _archive(tmp_path / "hostile.tar.gz", {
        "maillage.db": (target / "maillage.db").read_bytes(), "maillage.toml": b"x = 1\n",
        "media/../../evil.png": b"boom", f"media/{'b' * 32}.svg": b"<svg/>", f"media/{'c' * 32}.gif": b"GIF89a"})
    elsewhere = tmp_path / "elsewhere"
    restore_backup(elsewhere, hostile)
    assert sorted(p.name for p in (elsewhere / "media").iterdir()) == [f"{'c' * 32}.gif"]
    assert not (tmp_path / "evil.png").exists()
