"""Client queries whose SQL is more than a plain read."""

from __future__ import annotations

from anyio.from_thread import BlockingPortal

from tests.support import DataBuilder
from web.db import Database
from web.queries.clients import Manager, account_managers


def test_account_managers_are_the_staff_managing_a_client(
    data: DataBuilder, test_db: Database, portal: BlockingPortal
) -> None:
    assert portal.call(account_managers, test_db) == []
    zoe, ada, _, bob = (data.user(name) for name in ("zoe Zimmer", "Ada Adler", "Ida Idle", "Bob Baker"))
    for n, manager in enumerate((zoe, ada, ada, bob, bob, bob)):
        data.client(f"Client {n}", manager_id=manager)
    data.client("Unmanaged")
    # Each once, by name whatever its case; Ida manages no client.
    assert portal.call(account_managers, test_db) == [
        Manager(ada, "Ada Adler"),
        Manager(bob, "Bob Baker"),
        Manager(zoe, "zoe Zimmer"),
    ]
