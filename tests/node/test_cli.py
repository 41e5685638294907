"""The `maillage` command: exit 0 on success, 1 with `error: ...` on stderr when refused, 2 on usage
errors; a refused command leaves nothing behind. `main()` runs its own event loop, so these tests
are synchronous (plus two through the installed script)."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from node.accounts import verify_password
from node.cli import main
from node.config import Config, load_config
from tests.support.node import practice

ROOT = Path(__file__).resolve().parents[2]
MAILLAGE = Path(sys.executable).parent / "maillage"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def query(data: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data / "maillage.db") as conn:
        return conn.execute(sql, params).fetchall()


def init_args(data: Path, *extra: str) -> list[str]:
    return ["init", "--data", str(data), "--url", "http://127.0.0.1:8080", "--name", "reseau", "--dev", *extra]


# init

def test_init_creates_a_node_and_prints_the_admin_password(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "node"
    code, out, err = run(capsys, *init_args(data, "--title", "Réseau"))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == [f"Initialised node in {data}",
                         "Network actor: @reseau@127.0.0.1:8080 (http://127.0.0.1:8080/users/reseau)",
                         "Admin login: admin"]
    assert lines[3].startswith("Admin password: ") and len(lines) == 4
    password = lines[3].removeprefix("Admin password: ")
    [(password_hash, role)] = query(data, "SELECT u.password_hash, u.role FROM users u JOIN actors a"
                                          " ON a.id = u.actor_id WHERE a.username = 'admin'")
    assert role == "admin" and verify_password(password_hash, password)
    assert query(data, "SELECT username, type FROM actors ORDER BY id") == [
        ("instance.actor", "Application"), ("reseau", "Group"), ("admin", "Person")]
    config = load_config(data, environ={})
    assert (config.base_url, config.network, config.title, config.dev) == (
        "http://127.0.0.1:8080", "reseau", "Réseau", True)


def test_init_https_without_dev_with_a_given_password(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "init", "--data", str(tmp_path / "n"), "--url", "https://Reseau.Example/",
                       "--name", "reseau", "--admin", "marie", "--password", "long enough secret")
    assert code == 0
    assert out.splitlines()[1:] == ["Network actor: @reseau@reseau.example (https://reseau.example/users/reseau)",
                                    "Admin login: marie"]  # a password given on the command line is not echoed


@pytest.mark.parametrize(("extra", "message"), [
    (["--url", "http://127.0.0.1:8080"], "base_url must use https (plain http is only allowed with --dev)"),
    (["--url", "https://x.example/sub", "--dev"], "base_url must not have a path, query or fragment: "
                                                  "'https://x.example/sub'"),
    (["--url", "ftp://x.example", "--dev"], "base_url must be an absolute http(s) URL, got 'ftp://x.example'"),
    (["--name", "bad name"], "invalid name 'bad name': use 1-64 letters, digits, '_', '.' or '-', starting with"
                             " a letter or digit"),
    (["--name", "actor"], "the name 'actor' is reserved"),
    (["--admin", "reseau"], "the admin and the network actor need different names"),
    (["--admin", "Postmaster"], "the name 'Postmaster' is reserved"),
    (["--lang", "FR_fr"], "--lang is not a language tag: 'FR_fr'"),
    (["--password", "short"], "password too short: at least 8 characters"),
])
def test_init_refusals_leave_no_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
                                      message: str) -> None:
    data = tmp_path / "node"
    args = ["init", "--data", str(data), "--url", "https://x.example", "--name", "reseau", *extra]
    if "--dev" not in extra and extra[0] != "--url":
        args.append("--dev")
    assert run(capsys, *args) == (1, "", f"error: {message}\n")
    assert not data.exists()


def test_init_failure_in_an_existing_folder_leaves_it_as_it_was(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "node"
    data.mkdir()
    (data / "notes.txt").write_text("mine")
    assert run(capsys, *init_args(data, "--password", "short"))[0] == 1
    assert sorted(p.name for p in data.iterdir()) == ["notes.txt"]


def test_init_refuses_an_existing_node(node_config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    data = node_config.data_dir
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    code, out, err = run(capsys, *init_args(data))
    assert (code, out, err) == (1, "", f"error: {data} already holds a node (maillage.toml exists)\n")
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before


# user add

def test_user_add(node_config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    data = node_config.data_dir
    assert run(capsys, "user", "add", "--data", str(data), "marie", "--password", "long enough",
               "--display-name", "Marie C.") == (0, "Added organizer marie: @marie@node.test\n", "")
    assert query(data, "SELECT a.type, a.name, u.role FROM users u JOIN actors a ON a.id = u.actor_id"
                       " WHERE a.username = 'marie'") == [("Person", "Marie C.", "organizer")]


@pytest.mark.parametrize(("argv", "message"), [
    (["marie", "--password", "short"], "password too short: at least 8 characters"),
    (["admin", "--password", "long enough"], "the name 'admin' is already taken"),
    (["ADMIN", "--password", "long enough"], "the name 'ADMIN' is already taken"),
    (["reseau", "--password", "long enough"], "the name 'reseau' is already taken"),
    (["postmaster", "--password", "long enough"], "the name 'postmaster' is reserved"),
    (["marie!", "--password", "long enough"], "invalid name 'marie!': use 1-64 letters, digits, '_', '.' or '-',"
                                              " starting with a letter or digit"),
])
def test_user_add_refusals(node_config: Config, capsys: pytest.CaptureFixture[str], argv: list[str],
                           message: str) -> None:
    data = node_config.data_dir
    before = query(data, "SELECT id, username FROM actors")
    assert run(capsys, "user", "add", "--data", str(data), *argv) == (1, "", f"error: {message}\n")
    assert query(data, "SELECT id, username FROM actors") == before
    assert query(data, "SELECT count(*) FROM users") == [(1,)]


def test_user_add_with_an_unknown_role_is_a_usage_error(node_config: Config,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["user", "add", "--data", str(node_config.data_dir), "marie", "--password", "long enough",
              "--role", "king"])
    assert exit_info.value.code == 2
    assert "maillage user add: error: argument --role: invalid choice: 'king'" in capsys.readouterr().err
    assert query(node_config.data_dir, "SELECT count(*) FROM users") == [(1,)]


def test_commands_on_a_folder_without_a_node(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "user", "add", "--data", str(tmp_path), "marie", "--password", "long enough") == (
        1, "", f"error: no maillage.toml in {tmp_path} (run `maillage init --data {tmp_path} ...` first)\n")


# publish

def publish(capsys: pytest.CaptureFixture[str], data: Path, text: str, author: str = "admin",
            name: str = "draft.md") -> tuple[int, str, str]:
    path = data.parent / name
    path.write_text(text, encoding="utf-8")
    return run(capsys, "publish", "--data", str(data), "--as", author, str(path))


def activities(data: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(kind, json.loads(doc)) for kind, doc in query(data, "SELECT type, document FROM activities ORDER BY id")]


def test_publish_prints_the_iri(node_config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    data = node_config.data_dir
    assert publish(capsys, data, practice()) == (0, "http://node.test/practices/monnaie-locale\n", "")
    assert [kind for kind, _ in activities(data)] == ["Create", "Announce"]
    assert query(data, "SELECT kind, slug, default_lang FROM objects") == [("practice", "monnaie-locale", "fr")]


def test_publish_same_slug_and_language_is_an_edit(node_config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    data = node_config.data_dir
    publish(capsys, data, practice())
    assert publish(capsys, data, practice(title="Nouveau titre")) == (
        0, "http://node.test/practices/monnaie-locale\n", "")
    kinds = activities(data)
    assert [kind for kind, _ in kinds] == ["Create", "Announce", "Update"]
    update = kinds[-1][1]
    assert update["object"]["name"] == "Nouveau titre"
    assert update["object"]["nameMap"] == {"fr": "Nouveau titre"}
    assert update["object"]["updated"]
    assert query(data, "SELECT lang, title FROM translations") == [("fr", "Nouveau titre")]


def test_publish_same_slug_in_a_new_language_is_a_translation(node_config: Config,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    data = node_config.data_dir
    publish(capsys, data, practice())
    assert publish(capsys, data, practice(lang="en", title="A local currency", summary="How."))[0] == 0
    kind, update = activities(data)[-1]
    assert kind == "Update"
    assert update["object"]["nameMap"] == {"en": "A local currency", "fr": "Une monnaie locale"}
    assert update["object"]["name"] == "Une monnaie locale"  # the default language stays first
    assert query(data, "SELECT lang FROM translations ORDER BY lang") == [("en",), ("fr",)]


BAD_FRONT_MATTER = [
    ("---\nslug: a\ntitle: T\nsummary: S\n---\nbody", "front matter: 'type' is required"),
    ("---\ntype: poem\nslug: a\ntitle: T\nsummary: S\n---\nbody",
     "front matter: 'type' must be one of practice, journey, outcome, got 'poem'"),
    ("---\ntype: practice\nslug: Bad Slug\ntitle: T\nsummary: S\n---\nbody",
     "front matter: 'slug' must be lowercase letters, digits and '-', got 'Bad Slug'"),
    ("---\ntype: practice\nslug: a\nsummary: S\n---\nbody", "front matter: 'title' is required"),
    ("---\ntype: practice\nslug: a\ntitle: T\n---\nbody", "front matter: 'summary' is required"),
    ("---\ntype: practice\nslug: a\ntitle: [1, 2]\nsummary: S\n---\nbody", "front matter: 'title' must be text"),
    ("---\ntype: practice\nslug: a\nlang: fr_FR\ntitle: T\nsummary: S\n---\nbody",
     "front matter: 'lang' is not a BCP 47 language tag: 'fr_FR'"),
    ("---\ntype: practice\nslug: a\ntitle: T\nsummary: S\nthemes: {a: 1}\n---\nbody",
     "front matter: 'themes' must be a list of words"),
    ("---\ntype: practice\nslug: a\ntitle: T\nsummary: S\nthemes: ['?!']\n---\nbody",
     "front matter: theme '?!' must have letters or digits, and at most 64 characters"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FRONT_MATTER)
def test_publish_bad_front_matter_writes_nothing(node_config: Config, capsys: pytest.CaptureFixture[str],
                                                 text: str, message: str) -> None:
    data = node_config.data_dir
    code, out, err = publish(capsys, data, text)
    assert (code, out, err) == (1, "", f"error: {data.parent / 'draft.md'}: {message}\n")
    for table in ("objects", "translations", "activities", "deliveries"):
        assert query(data, f"SELECT count(*) FROM {table}") == [(0,)], table


def test_publish_invalid_yaml(node_config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = publish(capsys, node_config.data_dir, "---\ntype: [practice\n---\nbody")
    assert code == 1
    assert err.startswith(f"error: {node_config.data_dir.parent / 'draft.md'}: front matter is not valid YAML: ")
    assert query(node_config.data_dir, "SELECT count(*) FROM objects") == [(0,)]


def test_publish_refusals(node_config: Config, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = node_config.data_dir
    missing = tmp_path / "missing.md"
    code, _, err = run(capsys, "publish", "--data", str(data), "--as", "admin", str(missing))
    assert code == 1 and err.startswith(f"error: cannot read {missing}: ")
    for author in ("nobody", "reseau"):
        assert publish(capsys, data, practice(), author=author) == (
            1, "", f"error: no organizer named {author!r} (add one with `maillage user add`)\n")
    publish(capsys, data, practice())
    run(capsys, "user", "add", "--data", str(data), "marie", "--password", "long enough")
    assert publish(capsys, data, practice(title="Pris"), author="marie") == (
        1, "", f"error: {data.parent / 'draft.md'}: http://node.test/practices/monnaie-locale belongs to admin;"
               " only they or an admin can edit it\n")
    assert [kind for kind, _ in activities(data)] == ["Create", "Announce"]


# follow

@pytest.mark.parametrize(("target", "reason"), [
    ("not-a-handle", "not a handle (expected @name@host): 'not-a-handle'"),
    ("@alice@", "not a handle (expected @name@host): '@alice@'"),
    ("@al ice@remote.example", "invalid user name in handle: 'al ice'"),
])
def test_follow_with_a_bad_handle(node_config: Config, capsys: pytest.CaptureFixture[str], target: str,
                                  reason: str) -> None:
    data = node_config.data_dir
    assert run(capsys, "follow", "--data", str(data), target) == (1, "", f"error: cannot follow {target}: {reason}\n")
    assert query(data, "SELECT count(*) FROM follows") == [(0,)]


def test_follow_of_an_unreachable_server(node_config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "follow", "--data", str(node_config.data_dir), "@alice@127.0.0.1:1")
    assert (code, out) == (1, "")
    assert err.startswith("error: cannot follow @alice@127.0.0.1:1: GET http://127.0.0.1:1/.well-known/webfinger"
                          "?resource=acct:alice@127.0.0.1:1 failed: ")


def test_unfollow_of_someone_not_followed(node_config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    target = "https://remote.example/users/alice"
    assert run(capsys, "unfollow", "--data", str(node_config.data_dir), target) == (
        1, "", f"error: cannot unfollow {target}: not following {target}\n")


# usage errors

@pytest.mark.parametrize("argv", [
    [], ["frobnicate"], ["init", "--url", "https://x.example", "--name", "n"], ["user"], ["user", "add"],
    ["publish", "--data", "d"], ["serve", "--data", "d", "--port", "eighty"],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("usage: maillage")


def test_installed_script_exit_codes(tmp_path: Path) -> None:
    usage = subprocess.run([str(MAILLAGE), "user"], capture_output=True, text=True, cwd=ROOT)
    assert usage.returncode == 2 and usage.stderr.startswith("usage: maillage user")
    refused = subprocess.run([sys.executable, "-m", "node", "user", "add", "--data", str(tmp_path), "x",
                              "--password", "long enough"], capture_output=True, text=True, cwd=ROOT)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.startswith(f"error: no maillage.toml in {tmp_path} ")
