"""Database.read_once: one read for every caller asking with the same key while it runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import suppress

from anyio.from_thread import BlockingPortal

from web.db import Database
from web.db.versions import Versions


class Reads:
    """Reads that run until released: the callers asking meanwhile find them running."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self._released = asyncio.Event()

    async def read(self, name: str) -> str:
        self.started.append(name)
        await self._released.wait()
        return name

    async def until_started(self, count: int) -> None:
        """Once `count` reads have started; after 5 s, whatever has started (a read shared where it
        must not be never starts: the assertions then say so, instead of a test that never ends)."""
        with suppress(TimeoutError):
            async with asyncio.timeout(5):
                while len(self.started) < count:
                    await asyncio.sleep(0)

    async def release_once(self, count: int, asking: Awaitable[list[str]]) -> list[str]:
        """Release the reads once `count` of them have started, and give what `asking` gives."""
        answers = asyncio.ensure_future(asking)
        await self.until_started(count)
        self._released.set()
        return await answers


def test_callers_with_one_key_share_a_read_and_other_keys_do_not(test_db: Database, portal: BlockingPortal) -> None:
    async def ask() -> tuple[list[str], list[str]]:
        reads = Reads()
        asking = asyncio.gather(
            test_db.read_once(("a",), lambda: reads.read("a")),
            test_db.read_once(("a",), lambda: reads.read("a again")),
            test_db.read_once(("b",), lambda: reads.read("b")),
        )
        return await reads.release_once(2, asking), reads.started

    assert portal.call(ask) == (["a", "a", "b"], ["a", "b"])

    # Done: the next caller reads again (nothing is kept past the read itself).
    assert portal.call(lambda: test_db.read_once(("a",), lambda: asyncio.sleep(0, "a later"))) == "a later"


def test_a_write_learned_of_ends_the_sharing_of_reads_started_before_it(
    test_db: Database, portal: BlockingPortal
) -> None:
    versions = Versions(test_db.url, on_move=test_db.forget_shared_reads)

    async def ask() -> tuple[list[str], list[str]]:
        reads = Reads()
        before = asyncio.ensure_future(test_db.read_once(("totals",), lambda: reads.read("before the write")))
        await reads.until_started(1)
        versions.apply({"client:1": 7})  # a write, as NOTIFY or this process's own commit tells it
        after = test_db.read_once(("totals",), lambda: reads.read("after the write"))
        same_again = test_db.read_once(("totals",), lambda: reads.read("not read"))
        return await reads.release_once(2, asyncio.gather(before, after, same_again)), reads.started

    assert portal.call(ask) == (
        ["before the write", "after the write", "after the write"],
        ["before the write", "after the write"],
    )
    assert versions.generation == 1
