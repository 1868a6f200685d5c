"""What an entry may be: a date from 2000 to a year after today, and no more than 24 hours in one
person's day (checked under a lock, so concurrent writes cannot both pass)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from anyio.from_thread import BlockingPortal
from starlette.testclient import TestClient

from tests.support import DataBuilder, a_lock_is_waited_on, soup
from tests.timesheets.conftest import entries, log
from web.db import Database
from web.db.versions import Versions
from web.queries.changes import recording
from web.queries.entries import DayOverfull, EntryInput, create_entry

# Section: dates (today is Sun 15 Nov 2026)


@pytest.mark.parametrize("day", ["2199-12-31", "2027-11-16", "1999-12-31", "1850-06-01", "9999-12-31"])
def test_a_date_far_from_today_is_refused_next_to_its_field(
    sam: TestClient, office: dict[str, int], data: DataBuilder, day: str
) -> None:
    response = log(sam, client_id=str(office["acme"]), work_date=day, description="kept as typed")
    assert response.status_code == 422
    page = soup(response.text)
    assert page.select_one("#entry-error-work_date").text == "Date must be between 1 Jan 2000 and 15 Nov 2027."
    assert page.select_one("#entry-date")["aria-invalid"] == "true"
    assert page.select_one("#entry-date")["value"] == day
    assert page.select_one("#entry-description").text == "kept as typed"
    assert entries(data) == []


@pytest.mark.parametrize(
    ("day", "said"),
    [
        ("2027-11-15", "Logged 1:30 h on Mon 15 Nov 2027."),  # a year from today: the last day allowed
        ("2000-01-01", "Logged 1:30 h on Sat 1 Jan 2000."),
        ("2026-01-05", "Logged 1:30 h on Mon 5 Jan."),  # this year: no year
    ],
)
def test_the_confirmation_names_the_year_when_it_is_not_this_one(
    sam: TestClient, office: dict[str, int], day: str, said: str
) -> None:
    response = log(sam, client_id=str(office["acme"]), work_date=day)
    assert response.status_code == 200
    assert soup(response.text).select_one(".notice--ok").text.startswith(said)  # then a link to its week


def test_an_edit_cannot_move_an_entry_far_away(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    log(sam, client_id=str(office["acme"]))
    entry_id = data.val("SELECT id FROM timesheet_entries")
    fields = {"work_date": "2199-12-31", "client_id": str(office["acme"]), "duration": "1:30", "version": "1"}
    response = sam.post(f"/timesheet/entries/{entry_id}", data=fields)
    assert response.status_code == 422
    assert "between 1 Jan 2000" in soup(response.text).select_one("#entry-error-work_date").text
    assert data.val("SELECT work_date FROM timesheet_entries") == date(2026, 11, 12)


# Section: 24 hours a day


def test_a_day_holds_at_most_24_hours(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    assert log(sam, client_id=str(office["acme"]), duration="24:00", work_date="2026-11-25").status_code == 200
    response = log(sam, client_id=str(office["bolt"]), duration="1:30", work_date="2026-11-25", description="typed")
    assert response.status_code == 422
    page = soup(response.text)
    said = "That would make 25:30 h on Wed 25 Nov 2026; a day has 24 hours."
    assert page.select_one("#entry-error-duration").text == said
    assert page.select_one("#entry-duration")["value"] == "1:30"
    assert page.select_one("#entry-description").text == "typed"
    assert [e["minutes"] for e in entries(data)] == [24 * 60]
    # Other days, and other people's time on that day, do not count.
    assert log(sam, client_id=str(office["acme"]), duration="1:00", work_date="2026-11-26").status_code == 200
    data.entry(office["acme"], office["kim"], date(2026, 11, 24), 23 * 60, 7_000)
    assert log(sam, client_id=str(office["acme"]), duration="2:00", work_date="2026-11-24").status_code == 200


def test_an_edit_replaces_the_entrys_old_minutes_in_the_days_total(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    log(sam, client_id=str(office["acme"]), duration="10:00")
    log(sam, client_id=str(office["bolt"]), duration="14:00")  # the day is full: 24 h
    ten = data.val("SELECT id FROM timesheet_entries WHERE minutes = 600")
    fields = {"work_date": "2026-11-12", "client_id": str(office["acme"]), "billable": "on"}
    same = sam.post(
        f"/timesheet/entries/{ten}", data={**fields, "duration": "10:00", "description": "same", "version": "1"}
    )
    assert same.status_code == 200  # 14 + 10, not 14 + 10 + 10
    longer = sam.post(f"/timesheet/entries/{ten}", data={**fields, "duration": "10:30", "version": "2"})
    assert longer.status_code == 422
    assert "That would make 24:30 h on Thu 12 Nov 2026" in soup(longer.text).select_one("#entry-error-duration").text
    # Moved to another day, it counts there and no longer here.
    data.entry(office["acme"], office["sam"], date(2026, 11, 13), 20 * 60, 6_000)
    moved = sam.post(
        f"/timesheet/entries/{ten}", data={**fields, "work_date": "2026-11-13", "duration": "5:00", "version": "2"}
    )
    assert "That would make 25:00 h on Fri 13 Nov 2026" in soup(moved.text).select_one("#entry-error-duration").text
    assert [(e["minutes"], e["description"], e["version"]) for e in entries(data)][:2] == [
        (600, "same", 2),
        (840, "", 1),
    ]


def test_two_writes_to_one_day_at_once_cannot_both_pass(
    test_db: Database, portal: BlockingPortal, office: dict[str, int]
) -> None:
    """The second write waits for the first one's transaction, then counts its minutes. Without the
    lock it would count the day before the first commits (12 h), and both would be saved (25 h)."""
    day = date(2026, 11, 25)

    async def write(client: str, minutes: int) -> None:
        async with recording(test_db, Versions(test_db.url), office["sam"]) as changes:
            entry = EntryInput(office["sam"], office[client], None, day, minutes, True, "")
            await create_entry(test_db, changes, entry)

    async def race() -> tuple[bool, BaseException | None]:
        async with recording(test_db, Versions(test_db.url), office["sam"]) as changes:
            await create_entry(test_db, changes, EntryInput(office["sam"], office["acme"], None, day, 720, True, ""))
            second = asyncio.create_task(write("bolt", 13 * 60))  # a task: a connection of its own
            # In a task of its own, as the second write: on a connection outside this transaction.
            waited = await asyncio.create_task(a_lock_is_waited_on(test_db)) and not second.done()
        [outcome] = await asyncio.gather(second, return_exceptions=True)
        return waited, outcome

    # Asserted here, not in the portal: a failed pytest.raises there would stop its event loop.
    waited, outcome = portal.call(race)
    assert waited, "the second write did not wait for the first"
    assert isinstance(outcome, DayOverfull)
    assert str(outcome) == "That would make 25:00 h on Wed 25 Nov 2026; a day has 24 hours."
    assert portal.call(test_db.fetch_val, "SELECT array_agg(minutes) FROM timesheet_entries") == [720]
