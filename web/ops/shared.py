"""Sharing /ops figures between processes through Redis (when BILLABLE_CACHE_URL is redis://).

Every few seconds each process writes its snapshot under its own key with a short expiry; the /ops
page merges every live process's snapshot. Without Redis, /ops shows this process alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from typing import Any

import redis.asyncio as redis

from web.ops.metrics import OpsMetrics, from_snapshots

log = logging.getLogger("billable.ops")
PREFIX = "billable:ops:process:"
PUBLISH_EVERY_S = 5.0
EXPIRES_S = 30


class SharedOps:
    def __init__(self, metrics: OpsMetrics, redis_url: str | None) -> None:
        self.metrics = metrics
        self.client = redis.Redis.from_url(redis_url) if redis_url else None
        self.key = f"{PREFIX}{socket.gethostname()}:{os.getpid()}:{id(self)}"

    @property
    def shared(self) -> bool:
        return self.client is not None

    async def publish(self) -> None:
        if self.client is not None:
            await self.client.set(self.key, json.dumps(self.metrics.snapshot()), ex=EXPIRES_S)

    async def publish_forever(self) -> None:
        while True:
            try:
                await self.publish()
            except redis.RedisError:
                log.warning("could not publish ops figures to Redis", exc_info=True)
            await asyncio.sleep(PUBLISH_EVERY_S)

    async def combined(self) -> tuple[OpsMetrics, int]:
        """Every live process's figures merged, and how many processes that is."""
        if self.client is None:
            return self.metrics, 1
        try:
            await self.publish()
            keys = [key async for key in self.client.scan_iter(match=PREFIX + "*", count=100)]
            raw = await self.client.mget(keys) if keys else []
        except redis.RedisError:
            log.warning("could not read ops figures from Redis; showing this process", exc_info=True)
            return self.metrics, 1
        snapshots: list[dict[str, Any]] = [json.loads(value) for value in raw if value]
        return from_snapshots(snapshots), len(snapshots)

    async def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(redis.RedisError):
                await self.client.delete(self.key)
            await self.client.aclose()
