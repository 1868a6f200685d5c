"""One settings object, read from the environment.

Each setting is a dataclass field whose metadata names its environment variable and a one-line
help; `billable --help` and the README print that table, so the documentation cannot drift.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from web.queries.sessions import Lifetime

PARTIALS_MODES = ("stream", "requests")
DATE_STYLES = ("day-month", "month-day", "iso")  # see web.templating.format_day


class SettingsError(ValueError):
    """A setting in the environment has a value we cannot use."""


def _setting(env: str, default: Any, help: str, *, minimum: int = 1) -> Any:
    """A setting read from `env`; a whole number must be at least `minimum`."""
    return field(default=default, metadata={"env": env, "help": help, "minimum": minimum})


@dataclass(frozen=True)
class Settings:
    database_url: str = _setting(
        "DATABASE_URL", "", "PostgreSQL URL. Unset: start the embedded server in BILLABLE_DATA_DIR."
    )
    cache_url: str = _setting(
        "BILLABLE_CACHE_URL", "memory://", "Partial cache: memory:// (per process) or redis://host:port/db."
    )
    cache_memory_entries: int = _setting(
        "BILLABLE_CACHE_MEMORY_ENTRIES",
        1000,
        "memory:// only: entries each process keeps, least recently used out first (a row or a card is one).",
    )
    cache_timeout_ms: int = _setting(
        "BILLABLE_CACHE_TIMEOUT_MS",
        250,
        "Longest wait for Redis, ms; past it (or on an error) the cache is skipped until it answers again.",
    )
    data_dir: Path = _setting("BILLABLE_DATA_DIR", Path(".billable"), "Where the embedded PostgreSQL keeps its data.")
    timezone: str = _setting("BILLABLE_TIMEZONE", "UTC", "IANA zone that decides what 'today' is.")
    date_style: str = _setting(
        "BILLABLE_DATE_STYLE",
        "day-month",
        "How pages write dates: day-month (11 Nov 2026), month-day (Nov 11, 2026) or iso (2026-11-11). CSV: ISO.",
    )
    ttl_stats_s: int = _setting("BILLABLE_TTL_STATS", 300, "Cache TTL of stats cards, seconds.")
    ttl_client_row_s: int = _setting("BILLABLE_TTL_CLIENT_ROW", 120, "Cache TTL of client rows, seconds.")
    ttl_client_list_s: int = _setting("BILLABLE_TTL_CLIENT_LIST", 120, "Cache TTL of client list pages, seconds.")
    ttl_summary_s: int = _setting("BILLABLE_TTL_SUMMARY", 600, "Cache TTL of timesheet summaries, seconds.")
    partial_budget_ms: int = _setting(
        "BILLABLE_PARTIAL_BUDGET_MS", 5000, "A partial slower than this shows its error state, ms."
    )
    request_budget_ms: int = _setting(
        "BILLABLE_REQUEST_BUDGET_MS",
        10000,
        "A page's or a write's own database work (its queries and waits) ends within this, ms; else 503.",
    )
    db_wait_ms: int = _setting(
        "BILLABLE_DB_WAIT_MS", 2000, "Longest wait for a free database connection, ms; past it a page answers 503."
    )
    partials_mode: str = _setting(
        "BILLABLE_PARTIALS",
        "stream",
        "How pages get their partials: stream (in the page's own response) or requests (one each).",
    )
    slow_request_ms: int = _setting("BILLABLE_SLOW_MS", 500, "Requests slower than this are logged, ms.", minimum=0)
    pool_min: int = _setting(
        "BILLABLE_POOL_MIN", 10, "Connections opened at start (at most BILLABLE_POOL_MAX when that is set alone)."
    )
    pool_max: int = _setting("BILLABLE_POOL_MAX", 10, "Largest database pool size.")
    trusted_proxies: str = _setting(
        "BILLABLE_TRUSTED_PROXIES",
        "127.0.0.1",
        "Addresses or networks (comma-separated) whose X-Forwarded-For/-Proto are believed: your TLS proxy's.",
    )
    shutdown_s: int = _setting(
        "BILLABLE_SHUTDOWN_S",
        10,
        "On SIGTERM, how long requests and streams in flight may finish, seconds.",
        minimum=0,
    )
    secret_key: str = _setting(
        "BILLABLE_SECRET_KEY", "", "Signs session cookies. Unset: a random key kept in BILLABLE_DATA_DIR/secret_key."
    )
    session_hours: int = _setting("BILLABLE_SESSION_HOURS", 12, "How long a sign-in lasts at most, hours.")
    session_idle_minutes: int = _setting(
        "BILLABLE_SESSION_IDLE_MINUTES", 240, "A sign-in unused this long ends (checked every half minute), minutes."
    )
    dev: bool = _setting("BILLABLE_DEV", False, "Development mode: reload templates, name them in HTML.")
    warm_on_start: bool = _setting(
        "BILLABLE_WARM_ON_START", True, "Compute the default dashboard into the cache when the app starts."
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _parse(f.metadata["env"], raw, type(f.default))
        if "pool_min" not in values:
            # Opened at start rather than during a page: a dashboard's first load asks for about ten
            # at once, and a connection opened mid-page starts a PostgreSQL backend first (a first
            # cold dashboard on dataset l took 160-570 ms with 2 open, 85 ms with 10).
            values["pool_min"] = min(cls.pool_min, values.get("pool_max", cls.pool_max))
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if type(value) is int and value < f.metadata["minimum"]:
                raise SettingsError(f"{f.metadata['env']}: must be at least {f.metadata['minimum']}, got {value}")
        try:
            self.tz  # noqa: B018 - raises on an unknown zone
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"BILLABLE_TIMEZONE: unknown time zone {self.timezone!r}") from exc
        if not re.fullmatch(r"memory://|rediss?://[^/?#]*(/\d*)?", self.cache_url):
            raise SettingsError("BILLABLE_CACHE_URL: use memory:// or redis://host:port/db")
        if self.date_style not in DATE_STYLES:
            raise SettingsError(f"BILLABLE_DATE_STYLE: use {', '.join(DATE_STYLES)}, got {self.date_style!r}")
        if self.partials_mode not in PARTIALS_MODES:
            raise SettingsError(f"BILLABLE_PARTIALS: use {' or '.join(PARTIALS_MODES)}, got {self.partials_mode!r}")
        if not 1 <= self.pool_min <= self.pool_max:
            raise SettingsError("BILLABLE_POOL_MIN/MAX: need 1 <= min <= max")

    @property
    def session_lifetime(self) -> Lifetime:
        return Lifetime(idle=timedelta(minutes=self.session_idle_minutes), absolute=timedelta(hours=self.session_hours))

    def session_secret(self) -> str:
        """BILLABLE_SECRET_KEY, or a random key created once in the data directory and reused, so that
        every process on this machine (and every restart) accepts the same sessions."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass  # made before, or just now by another worker: theirs it is
        return path.read_text().strip()

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _parse(env: str, raw: str, kind: type) -> Any:
    if kind is bool:
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{env}: expected true or false, got {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{env}: expected a whole number, got {raw!r}") from None
    if issubclass(kind, Path):
        return Path(raw)
    return raw


def settings_help() -> str:
    """The settings table shown by `billable --help`."""
    rows = []
    for f in dataclasses.fields(Settings):
        default = f.default if f.default != "" else "(unset)"
        rows.append(f"  {f.metadata['env']:<28} {f.metadata['help']} [default: {default}]")
    return "environment:\n" + "\n".join(rows)
