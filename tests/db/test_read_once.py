"""Database.read_once: one read for every caller asking with the same key while it runs."""

from __future__ import annotations

import asyncio

from anyio.from_thread import BlockingPortal

from web.db import Database


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
