"""Every route and partial declares its role; anonymous and wrong-role requests are refused."""

from __future__ import annotations

from dataclasses import replace

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from tests.support import PASSWORD, DataBuilder, OpenApp, server_timing, sign_in
from web.app import ROUTES, create_app
from web.auth.guard import ROLE_RANK
from web.catalog import PARTIALS
from web.dashboard.cards import CARDS
from web.settings import Settings

ROUTE_CASES = [
    (route, method) for route in ROUTES if isinstance(route, Route) for method in sorted(route.methods or ())
]


def path_of(route: Route) -> str:
    path = route.path.replace("{name:path}", PARTIALS[0].name)
    for name in ("entry_id", "client_id", "service_id", "user_id"):
        path = path.replace(f"{{{name}:int}}", "1")
    return path


@pytest.mark.parametrize(("route", "method"), ROUTE_CASES, ids=[f"{m} {r.path}" for r, m in ROUTE_CASES])
def test_every_route_declares_a_role(route: Route, method: str) -> None:
    assert hasattr(route.endpoint, "required_role"), f"{route.path} must be wrapped in guarded(..., role)"
    assert route.endpoint.required_role in (None, *ROLE_RANK)


def test_only_static_files_are_mounted() -> None:
    assert [r.path for r in ROUTES if isinstance(r, Mount)] == ["/static"]


PROTECTED = [(r, m) for r, m in ROUTE_CASES if r.endpoint.required_role]


@pytest.mark.parametrize(("route", "method"), PROTECTED, ids=[f"{m} {r.path}" for r, m in PROTECTED])
def test_anonymous_requests_are_refused(anonymous: TestClient, route: Route, method: str) -> None:
    response = anonymous.request(method, path_of(route), follow_redirects=False)
    if method == "POST":
        assert response.status_code == 403  # no session, so no CSRF token: refused before anything else
    elif route.path.startswith("/partials/"):
        assert response.status_code == 401
        assert response.headers["HX-Redirect"].startswith("/login?next=")
    else:
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path_of(route).replace('/', '%2F')}"


@pytest.mark.parametrize("partial", PARTIALS, ids=lambda p: p.name)
def test_every_partial_refuses_anonymous_requests(anonymous: TestClient, partial) -> None:  # type: ignore[no-untyped-def]
    response = anonymous.get(
        f"/partials/{partial.name}?period=this_month&client=1", headers={"HX-Current-URL": "http://testserver/?q=a"}
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=%2F%3Fq%3Da"
    assert "<html" not in response.text


def test_a_current_url_that_is_no_address_is_ignored(anonymous: TestClient) -> None:
    # HX-Current-URL is a header anyone can send: "http://[x" made urlsplit raise, a 500.
    response = anonymous.get("/partials/dashboard/mrr?period=this_month", headers={"HX-Current-URL": "http://[x/?q="})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=%2Fpartials%2Fdashboard%2Fmrr%3Fperiod%3Dthis_month"


def test_partial_roles_are_declared() -> None:
    assert {p.role for p in PARTIALS} <= set(ROLE_RANK)


@pytest.fixture
def admin_only_mrr(settings: Settings, data: DataBuilder, today):  # type: ignore[no-untyped-def]
    """The app with the MRR card declared admin-only, and a staff account."""
    data.user("Sam Staff", email="sam@test.example", password=PASSWORD)
    mrr = next(card for card in CARDS if card.name == "dashboard/mrr")
    return lambda: TestClient(create_app(settings, today=lambda: today, extra_partials=[replace(mrr, role="admin")]))


def test_wrong_role_is_refused_even_when_cached(admin_only_mrr, admin: str) -> None:  # type: ignore[no-untyped-def]
    with admin_only_mrr() as app_client:
        sign_in(app_client, admin)
        first = app_client.get("/partials/dashboard/mrr?period=this_month")
        assert server_timing(first.headers["server-timing"])["cache"]["desc"] == "miss"
        assert server_timing(app_client.get(first.url).headers["server-timing"])["cache"]["desc"] == "hit"
        app_client.cookies.clear()
        sign_in(app_client, "sam@test.example")
        refused = app_client.get("/partials/dashboard/mrr?period=this_month")
        assert refused.status_code == 403
        assert "Your account may not see this." in refused.text
        assert "figure" not in refused.text
        # Other partials stay open to staff.
        assert app_client.get("/partials/dashboard/clients?period=this_month").status_code == 200


def test_a_disabled_account_loses_access(open_app: OpenApp, data: DataBuilder) -> None:
    with open_app() as app_client:
        assert app_client.get("/").status_code == 200
        data.val("UPDATE users SET disabled = true WHERE email = 'ada@test.example'")
        app_client.app.state.billable.session_checks.clear()  # as if USER_RECHECK_S had passed
        response = app_client.get("/", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_refusals_escape_their_message(client: TestClient) -> None:
    response = client.get("/export/clients.csv?period=<b>x</b>", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "<b>" not in response.text and "&lt;b&gt;" in response.text
