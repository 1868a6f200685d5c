"""What every pooled connection is set up with."""

from __future__ import annotations

from anyio.from_thread import BlockingPortal

from web.db import Database


def test_every_query_is_planned_for_its_parameters(test_db: Database, portal: BlockingPortal) -> None:
    # A generic plan, which PostgreSQL may keep for a prepared statement after five runs, made the
    # client list sorted by revenue nine times slower on dataset l (see web/db/__init__.py).
    assert portal.call(lambda: test_db.fetch_val("SHOW plan_cache_mode")) == "force_custom_plan"
