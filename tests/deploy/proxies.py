"""Real reverse proxies on loopback for deploy tests: deploy/nginx.conf and deploy/Caddyfile rendered
for a test (loopback ports, a throw-away certificate), started as processes and always stopped.
Every substitution must match the shipped file exactly once, so a change to the file that the
rendering no longer understands fails loudly instead of testing something else."""

import datetime
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX_CONF = DEPLOY / "nginx.conf"
CADDYFILE = DEPLOY / "Caddyfile"
START_TIMEOUT = 10.0
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def tool(name: str, *extra_dirs: str) -> str | None:
    """Path of an executable, also looking in sbin folders (nginx lives in /usr/sbin)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", *extra_dirs])
    return shutil.which(name, path=path)


def self_signed_cert(folder: Path, host: str = "example.org") -> tuple[Path, Path]:
    """A one-day self-signed certificate for `host`: (certificate, key) PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def sub_once(pattern: str, replacement: str, text: str, flags: int = 0) -> str:
    new, count = re.subn(pattern, replacement, text, flags=flags)
    assert count == 1, f"expected one match of {pattern!r} in the shipped config, found {count}"
    return new


def nginx_main(folder: Path, site: Path) -> Path:
    """A whole nginx.conf around a site file (the shipped one goes in Debian's `http` block), with
    its pid, logs and temp files in `folder`, in the foreground, as one process (no privilege drop)."""
    temp = folder / "nginx-temp"
    temp.mkdir(exist_ok=True)
    main = folder / "nginx-main.conf"
    main.write_text(
        f"daemon off;\nmaster_process off;\npid {folder}/nginx.pid;\nerror_log {folder}/nginx-error.log info;\n"
        "events { worker_connections 256; }\nhttp {\n"
        f"    access_log {folder}/nginx-access.log;\n"
        + "".join(f"    {kind}_temp_path {temp}/{kind};\n" for kind in TEMP_KINDS)
        + f"    include {site};\n}}\n",
        encoding="utf-8",
    )
    return main


def render_nginx_checked(folder: Path) -> Path:
    """The shipped config with only the certificate paths swapped for a test certificate: what `nginx -t`
    validates, unchanged otherwise."""
    cert, key = self_signed_cert(folder)
    text = NGINX_CONF.read_text(encoding="utf-8")
    text = sub_once(r"/etc/letsencrypt/live/example\.org/fullchain\.pem", str(cert), text)
    text = sub_once(r"/etc/letsencrypt/live/example\.org/privkey\.pem", str(key), text)
    site = folder / "maillage-site.conf"
    site.write_text(text, encoding="utf-8")
    return nginx_main(folder, site)


def render_nginx_loopback(folder: Path, *, listen_port: int, upstream_port: int,
                          replace: tuple[tuple[str, str], ...] = ()) -> Path:
    """The shipped proxy settings serving plain http on 127.0.0.1:`listen_port` to a node on
    `upstream_port`: the port-80 redirect server is dropped and TLS lines removed, nothing else.
    `replace` swaps exact strings (to break the config on purpose)."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    text = sub_once(r"server 127\.0\.0\.1:8080;", f"server 127.0.0.1:{upstream_port};", text)
    text = sub_once(r"server \{\n    listen 80;.*?\n\}\n", "", text, flags=re.DOTALL)
    text = sub_once(r"    listen 443 ssl;\n    listen \[::\]:443 ssl;\n", f"    listen 127.0.0.1:{listen_port};\n",
                    text)
    text = sub_once(r"    server_name example\.org;\n", "    server_name 127.0.0.1;\n", text)
    text = sub_once(r"    ssl_certificate .*?\n    ssl_certificate_key .*?\n    ssl_protocols .*?\n", "", text,
                    flags=re.DOTALL)
    for old, new in replace:
        assert text.count(old) == 1, f"{old!r} is not in the shipped nginx.conf exactly once"
        text = text.replace(old, new)
    site = folder / "maillage-site.conf"
    site.write_text(text, encoding="utf-8")
    return nginx_main(folder, site)


def wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"proxy exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"proxy did not listen on {port} within {timeout}s:\n{log.read_text(errors='replace')}")


class ProxyProcess:
    """A proxy started from the command line, stopped (SIGTERM, then SIGKILL) by `stop()`."""

    def __init__(self, args: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> None:
        self.port = port
        self.log = log
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            # Something already answering there would pass wait_port while the proxy fails to bind.
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} answers before the proxy starts"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=env)
        try:
            wait_port(port, self.proc, log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_nginx(main_conf: Path, port: int) -> ProxyProcess:
    nginx = tool("nginx")
    assert nginx is not None
    return ProxyProcess([nginx, "-c", str(main_conf), "-e", "stderr"], port, main_conf.parent / "nginx.out")


def start_caddy(folder: Path, *, listen_port: int, upstream_port: int) -> ProxyProcess:
    """The shipped Caddyfile, unchanged, for `http://127.0.0.1:PORT` (plain http: no certificate to get),
    with Caddy's own state and admin API kept out of the way."""
    caddy = tool("caddy")
    assert caddy is not None
    config = folder / "Caddyfile"
    config.write_text("{\n\tadmin off\n}\n\n" + CADDYFILE.read_text(encoding="utf-8"))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
           "XDG_CONFIG_HOME": str(folder / "config"), "MAILLAGE_DOMAIN": f"http://127.0.0.1:{listen_port}",
           "MAILLAGE_UPSTREAM": f"127.0.0.1:{upstream_port}"}
    return ProxyProcess([caddy, "run", "--config", str(config), "--adapter", "caddyfile"], listen_port,
                        folder / "caddy.out", env=env)
