"""One Settings object: defaults, then a TOML file, then FEDI_AID_* environment variables."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line a person can act on."""


ENV_PREFIX = "FEDI_AID_"


@dataclass(frozen=True)
class Settings:
    base_url: str = "http://localhost:8080"
    data_dir: str = "data"
    database_url: str = ""  # empty: an SQLite file in data_dir
    # PostgreSQL only: put every table in this schema (lets several instances share a database).
    database_schema: str = ""
    instance_name: str = "fedi-aid"
    listen_host: str = "127.0.0.1"
    listen_port: int = 0  # 0: the port of base_url
    # Development switch: plain http and loopback/private peers. Never on a public instance.
    development: bool = False
    force_development: bool = False
    run_worker: bool = True
    log_level: str = "INFO"
    # Inbound limits
    max_body_bytes: int = 1024 * 1024
    signature_max_skew_seconds: int = 3600
    # Outbound HTTP
    http_connect_timeout: float = 5.0
    http_read_timeout: float = 10.0
    http_total_timeout: float = 30.0
    max_response_bytes: int = 1024 * 1024
    # Delivery
    delivery_max_age_hours: float = 48.0
    delivery_concurrency: int = 16
    delivery_backoff_seconds: float = 30.0  # first retry delay; doubles each try
    # Sign large fan-outs partly in a helper process (only with more than one CPU).
    delivery_signing_process: bool = True
    # A claimed job not finished within this time (its worker crashed) is taken over.
    job_lease_seconds: float = 120.0
    domain_unavailable_after_hours: float = 72.0
    worker_poll_seconds: float = 1.0
    key_cache_seconds: int = 24 * 3600
    # Operations: "text" or "json" log lines; per-IP limits on inbox, WebFinger and login
    # (requests a minute and burst; 0 turns them off); proxies whose X-Forwarded-For is believed.
    log_format: str = "text"
    rate_limit_per_minute: float = 600.0
    rate_limit_burst: int = 300
    trusted_proxies: str = "127.0.0.1,::1"
    # Client addresses never rate-limited (the machine itself: the admin, scripts, benchmarks).
    rate_limit_exempt: str = "127.0.0.1,::1"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # ---- derived values -------------------------------------------------------------
    @property
    def scheme(self) -> str:
        return urlsplit(self.base_url).scheme

    @property
    def host(self) -> str:
        """Host as it appears in URLs and acct: handles (with a non-default port)."""
        return urlsplit(self.base_url).netloc.lower()

    @property
    def hostname(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def port(self) -> int:
        if self.listen_port:
            return self.listen_port
        parts = urlsplit(self.base_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{Path(self.data_dir).resolve() / 'fedi-aid.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def user_agent(self) -> str:
        from fedi_aid import __version__

        return f"fedi-aid/{__version__} (+{self.base_url.rstrip('/')})"

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off", ""}


def _coerce(name: str, kind: Any, value: Any) -> Any:
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if kind_name == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _BOOL_TRUE:
                return True
            if text in _BOOL_FALSE:
                return False
            raise ValueError
        if kind_name == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind_name == "float":
            return float(value)
        if kind_name == "str":
            if not isinstance(value, str | int | float):
                raise ValueError
            return str(value)
    except (TypeError, ValueError):
        word = {"bool": "true or false", "int": "a whole number", "float": "a number"}.get(
            kind_name, "a string"
        )
        raise ConfigError(f"setting {name} must be {word}, got {value!r}") from None
    return value


def _validate(settings: Settings) -> None:
    parts = urlsplit(settings.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"base_url must be an absolute http(s) URL such as https://aid.example, "
            f"got {settings.base_url!r}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(
            f"base_url must not have a path, query or fragment: {settings.base_url!r}"
        )
    try:
        _ = parts.port
    except ValueError:
        raise ConfigError(f"base_url has an invalid port: {settings.base_url!r}") from None
    if parts.scheme == "http" and not settings.development and not _is_local_host(parts.hostname):
        raise ConfigError(
            "base_url uses plain http on a public host; use https, or set "
            "FEDI_AID_DEVELOPMENT=true for a local test instance"
        )
    if (
        settings.development
        and parts.scheme == "https"
        and not _is_local_host(parts.hostname)
        and not settings.force_development
    ):
        raise ConfigError(
            "development mode (plain http, loopback peers) is refused on a public https "
            "instance; unset FEDI_AID_DEVELOPMENT or set FEDI_AID_FORCE_DEVELOPMENT=true"
        )
    url = settings.effective_database_url
    if not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://")):
        raise ConfigError(
            "database_url must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"got {url.split('://')[0]!r}"
        )
    if settings.database_schema and not settings.database_schema.replace("_", "").isalnum():
        raise ConfigError("database_schema may hold only letters, digits and underscores")
    if not 0 <= settings.listen_port <= 65535:
        raise ConfigError(f"listen_port must be 0..65535, got {settings.listen_port}")
    _validate_operations(settings)


def _validate_operations(settings: Settings) -> None:
    if settings.log_format not in ("text", "json"):
        raise ConfigError(f"log_format must be text or json, got {settings.log_format!r}")
    if settings.rate_limit_per_minute < 0 or settings.rate_limit_burst < 0:
        raise ConfigError("rate_limit_per_minute and rate_limit_burst must not be negative")
    for name in ("trusted_proxies", "rate_limit_exempt"):
        for part in getattr(settings, name).split(","):
            try:
                if part.strip():
                    ipaddress.ip_network(part.strip(), strict=False)
            except ValueError:
                raise ConfigError(
                    f"{name} must be IP addresses or networks separated by commas, "
                    f"got {part.strip()!r}"
                ) from None


def _is_local_host(hostname: str) -> bool:
    if hostname in ("localhost",) or hostname.endswith(".localhost") or hostname.endswith(".test"):
        return True
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def load_settings(
    config_path: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build Settings; raise ConfigError with one readable line when anything is wrong."""
    env = os.environ if environ is None else environ
    known = {f.name: f.type for f in fields(Settings) if f.name != "extra"}
    values: dict[str, Any] = {}

    path = config_path or env.get(ENV_PREFIX + "CONFIG")
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"unknown setting {key!r} in {path}")
            values[key] = _coerce(key, known[key], value)

    for name, kind in known.items():
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = _coerce(ENV_PREFIX + name.upper(), kind, raw)

    for name, value in overrides.items():
        if value is not None:
            values[name] = _coerce(name, known[name], value)

    settings = Settings(**values)
    _validate(settings)
    return settings
