"""The client page's History reads as a person would say it: labels, euros, names, dashes for nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.testclient import TestClient

from tests.support import DataBuilder, soup
from web.clients.history import history_lines
from web.queries.history import AuditRow, ClientHistory


def history(client: TestClient, client_id: int) -> list[str]:
    """The History lines, newest first, without their time."""
    page = soup(client.get(f"/clients/{client_id}").text)
    return [" ".join(li.text.split()).split(" · ", 1)[1] for li in page.select("#client-history li")]


def test_client_and_service_changes_read_with_labels_money_names_and_dates(
    client: TestClient, data: DataBuilder
) -> None:
    mia, leo = data.user("Mia Manager"), data.user("Leo Lead")
    acme = data.client("Acme", manager_id=mia, rate_cents=17_000)
    form = {"name": "Acme", "status": "active", "manager_id": str(leo), "hourly_rate": "15", "version": "1"}
    assert client.post(f"/clients/{acme}", data=form).status_code == 200
    hosting = {"name": "Hosting", "kind": "recurring", "price": "300", "start_date": "2026-11-01"}
    assert client.post(f"/clients/{acme}/services", data={**hosting, "end_date": "2026-11-30"}).status_code == 200
    service = data.val("SELECT id FROM services")
    assert client.post(f"/clients/{acme}/services/{service}", data={**hosting, "version": "1"}).status_code == 200
    ended = client.post(f"/clients/{acme}/services/{service}/end", data={"version": "2", "end_date": "2026-11-15"})
    assert ended.status_code == 200
    assert history(client, acme) == [
        "Ada Admin ended service Hosting: End date — → 2026-11-15",
        "Ada Admin changed service Hosting: End date 2026-11-30 → —",
        "Ada Admin created service Hosting: Kind Recurring; Monthly price €300.00; Start date 2026-11-01; "
        "End date 2026-11-30",
        "Ada Admin changed client: Account manager Mia Manager → Leo Lead;"
        " Hourly rate €170.00 → €15.00 from 15 Nov 2026",
    ]


def at(minute: int) -> datetime:
    return datetime(2026, 11, 15, 9, minute, tzinfo=UTC)


def test_ids_without_a_name_kinds_and_time_entries() -> None:
    rows = [
        AuditRow(at(3), None, "client", 7, "update", {"account_manager_id": 99}, {"account_manager_id": None}),
        AuditRow(
            at(2),
            "Ada Admin",
            "service",
            5,
            "update",
            {"kind": "recurring", "monthly_price_cents": 200_000, "hourly_rate_cents": None},
            {"kind": "hourly", "monthly_price_cents": None, "hourly_rate_cents": 15_050},
        ),
        AuditRow(
            at(1),
            "Sam Staff",
            "entry",
            40,
            "update",
            {"user_id": 3, "work_date": "2026-11-12", "minutes": 90, "billable": True, "service_id": None},
            {"user_id": 3, "work_date": "2026-11-12", "minutes": 105, "billable": False, "service_id": 5},
        ),
        AuditRow(at(0), "Sam Staff", "entry", 41, "delete", {"user_id": 3, "work_date": "2026-11-13"}, {}),
    ]
    names = {"account_manager_id": {}, "user_id": {3: "Sam Staff"}, "service_id": {5: "Consulting"}}
    lines = history_lines(ClientHistory(rows, names))
    assert [(line.who, line.what, line.changes) for line in lines] == [
        ("system", "changed client", ["Account manager manager #99 → —"]),
        (
            "Ada Admin",
            "changed service #5",
            ["Kind Recurring → Hourly", "Monthly price €2,000.00 → —", "Hourly rate — → €150.50"],
        ),
        (
            "Sam Staff",
            "changed time entry of Sam Staff on 2026-11-12",
            ["Service — → Consulting", "Time 1:30 h → 1:45 h", "Billable yes → no"],
        ),
        ("Sam Staff", "deleted time entry of Sam Staff on 2026-11-13", []),
    ]
