from __future__ import annotations

from anyio.from_thread import BlockingPortal

from web.db import Database
from web.db.migrate import available, migrate, pending
from web.db.server import recreate_database


def test_migrations_apply_in_order_once(server_url: str, portal: BlockingPortal) -> None:
    async def run() -> tuple[list[str], list[str], int, int]:
        url = await recreate_database(server_url, "billable_test_migrate")
        async with Database(url, min_size=1, max_size=2) as db:
            first = await migrate(db)
            second = await migrate(db)
            recorded = await db.fetch_val("SELECT count(*) FROM schema_migrations")
            left = len(await pending(db))
        return first, second, recorded, left

    first, second, recorded, left = portal.call(run)
    assert first == [m.version for m in available()]
    assert first == sorted(first)
    assert second == []
    assert recorded == len(first)
    assert left == 0
