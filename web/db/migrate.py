"""Versioned schema migrations: `migrations/NNNN_name.sql`, applied in order, recorded in the database.

All pending files run in one transaction with their rows in `schema_migrations` (so a failing file
leaves nothing half-applied), under an advisory lock so that two processes starting at once do not
both apply them. Running `migrate` twice does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from web.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_LOCK_ID = 0x0B111AB1E  # any constant shared by all Billable processes


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path


def available() -> list[Migration]:
    return [Migration(p.stem, p) for p in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))]


async def applied(db: Database) -> set[str]:
    exists = await db.fetch_val("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return set()
    return {row["version"] for row in await db.fetch_all("SELECT version FROM schema_migrations")}


async def pending(db: Database) -> list[Migration]:
    done = await applied(db)
    return [m for m in available() if m.version not in done]


async def migrate(db: Database) -> list[str]:
    """Apply every pending migration; return the versions applied now."""
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock(:id)", id=_LOCK_ID)
        await db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        todo = await pending(db)
        for migration in todo:
            await db.execute_script(migration.path.read_text())
            await db.execute("INSERT INTO schema_migrations (version) VALUES (:v)", v=migration.version)
    return [m.version for m in todo]
