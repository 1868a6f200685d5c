"""No two clients share a name: pickers tell clients apart by name only."""

from __future__ import annotations

import asyncio

import pytest
from anyio.from_thread import BlockingPortal
from starlette.testclient import TestClient

from tests.support import DataBuilder, a_lock_is_waited_on, soup
from web.db import Database
from web.db.versions import Versions
from web.queries import clients
from web.queries.changes import recording
from web.queries.clients import ClientInput, InvalidClient


def test_creating_a_client_with_a_name_taken_is_refused_with_what_was_typed(
    client: TestClient, data: DataBuilder
) -> None:
    taken = data.client("Acme Clinics Group")
    typed = {"name": "  acme CLINICS group ", "status": "lead", "hourly_rate": "125.50"}
    refused = client.post("/clients", data=typed)
    assert refused.status_code == 422
    page = soup(refused.text)
    assert (
        page.select_one("#client-error-name").text == f"There is already a client named Acme Clinics Group (#{taken})."
    )
    assert page.select_one("#client-name")["aria-describedby"] == "client-error-name"
    assert (page.select_one("#client-name")["value"], page.select_one("#client-rate")["value"]) == (
        "  acme CLINICS group ",
        "125.50",
    )
    assert page.select_one("#client-status option[selected]")["value"] == "lead"
    assert data.val("SELECT count(*) FROM clients") == 1


def test_renaming_a_client_to_a_name_taken_is_refused(client: TestClient, data: DataBuilder) -> None:
    taken = data.client("Acme Clinics Group")
    nova = data.client("Nova")
    form = {"name": "ACME Clinics Group", "status": "paused", "manager_id": "", "hourly_rate": "", "version": "1"}
    refused = client.post(f"/clients/{nova}", data=form)
    assert refused.status_code == 422
    page = soup(refused.text)
    assert (
        page.select_one("#client-error-name").text == f"There is already a client named Acme Clinics Group (#{taken})."
    )
    assert page.select_one("#client-name")["value"] == "ACME Clinics Group"
    assert data.rows("SELECT name, status, version FROM clients WHERE id = :id", id=nova) == [
        {"name": "Nova", "status": "active", "version": 1}
    ]
    assert client.post(f"/clients/{nova}", data={**form, "name": "Nova Labs"}).status_code == 200


def test_a_client_can_take_its_own_name_in_other_capitals(client: TestClient, data: DataBuilder) -> None:
    nova = data.client("Nova Labs")
    form = {"name": "NOVA  labs", "status": "active", "manager_id": "", "hourly_rate": "", "version": "1"}
    assert client.post(f"/clients/{nova}", data=form).status_code == 200
    assert data.val("SELECT name FROM clients WHERE id = :id", id=nova) == "NOVA labs"  # spaces as it reads


@pytest.mark.parametrize("typed", ["Acme  Clinics Group", "Acme\u00a0Clinics Group", "acme clinics\tgroup"])
def test_names_that_differ_only_in_spaces_are_the_same_name(client: TestClient, data: DataBuilder, typed: str) -> None:
    taken = data.client("Acme Clinics Group")
    refused = client.post("/clients", data={"name": typed, "status": "lead", "hourly_rate": ""})
    assert refused.status_code == 422
    assert f"(#{taken})" in soup(refused.text).select_one("#client-error-name").text
    assert data.val("SELECT count(*) FROM clients") == 1


def test_clients_that_already_share_a_name_can_still_be_edited(client: TestClient, data: DataBuilder) -> None:
    data.client("Acme")
    twin = data.client("Acme")  # from before names were checked
    form = {"name": "Acme", "status": "paused", "manager_id": "", "hourly_rate": "", "version": "1"}
    assert client.post(f"/clients/{twin}", data=form).status_code == 200
    # Changing only the case of its own name is a rename onto the other client's name.
    assert client.post(f"/clients/{twin}", data={**form, "name": "ACME", "version": "2"}).status_code == 422


def test_two_admins_creating_the_same_name_at_once_make_one_client(
    data: DataBuilder, test_db: Database, database_url: str, portal: BlockingPortal
) -> None:
    """On a real pool: the second check waits for the first write's commit, then sees its client."""
    admin = data.user("Ada Admin", role="admin")
    versions = Versions(database_url)

    async def create(name: str, created: asyncio.Event, commit: asyncio.Event | None = None) -> int:
        async with recording(test_db, versions, admin) as changes:
            client_id = await clients.create_client(test_db, changes, ClientInput(name, "lead", None, None))
            created.set()
            if commit:
                await commit.wait()  # still uncommitted while the other admin saves
        return client_id

    async def both() -> tuple[bool, list[int | BaseException]]:
        created, commit = asyncio.Event(), asyncio.Event()
        first = asyncio.create_task(create("Acme", created, commit))
        try:
            # Bounded: a first create that fails before it has written must not hang the test.
            written = asyncio.ensure_future(created.wait())
            await asyncio.wait([first, written], timeout=10, return_when=asyncio.FIRST_COMPLETED)
            written.cancel()
            second = asyncio.create_task(create("acme ", asyncio.Event()))
            waited = created.is_set() and await a_lock_is_waited_on(test_db)
        finally:
            commit.set()  # the first transaction ends whatever happened
        return waited, await asyncio.gather(first, second, return_exceptions=True)

    waited, (first, second) = portal.call(both)
    assert waited, "the second check did not wait for the first write"
    assert isinstance(first, int)
    assert isinstance(second, InvalidClient) and str(second) == f"There is already a client named Acme (#{first})."
    assert data.val("SELECT count(*) FROM clients") == 1


@pytest.mark.parametrize("name", ["Acme", " acme", "ACME  "])
def test_the_name_check_ignores_case_and_surrounding_spaces(client: TestClient, data: DataBuilder, name: str) -> None:
    data.client(name)
    assert client.post("/clients", data={"name": "Acme", "status": "lead"}).status_code == 422


def test_characters_that_show_nothing_do_not_make_a_name(client: TestClient, data: DataBuilder) -> None:
    taken = data.client("Acme Bakery")
    # A zero-width space after it looks the same: the same name.
    lookalike = client.post("/clients", data={"name": "Acme Bakery\u200b", "status": "lead"})
    assert lookalike.status_code == 422
    assert f"There is already a client named Acme Bakery (#{taken})" in lookalike.text
    # A name of nothing visible is no name.
    for invisible in ("\u200b", "\u200b \ufeff\u200d", "\u200d \u200d"):
        refused = client.post("/clients", data={"name": invisible, "status": "lead"})
        assert refused.status_code == 422
        assert "no visible characters" in soup(refused.text).select_one("#client-error-name").text
    # Zero-width characters inside a word go; the joiners some scripts need stay inside it.
    made = client.post("/clients", data={"name": "Nova\u200b Labs", "status": "lead"}, follow_redirects=False)
    assert made.status_code == 303
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a zero-width non-joiner inside
    kept = client.post("/clients", data={"name": persian, "status": "lead"}, follow_redirects=False)
    assert kept.status_code == 303
    assert data.val("SELECT count(*) FROM clients WHERE name = 'Nova Labs'") == 1
    joined = client.post("/clients", data={"name": "\u200d Zed", "status": "lead"}, follow_redirects=False)
    assert joined.status_code == 303 and data.val("SELECT count(*) FROM clients WHERE name = 'Zed'") == 1
    assert data.val("SELECT count(*) FROM clients WHERE name LIKE '%' || chr(8204) || '%'") == 1
