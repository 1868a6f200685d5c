"""Database.read_once: one read for every caller asking with the same key while it runs."""

from __future__ import annotations

import asyncio

from anyio.from_thread import BlockingPortal

from web.db import Database
from web.db.versions import Versions


def test_callers_with_one_key_share_a_read_and_other_keys_do_not(test_db: Database, portal: BlockingPortal) -> None:
    reads: list[str] = []

    async def read(name: str) -> str:
        reads.append(name)
        await asyncio.sleep(0.05)  # still running when the others ask
        return name

    async def ask() -> list[str]:
        return await asyncio.gather(
            test_db.read_once(("a",), lambda: read("a")),
            test_db.read_once(("a",), lambda: read("a again")),
            test_db.read_once(("b",), lambda: read("b")),
        )

    assert portal.call(ask) == ["a", "a", "b"]
    assert reads == ["a", "b"]
    # Done: the next caller reads again (nothing is kept past the read itself).
    assert portal.call(lambda: test_db.read_once(("a",), lambda: read("a later"))) == "a later"


def test_a_write_learned_of_ends_the_sharing_of_reads_started_before_it(
    test_db: Database, portal: BlockingPortal
) -> None:
    versions = Versions(test_db.url, on_move=test_db.forget_shared_reads)
    reads: list[str] = []

    async def read(name: str) -> str:
        reads.append(name)
        await asyncio.sleep(0.05)
        return name

    async def ask() -> list[str]:
        before = asyncio.ensure_future(test_db.read_once(("totals",), lambda: read("before the write")))
        await asyncio.sleep(0.01)  # the read has started
        versions.apply({"client:1": 7})  # a write, as NOTIFY or this process's own commit tells it
        after = test_db.read_once(("totals",), lambda: read("after the write"))
        same_again = test_db.read_once(("totals",), lambda: read("not read"))
        return list(await asyncio.gather(before, after, same_again))

    assert portal.call(ask) == ["before the write", "after the write", "after the write"]
    assert reads == ["before the write", "after the write"]
    assert versions.generation == 1
