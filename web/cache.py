"""The partial cache: aiocache in memory (per process) or on Redis (shared by processes)."""

from __future__ import annotations

from aiocache import Cache
from aiocache.base import BaseCache
from aiocache.serializers import PickleSerializer

# Entries are pickled contexts: raised whenever a cached context changes shape (a field added), so
# that a deploy sharing Redis with the version before it does not read the old shape.
NAMESPACE = "billable:2"


def make_cache(url: str) -> BaseCache:
    """A cache for BILLABLE_CACHE_URL: memory:// or redis://host:port/db."""
    cache: BaseCache = Cache.from_url(url)
    cache.namespace = NAMESPACE
    if url.startswith("memory://"):
        # No I/O, nothing to time out: aiocache's default 5 s timeout wraps every call in
        # asyncio.wait_for, a task of its own, which sends a cached partial to the back of the
        # event loop's queue once more.
        cache.timeout = None
    else:
        # Values are our own dataclasses; Redis here is ours alone, so pickle is safe and exact
        # (aiocache's default JSON serializer would turn them into dicts).
        cache.serializer = PickleSerializer()
    return cache
