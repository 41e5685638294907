"""Node configuration: `maillage.toml` in the data folder, overridable by `MAILLAGE_*` variables.

The file is written once by `maillage init` and edited by hand afterwards; every key is
documented in README.md ("Configuration").
"""

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import __version__
from .timezones import check_zone, default_zone

CONFIG_FILE = "maillage.toml"
DATABASE_FILE = "maillage.db"
LANGUAGES = ("fr", "en", "es", "pt")


class ConfigError(Exception):
    """The configuration is missing or invalid; the message says which key and why."""


@dataclass(frozen=True)
class Config:
    """Everything a node needs to know about itself. `dev` allows plain http and private addresses."""

    data_dir: Path
    base_url: str
    network: str
    title: str
    dev: bool = False
    default_lang: str = "fr"
    languages: tuple[str, ...] = LANGUAGES
    manual_approval: bool = False
    host: str = "127.0.0.1"
    port: int | None = None
    delivery_concurrency: int = 16
    fetch_timeout: float = 10.0
    fetch_max_bytes: int = 2_000_000
    inbox_rate_per_minute: int = 600
    trusted_proxies: tuple[str, ...] = ()
    backfill_max_items: int = 500
    backfill_max_pages: int = 50
    backfill_delay: float = 1.0
    backfill_concurrency: int = 2
    peer_refresh_interval: float = 21600.0
    peer_discovery_max: int = 50
    comments: str = "open"
    response_cache_mb: int = 32
    log_retention_days: float = 30.0
    timezone: str | None = None  # None: the zone of default_lang's region (`time_zone`)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def database_path(self) -> Path:
        return self.data_dir / DATABASE_FILE

    @property
    def domain(self) -> str:
        """host[:port] of the public URL: what appears in `@name@domain`."""
        return urlsplit(self.base_url).netloc.lower()

    @property
    def listen_port(self) -> int:
        if self.port is not None:
            return self.port
        parts = urlsplit(self.base_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def time_zone(self) -> str:
        """The node's time zone, what a new journey starts in (node/timezones.py)."""
        return self.timezone or default_zone(self.default_lang)

    @property
    def allow_private_network(self) -> bool:
        return self.dev


# Keys a user may set in the file or as MAILLAGE_<KEY> in the environment, with their parsers.
def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _languages(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value).split(",")
    langs = tuple(str(v).strip() for v in items if str(v).strip())
    if not langs:
        raise ValueError("at least one language is required")
    return langs


def _comments(value: Any) -> str:
    """open, held or closed; a boolean reads as open (true) or closed (false), like the front matter's."""
    if isinstance(value, bool):
        return "open" if value else "closed"
    text = str(value).strip().lower()
    if text not in ("open", "held", "closed"):
        raise ValueError(f"must be open, held or closed, not {value!r}")
    return text


def _networks(value: Any) -> tuple[str, ...]:
    """IP addresses or CIDR networks, as a TOML list or a comma-separated string (environment)."""
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(str(ipaddress.ip_network(str(v).strip(), strict=False)) for v in items if str(v).strip())


_PARSERS: dict[str, Any] = {
    "base_url": str,
    "network": str,
    "title": str,
    "dev": _bool,
    "default_lang": str,
    "languages": _languages,
    "manual_approval": _bool,
    "host": str,
    "port": int,
    "delivery_concurrency": int,
    "fetch_timeout": float,
    "fetch_max_bytes": int,
    "inbox_rate_per_minute": int,
    "trusted_proxies": _networks,
    "backfill_max_items": int,
    "backfill_max_pages": int,
    "backfill_delay": float,
    "backfill_concurrency": int,
    "peer_refresh_interval": float,
    "peer_discovery_max": int,
    "comments": _comments,
    "response_cache_mb": int,
    "log_retention_days": float,
    "timezone": check_zone,
}


def validate_base_url(url: str, dev: bool) -> str:
    """A base URL is `https://host[:port]` with no path; plain http only in dev mode."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base_url must be an absolute http(s) URL, got {url!r}")
    if parts.scheme == "http" and not dev:
        raise ConfigError("base_url must use https (plain http is only allowed with --dev)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"base_url must not have a path, query or fragment: {url!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def user_agent(config: Config) -> str:
    """What this node says it is in the requests it sends (app workers and CLI commands alike)."""
    return f"Maillage/{__version__} (+{config.base_url})"


def load_config(data_dir: Path, environ: dict[str, str] | None = None) -> Config:
    """Read `maillage.toml` from `data_dir`, then apply `MAILLAGE_*` environment overrides."""
    env = os.environ if environ is None else environ
    path = data_dir / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"no {CONFIG_FILE} in {data_dir} (run `maillage init --data {data_dir} ...` first)")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    values: dict[str, Any] = {}
    for key, parse in _PARSERS.items():
        source = f"MAILLAGE_{key.upper()}"
        value = env.get(source, raw.get(key))
        if value is None:
            continue
        try:
            values[key] = parse(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{key}: {exc}") from exc
    for required in ("base_url", "network", "title"):
        if required not in values:
            raise ConfigError(f"{path}: missing required key {required!r}")
    dev = values.get("dev", False)
    values["base_url"] = validate_base_url(values["base_url"], dev)
    unknown = {k: v for k, v in raw.items() if k not in _PARSERS}
    config = Config(data_dir=data_dir, extra=unknown, **values)
    if config.default_lang not in config.languages:
        config = replace(config, languages=(config.default_lang, *config.languages))
    return config


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def write_config(config: Config) -> Path:
    """Write the config file (keys in a stable order, defaults included so users can see them)."""
    lines = ["# Maillage node configuration. Every key is documented in README.md.", ""]
    for f in fields(config):
        if f.name in ("data_dir", "extra"):
            continue
        value = getattr(config, f.name)
        if value is None:
            lines.append(f"# {f.name} =")
        else:
            lines.append(f"{f.name} = {_toml_value(value)}")
    path = config.data_dir / CONFIG_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
