"""What every pooled connection is set up with."""

from __future__ import annotations

import os

import pytest
from anyio.from_thread import BlockingPortal
from sqlalchemy.engine import make_url

from web.db import Database, DatabaseUnavailable


def test_every_query_is_planned_for_its_parameters(test_db: Database, portal: BlockingPortal) -> None:
    # A generic plan, which PostgreSQL may keep for a prepared statement after five runs, made the
    # client list sorted by revenue nine times slower on dataset l (see web/db/__init__.py).
    assert portal.call(lambda: test_db.fetch_val("SHOW plan_cache_mode")) == "force_custom_plan"


def test_the_server_notices_a_client_that_went_away(test_db: Database, portal: BlockingPortal) -> None:
    # A query abandoned past its budget is ended by closing its connection: the backend must notice
    # and go, not wait on a lock holding a connection slot (tests/faults/test_table_lock.py).
    assert portal.call(lambda: test_db.fetch_val("SHOW client_connection_check_interval")) == "500ms"


def test_a_server_with_no_connection_left_is_unavailable_not_an_error(
    database_url: str, test_db: Database, portal: BlockingPortal
) -> None:
    role = f"billable_full_{os.getpid()}"
    url = make_url(database_url).set(username=role, password=None).render_as_string(hide_password=False)

    async def connect_as_a_role_with_no_connections() -> None:
        await test_db.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0")
        try:
            with pytest.raises(DatabaseUnavailable, match="too many connections"):
                await Database(url, min_size=1, max_size=1).connect()  # at start
            async with Database(url, min_size=0, max_size=1) as db:  # or when the pool grows
                with pytest.raises(DatabaseUnavailable, match="too many connections"):
                    await db.fetch_val("SELECT 1")
        finally:
            await test_db.execute(f"DROP ROLE {role}")

    portal.call(connect_as_a_role_with_no_connections)
