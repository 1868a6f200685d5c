"""The database: the only module that knows `databases` and asyncpg.

Query functions in `web.queries` take a `Database` and call its small API; every call is timed
against the current request (see `web.timing`). encode/databases has had no release since
2024-03; keeping it behind this class keeps a later switch to a raw asyncpg pool small.

SQL here uses `:name` parameters. Write casts as `CAST(:x AS date)`: `:x::date` is not read as
a parameter (the rule of SQLAlchemy's text(), which `iterate` still goes through).

`databases` keeps the pool, the per-task connection and transactions; queries go to asyncpg on that
connection directly. Through `databases`, each query was compiled by SQLAlchemy first: 0.45 ms of
Python per query on this machine, four times what asyncpg itself spends on a small one.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import asyncpg
import databases

from web.timing import measure_db, seconds_left

Row = Mapping[str, Any]
T = TypeVar("T")

# SQLAlchemy's rule for a bind parameter in text(): ":name", not "::type", not inside a word.
_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


async def _keep_session(connection: object) -> None:
    """Returning a connection to the pool: asyncpg still rolls back an open transaction, but skips its
    RESET ALL / UNLISTEN / CLOSE ALL round trip, a third of a small query's cost. Nothing here sets
    session state on pooled connections (LISTEN has a connection of its own; locks are per transaction)."""


@lru_cache(maxsize=512)
def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with `:name` parameters as asyncpg's `$n`, and the names in the order of n."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return _PARAMETER.sub(number, sql), tuple(names)


@dataclass(frozen=True)
class PoolStats:
    size: int  # connections open
    in_use: int  # of those, busy
    max_size: int
    in_flight: int  # queries started and not finished, including those waiting for a connection

    @property
    def waiting(self) -> int:
        """Queries that cannot have a connection yet (the pool has no queue length of its own)."""
        return max(0, self.in_flight - self.max_size)


class DatabaseUnavailable(Exception):
    """The server cannot be reached or refuses us (down, wrong host, password or database name)."""


# The connection or the server failed, not the query: refused, reset, killed, shutting down, full.
_CONNECTION_FAILED = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)
CLIENT_CHECK_MS = 500  # see Database.__init__


def _raise_if_lost(exc: Exception, conn: asyncpg.Connection) -> None:
    """DatabaseUnavailable for a connection that failed or was closed under us (ending a
    transaction on it then fails with an InterfaceError, not a connection error)."""
    if isinstance(exc, _CONNECTION_FAILED) or (isinstance(exc, asyncpg.InterfaceError) and _closed(conn)):
        raise DatabaseUnavailable(f"the database connection failed: {exc}") from exc


def _closed(conn: asyncpg.Connection) -> bool:
    try:
        return bool(conn.is_closed())
    except asyncpg.InterfaceError:  # a pool's proxy, already detached: its pool saw the connection die
        return True


def _one_line_when_unreachable(record: logging.LogRecord) -> bool:
    """asyncpg's pool logs each failed attempt to reconnect with a traceback, every second while the
    server is down; one line says all of it (issue #18: a fault costs no tracebacks)."""
    if record.exc_info and isinstance(record.exc_info[1], _CONNECTION_FAILED):
        record.msg, record.args = f"{record.getMessage()}: {record.exc_info[1]!r}", ()
        record.exc_info = None
    return True


logging.getLogger("asyncpg.pool").addFilter(_one_line_when_unreachable)


class DatabaseTimeout(DatabaseUnavailable):
    """No connection came free, or a query did not answer, within the budget (web.timing.within):
    the database is overloaded, locked or hung. Pages answer 503, partials their error state."""


def _without_password(url: str) -> str:
    """The URL without user, password or options (a password may also be passed as ?password=)."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2], query="").geturl()


class Database:
    def __init__(
        self,
        url: str,
        *,
        min_size: int = 2,
        max_size: int = 10,
        timezone: str = "UTC",
        custom_plans: bool = True,
        wait_s: float = 2.0,
        batch_s: float = 10.0,
    ) -> None:
        self.url = url
        self.max_size = max_size
        self.batch_s = batch_s  # longest wait for one batch of a cursor's rows (an export's)
        self.wait_s = wait_s  # longest wait for a free connection (less when the budget has less left)
        self.in_flight = 0
        self.queries = 0  # issued since start, all requests and background work together
        self._shared_reads: dict[Hashable, asyncio.Future[Any]] = {}  # see read_once
        # The session time zone makes timestamp::date mean a date in BILLABLE_TIMEZONE. Custom plans
        # always: asyncpg prepares every statement, and after five runs PostgreSQL may keep a generic
        # plan blind to the parameters (seen: the client list by revenue for the last 12 months on
        # dataset l went from 110 ms to 950 ms on its sixth run). And no JIT compilation: PostgreSQL
        # compiles a query it estimates costly, and a misestimate costs seconds (revenue per active
        # client on dataset l: 1.7 s of JIT for 60 ms of work); a dashboard's queries are short. The
        # benchmark's baselines keep PostgreSQL's defaults, as a first version would (2,000 small
        # queries, each planned, took twice as long).
        # A query past its budget is abandoned by closing its connection (see _run); the server only
        # notices a closed client when it next writes to it, so a backend waiting on a lock would
        # hold its connection slot until the lock goes: under a 30 s lock those piled up to
        # max_connections, and then nobody could connect (issue #18). Checked every half second, the
        # backend ends its query and goes.
        settings = {"timezone": timezone, "client_connection_check_interval": str(CLIENT_CHECK_MS)} | (
            {"plan_cache_mode": "force_custom_plan", "jit": "off"} if custom_plans else {}
        )
        self._db = databases.Database(
            url, min_size=min_size, max_size=max_size, server_settings=settings, reset=_keep_session
        )

    async def read_once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """Single flight: callers asking with the same key while a read runs wait for it instead of
        running the same queries again (several cards need the same totals at the same moment).
        The caller's key says what makes two reads the same; a write this process learns of ends
        the sharing (forget_shared_reads), so a request made after it never joins a read from before."""
        task = self._shared_reads.get(key)
        if task is None:
            task = self._shared_reads[key] = asyncio.ensure_future(read())
            task.add_done_callback(lambda done: self._forget_shared_read(key, done))
        result: T = await asyncio.shield(task)
        return result

    def forget_shared_reads(self) -> None:
        """Reads running now finish for those waiting on them; new callers start their own."""
        self._shared_reads.clear()

    def _forget_shared_read(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if self._shared_reads.get(key) is done:  # not a newer read under the same key
            del self._shared_reads[key]

    async def connect(self) -> None:
        try:
            await self._db.connect()
        except (OSError, asyncpg.PostgresError) as exc:
            raise DatabaseUnavailable(f"cannot connect to {_without_password(self.url)}: {exc}") from exc

    async def disconnect(self) -> None:
        await self._db.disconnect()

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    @contextmanager
    def _query(self, sql: str) -> Iterator[None]:
        self.queries += 1
        self.in_flight += 1
        try:
            with measure_db(sql):
                yield
        finally:
            self.in_flight -= 1

    def _pool(self) -> asyncpg.Pool:
        """asyncpg's pool behind `databases`, for what `databases` cannot do safely."""
        pool: asyncpg.Pool = self._db._backend._pool
        return pool

    def pool_stats(self) -> PoolStats:
        pool = getattr(self._db._backend, "_pool", None)  # asyncpg's Pool, once connected
        size = pool.get_size() if pool is not None else 0
        idle = pool.get_idle_size() if pool is not None else 0
        return PoolStats(size=size, in_use=size - idle, max_size=self.max_size, in_flight=self.in_flight)

    def _wait_s(self) -> float:
        left = seconds_left()
        return self.wait_s if left is None else max(0.0, min(self.wait_s, left))

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[databases.core.Connection]:
        """This task's connection (the one of its transaction, if any), waiting for one from the pool
        no longer than the wait bound. Unbounded, a full pool made requests queue for 8-20 s."""
        connection = self._db.connection()
        wait = self._wait_s()
        try:
            async with asyncio.timeout(wait):
                await connection.__aenter__()  # on cancellation it leaves the connection as it was
        except TimeoutError:
            raise DatabaseTimeout(f"no database connection came free within {wait:.1f} s") from None
        except _CONNECTION_FAILED as exc:
            raise DatabaseUnavailable(f"cannot connect to the database: {exc}") from exc
        try:
            yield connection
        except Exception as exc:  # a lost connection: a page answers 503 for it, a partial its error state
            _raise_if_lost(exc, connection.raw_connection)
            raise
        finally:
            await connection.__aexit__()

    async def _run(self, method: str, sql: str, params: Mapping[str, Any]) -> Any:
        query, names = _numbered(sql)
        with self._query(sql):
            async with self._connection() as conn, conn._query_lock:
                left = seconds_left()
                if left is not None and left <= 0:
                    raise DatabaseTimeout("no time was left in the budget for a query")
                try:
                    # asyncpg cancels the query on the server when its timeout passes.
                    return await getattr(conn.raw_connection, method)(
                        query, *(params[name] for name in names), timeout=left
                    )
                except TimeoutError:
                    # Closed, not given back: the pool would wait for the query's cancellation,
                    # which a hung server never confirms, and hold the request past its budget.
                    conn.raw_connection.terminate()
                    raise DatabaseTimeout(f"a query did not answer within its budget ({left:.1f} s)") from None

    async def fetch_all(self, sql: str, **params: Any) -> list[Row]:
        return cast(list[Row], await self._run("fetch", sql, params))

    async def fetch_one(self, sql: str, **params: Any) -> Row | None:
        return cast(Row | None, await self._run("fetchrow", sql, params))

    async def fetch_val(self, sql: str, **params: Any) -> Any:
        return await self._run("fetchval", sql, params)

    async def iterate(self, sql: str, **params: Any) -> AsyncGenerator[Row, None]:
        """Rows one at a time from a server-side cursor: for exports too big to hold in memory.

        The cursor's connection and transaction are given back when the iteration ends, fails or is
        closed. Close it explicitly (`contextlib.aclosing`) when you may stop early: an abandoned
        generator holds its connection until garbage collection, which `databases`' own iterate
        never survived (issue #18: ten aborted downloads took the whole pool)."""
        query, names = _numbered(sql)
        with self._query(sql):
            pool = self._pool()
            try:
                conn = await pool.acquire(timeout=self._wait_s())
            except TimeoutError:
                raise DatabaseTimeout("no database connection came free in time") from None
            except _CONNECTION_FAILED as exc:
                raise DatabaseUnavailable(f"cannot connect to the database: {exc}") from exc
            try:
                async with conn.transaction():
                    # Each batch is bounded, not the whole: a download runs as long as its reader.
                    rows = conn.cursor(query, *(params[name] for name in names), prefetch=500, timeout=self.batch_s)
                    async for row in rows:
                        yield row
            except TimeoutError:
                conn.terminate()  # as in _run: a hung server never confirms a cancellation
                raise DatabaseTimeout(f"a batch of rows did not come within {self.batch_s:.1f} s") from None
            except Exception as exc:
                _raise_if_lost(exc, conn)
                raise
            finally:
                await pool.release(conn)

    async def execute(self, sql: str, **params: Any) -> Any:
        """Run a statement; its first value, if it returns rows (as `databases` did)."""
        return await self._run("fetchval", sql, params)

    async def execute_script(self, sql: str) -> None:
        """Run several statements (a migration file) at once, without parameters."""
        async with self._connection() as conn:
            with measure_db(sql):
                await conn.raw_connection.execute(sql)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._connection(), self._db.transaction():
            yield

    async def copy_records(self, table: str, columns: Sequence[str], records: Iterable[tuple[Any, ...]]) -> None:
        """Bulk load with COPY: about 60x faster than one INSERT per row."""
        async with self._connection() as conn:
            with measure_db(f"COPY {table}"):
                await conn.raw_connection.copy_records_to_table(table, records=records, columns=list(columns))
