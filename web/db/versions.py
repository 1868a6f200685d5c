"""Cache versions shared by every app process: bumped by writes, pushed by PostgreSQL NOTIFY.

Each process holds the current version of every scope in memory. A write bumps the versions of
the scopes it touches inside its transaction and sends them with NOTIFY, which PostgreSQL delivers
to every listening process when (and only if) the transaction commits. The writing process applies
them itself at once, so its own next request already sees them. If the listening connection drops,
the process reloads every version from the table: it may recompute some partials, never serve an
old one. See docs/caching.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping

import asyncpg

from web.db import Database

log = logging.getLogger("billable.versions")
CHANNEL = "billable_cache"


async def bump(db: Database, scopes: Iterable[str]) -> dict[str, int]:
    """Inside a write transaction: new versions for `scopes`, announced to every process on commit."""
    rows = await db.fetch_all(
        "INSERT INTO cache_versions (scope, version) "
        "SELECT scope, (SELECT nextval('cache_version_seq')) FROM unnest(CAST(:scopes AS text[])) AS scope "
        "ON CONFLICT (scope) DO UPDATE SET version = EXCLUDED.version RETURNING scope, version",
        scopes=sorted(set(scopes)),
    )
    versions = {row["scope"]: int(row["version"]) for row in rows}
    await db.execute("SELECT pg_notify(:channel, :payload)", channel=CHANNEL, payload=encode(versions))
    return versions


def encode(versions: Mapping[str, int]) -> str:
    return ",".join(f"{scope}={version}" for scope, version in sorted(versions.items()))


def decode(payload: str) -> dict[str, int]:
    pairs = (part.rsplit("=", 1) for part in payload.split(",") if "=" in part)
    return {scope: int(version) for scope, version in pairs if version.isdigit()}


class Versions:
    """This process's view of the cache versions, kept current by LISTEN."""

    def __init__(self, url: str, on_move: Callable[[], None] = lambda: None) -> None:
        self.url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self.values: dict[str, int] = {}
        # Moves after every write this process learns of; `on_move` is told too (the database's
        # shared reads: one started before a write is not shared with requests made after it).
        self.generation = 0
        self.on_move = on_move
        self._connection: asyncpg.Connection | None = None
        self._watchdog: asyncio.Task[None] | None = None

    def get(self, scope: str) -> int:
        return self.values.get(scope, 0)

    def of(self, scopes: Iterable[str]) -> tuple[int, ...]:
        return tuple(self.get(scope) for scope in scopes)

    def key(self, scopes: Iterable[str]) -> str:
        return ",".join(f"{scope}={self.get(scope)}" for scope in scopes)

    def apply(self, versions: Mapping[str, int]) -> None:
        moved = False
        for scope, version in versions.items():
            if version > self.values.get(scope, 0):
                self.values[scope] = version
                moved = True
        if moved:
            self.generation += 1
            self.on_move()

    async def start(self) -> None:
        await self._listen()
        self._watchdog = asyncio.create_task(self._keep_listening())

    async def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self.url)
        try:
            await connection.add_listener(CHANNEL, self._on_notify)
            # Loaded after LISTEN starts, so no bump falls between the two.
            rows = await connection.fetch("SELECT scope, version FROM cache_versions")
        except BaseException:
            await connection.close()
            raise
        self.apply({row["scope"]: row["version"] for row in rows})
        self._connection = connection

    def _on_notify(self, connection: object, pid: int, channel: str, payload: str) -> None:
        self.apply(decode(payload))

    async def _keep_listening(self) -> None:
        """Reconnect when the listening connection closes or stops answering (a half-open socket)."""
        while True:
            await asyncio.sleep(1.0)
            try:
                if self._connection is not None and not self._connection.is_closed():
                    await asyncio.wait_for(self._connection.fetchval("SELECT 1"), timeout=5)
                    continue
            except Exception as exc:
                log.warning("cache-version listener stopped answering (%r); reconnecting", exc)
                if self._connection is not None:
                    self._connection.terminate()
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError) as exc:  # the server is down or starting: said in a line
                log.error("cache-version listener could not reconnect (%r); trying again", exc)
            except Exception:
                log.exception("cache-version listener could not reconnect; trying again")
