"""The partial cache: aiocache in memory (per process) or on Redis (shared by processes), behind a
circuit breaker, so that a cache outage costs speed and never answers."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiocache import Cache, RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import PickleSerializer
from cachetools import TLRUCache
from redis.asyncio import BlockingConnectionPool

log = logging.getLogger("billable.cache")
T = TypeVar("T")

# Entries are pickled contexts: raised whenever a cached context changes shape (a field added), so
# that a deploy sharing Redis with the version before it does not read the old shape.
NAMESPACE = "billable:5"
PROBE_EVERY_S = 0.5  # while the cache is skipped, how often it is tried again (in the background)
REDIS_CONNECTIONS = 50  # per process; past them a call waits for one (within the cache's timeout)


def make_cache(url: str, timeout_s: float, memory_entries: int) -> GuardedCache:
    """A cache for BILLABLE_CACHE_URL: memory:// (at most `memory_entries` entries) or
    redis://host:port/db. `timeout_s` bounds each call to Redis, connecting included; memory does no
    I/O."""
    backend: BaseCache = BoundedMemoryCache(memory_entries) if url.startswith("memory://") else _redis(url, timeout_s)
    backend.namespace = NAMESPACE
    # Our own bound below, not aiocache's: its default 5 s wraps every call in asyncio.wait_for, a
    # task of its own, which sends even a cached partial in memory to the back of the loop's queue.
    backend.timeout = None
    if url.startswith("memory://"):
        return GuardedCache(backend, None)
    # Values are our own dataclasses; Redis here is ours alone, so pickle is safe and exact
    # (aiocache's default JSON serializer would turn them into dicts).
    backend.serializer = PickleSerializer()
    return GuardedCache(backend, timeout_s)


def _redis(url: str, timeout_s: float) -> BaseCache:
    """aiocache's Redis cache on a pool that waits for a free connection. redis-py's default pool
    raises MaxConnectionsError at its 101st call in flight: under `billable load`'s 100 users that
    tripped the breaker every few seconds, and the cache flapped while Redis was fine. Built here,
    not with Cache.from_url, which knows no rediss:// (TLS)."""
    parts = urlsplit(url)
    return Cache(
        RedisCache,
        endpoint=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        db=int(parts.path.strip("/") or 0),
        password=parts.password,
        ssl=parts.scheme == "rediss",
        pool_max_size=REDIS_CONNECTIONS,
        connection_pool_class=BlockingConnectionPool,
        connection_pool_kwargs={"timeout": timeout_s},
    )


class BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]  # aiocache has no type hints
    """aiocache's memory cache, holding at most `max_entries` (least recently used out first) and
    expiring entries as they are read or written. aiocache's own keeps every entry for its TTL, each
    with a timer on the loop that holds the context of the request that set it: 120 s of `billable
    load` grew each worker by about 30 MiB that way (issue #18). Used for get, set and clear only."""

    def __init__(self, max_entries: int) -> None:
        super().__init__()
        # Items are (expires_at, value); cachetools' timer is time.monotonic.
        self._cache: TLRUCache[str, tuple[float, Any]] = TLRUCache(max_entries, ttu=lambda _key, item, _now: item[0])

    async def _get(self, key: str, encoding: str = "utf-8", _conn: Any = None) -> Any:
        item = self._cache.get(key)
        return None if item is None else item[1]

    async def _multi_get(self, keys: list[str], encoding: str = "utf-8", _conn: Any = None) -> list[Any]:
        return [await self._get(key) for key in keys]

    async def _set(
        self, key: str, value: Any, ttl: float | None = None, _cas_token: Any = None, _conn: Any = None
    ) -> bool:
        self._cache[key] = (time.monotonic() + ttl if ttl else math.inf, value)
        return True

    async def _clear(self, namespace: str | None = None, _conn: Any = None) -> bool:
        self._cache.clear()
        return True


class GuardedCache:
    """A call that fails or takes longer than `timeout_s` trips the breaker: from then on the cache
    is skipped (a read misses, a write is dropped) without waiting, and a probe in the background
    tries it every PROBE_EVERY_S until it answers. Issue #18: a stopped Redis made every partial
    wait 10 s and answer 504 while PostgreSQL was fine."""

    def __init__(self, backend: BaseCache, timeout_s: float | None) -> None:
        self.backend = backend
        self.timeout_s = timeout_s
        self.down_since: float | None = None  # time.monotonic() of the failure, while skipped
        self._probe: asyncio.Task[None] | None = None

    async def get(self, key: str) -> Any:
        return await self._call(lambda: self.backend.get(key), f"get {key}")

    async def multi_set(self, pairs: list[tuple[str, Any]], ttl: float) -> None:
        await self._call(lambda: self.backend.multi_set(pairs, ttl=ttl), f"set {pairs[0][0]}…")

    async def clear(self) -> None:
        await self._call(self.backend.clear, "clear")

    async def round_trip_ms(self) -> float | None:
        """A write and a read, timed (for /readyz and /ops); None when the cache does not answer.
        Asked even while the cache is skipped: it says how the cache is, not what requests do."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                await self.backend.set("health", "ok", ttl=10)
                answered = await self.backend.get("health")
        except Exception as exc:
            self._trip("health check", exc)
            return None
        return (time.perf_counter() - started) * 1000 if answered == "ok" else None

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        await self.backend.close()

    async def _call(self, call: Callable[[], Awaitable[T]], what: str) -> T | None:
        if self.down_since is not None:
            return None
        try:
            async with asyncio.timeout(self.timeout_s):
                return await call()
        except Exception as exc:
            self._trip(what, exc)
            return None

    def _trip(self, what: str, exc: BaseException) -> None:
        if self.down_since is not None:
            return
        self.down_since = time.monotonic()
        log.warning("cache unreachable (%s: %r): serving without it until it answers", what, exc)
        self._probe = asyncio.ensure_future(self._probe_until_up())

    async def _probe_until_up(self) -> None:
        while True:
            await asyncio.sleep(PROBE_EVERY_S)
            try:
                async with asyncio.timeout(self.timeout_s):
                    await self.backend.get("health")
            except Exception:
                continue
            assert self.down_since is not None
            log.warning("cache answering again after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None
            return
