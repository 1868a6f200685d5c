"""An office to log time in: two staff members and two clients with an hourly service each, and
helpers to log time over HTTP and read back what was saved."""

from __future__ import annotations

from datetime import date

import httpx2
import pytest
from starlette.testclient import TestClient

from tests.support import PASSWORD, DataBuilder, sign_in


@pytest.fixture
def office(data: DataBuilder) -> dict[str, int]:
    ids = {
        "sam": data.user("Sam Staff", email="sam@test.example", password=PASSWORD, rate_cents=6_000),
        "kim": data.user("Kim Colleague", email="kim@test.example", password=PASSWORD, rate_cents=7_000),
        "acme": data.client("Acme", rate_cents=9_000),
        "bolt": data.client("Bolt"),
    }
    ids["acme_hourly"] = data.hourly(ids["acme"], 15_000, start=date(2026, 1, 1))
    ids["bolt_hourly"] = data.hourly(ids["bolt"], 11_000, start=date(2026, 1, 1))
    return ids


@pytest.fixture
def sam(anonymous: TestClient, office: dict[str, int]) -> TestClient:
    sign_in(anonymous, "sam@test.example")
    return anonymous


def log(client: TestClient, headers: dict[str, str] | None = None, **fields: str) -> httpx2.Response:
    form = {"work_date": "2026-11-12", "client_id": "", "duration": "1:30", "billable": "on", "description": ""}
    return client.post("/timesheet/entries", data={**form, **fields}, headers=headers)


def entries(data: DataBuilder) -> list[dict]:  # type: ignore[type-arg]
    return data.rows(
        "SELECT user_id, client_id, service_id, minutes, billable, rate_cents, description, version "
        "FROM timesheet_entries ORDER BY id"
    )
