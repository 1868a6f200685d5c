"""Hostile and random input at every route: never a 500, never a traceback, refused requests change nothing."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.support import DataBuilder
from web.app import ROUTES
from web.catalog import PARTIALS

KNOWN_KEYS = [
    "period",
    "from",
    "to",
    "status",
    "manager",
    "q",
    "sort",
    "dir",
    "page",
    "per_page",
    "client",
    "next",
    "email",
    "password",
    "csrf_token",
    # the edit forms' hidden fields
    "version",
    "loaded",
]
HOSTILE = [
    "",
    "0",
    "-1",
    "1e9",
    "9" * 40,
    "NaN",
    "all",
    "custom",
    "2024-02-30",
    "2024-13-01",
    "0000-01-01",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%00",
    "\x00",
    "../../etc/passwd",
    "ü" * 300,
    "🙂",
    "//evil.example",
    "this_month",
    "revenue",
    "desc",
    "25",
    "1",
    '{"name": "Acme"}',
    "[" * 3000,
]

texts = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60))
params = st.lists(st.tuples(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=10)), texts), max_size=8)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
headers = st.dictionaries(
    st.sampled_from(["HX-Request", "HX-Current-URL", "HX-Request-Type", "X-CSRF-Token", "Content-Type", "Accept"]),
    st.one_of(st.sampled_from(["true", "full", "partial", "application/x-www-form-urlencoded"]), header_text),
    max_size=4,
)
PATHS = [r.path for r in ROUTES if isinstance(r, Route) and "{" not in r.path]
PATHS += [f"/partials/{p.name}" for p in PARTIALS] + ["/partials/nope", "/partials/../../etc"]
PATHS += [
    f"/timesheet/entries/{i}{tail}" for i in ("1", "0", "99999999999999999999999") for tail in ("", "/edit", "/delete")
]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def fingerprint(data: DataBuilder) -> tuple[object, ...]:
    """Every table a request could change (login_attempts aside: a failed sign-in is recorded on purpose)."""
    row = data.rows(
        "SELECT (SELECT count(*) FROM users) AS u,"
        " (SELECT string_agg(md5(u::text), '' ORDER BY id) FROM users u) AS uh,"
        " (SELECT count(*) FROM clients) AS c, (SELECT count(*) FROM services) AS s,"
        " (SELECT count(*) FROM timesheet_entries) AS e"
    )[0]
    return tuple(row.values())


def check(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, response.text[:500]
    assert "Traceback" not in response.text
    assert 'File "' not in response.text


@pytest.fixture
def some_data(data: DataBuilder) -> DataBuilder:
    data.client("Acme")
    return data


@FUZZ
@given(path=st.sampled_from(PATHS), query=params, extra_headers=headers)
def test_get_anything(client: TestClient, some_data: DataBuilder, path: str, query, extra_headers) -> None:  # type: ignore[no-untyped-def]
    before = fingerprint(some_data)
    check(client.get(path, params=query, headers=extra_headers, follow_redirects=False))
    assert fingerprint(some_data) == before


@FUZZ
@given(path=st.sampled_from(PATHS), form=params, extra_headers=headers, with_token=st.booleans())
def test_post_anything(  # type: ignore[no-untyped-def]
    anonymous: TestClient, some_data: DataBuilder, path: str, form, extra_headers, with_token: bool
) -> None:
    before = fingerprint(some_data)
    anonymous.get("/login")
    if not with_token:
        extra_headers = {k: v for k, v in extra_headers.items() if k != "X-CSRF-Token"}
    response = anonymous.post(path, data=dict(form), headers=extra_headers, follow_redirects=False)
    check(response)
    if response.status_code >= 400:
        assert fingerprint(some_data) == before


@FUZZ
@given(path=st.sampled_from([p for p in PATHS if p != "/logout"]), form=params, extra_headers=headers)
def test_post_anything_signed_in(  # type: ignore[no-untyped-def]
    client: TestClient, some_data: DataBuilder, path: str, form, extra_headers
) -> None:
    """With a valid session and token: bad forms are refused with a message and save nothing."""
    before = fingerprint(some_data)
    extra_headers = {k: v for k, v in extra_headers.items() if k not in ("X-CSRF-Token", "Content-Type")}
    response = client.post(path, data=dict(form), headers=extra_headers, follow_redirects=False)
    check(response)
    if response.status_code >= 400:
        assert fingerprint(some_data) == before


@FUZZ
@given(
    raw=st.binary(max_size=300),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "multipart/form-data", "text/plain"]
    ),
)
def test_post_malformed_bodies(client: TestClient, some_data: DataBuilder, raw: bytes, content_type: str) -> None:
    for path in ("/login", "/timesheet/entries", "/timesheet/entries/1", "/logout"):
        response = client.post(path, content=raw, headers={"Content-Type": content_type}, follow_redirects=False)
        check(response)


DEEP_JSON = ["[" * 2000, '{"a":' * 2000, "[" * 100_000 + "]" * 100_000, '{"name": "' + "x" * 300_000 + '"}']


@pytest.mark.parametrize("loaded", DEEP_JSON, ids=["deep-list", "deep-object", "huge-balanced", "huge-value"])
def test_hidden_loaded_field_is_bounded(client: TestClient, data: DataBuilder, loaded: str) -> None:
    """The edit forms' hidden `loaded` field (JSON) is read with bounds: deep or huge is simply ignored."""
    sam = data.user("Sam")
    acme = data.client("Acme")
    service = data.recurring(acme, 10_000, start=date(2026, 1, 1))
    entry = data.entry(acme, sam, date(2026, 11, 3), 60, 10_000)
    before = fingerprint(data)
    stale = {"version": "0", "loaded": loaded, "name": "Renamed", "duration": "1:00", "client": str(acme)}
    for path in (f"/clients/{acme}", f"/clients/{acme}/services/{service}", f"/timesheet/entries/{entry}"):
        response = client.post(path, data=stale, follow_redirects=False)
        check(response)
        assert response.status_code in (400, 409, 422), (path, response.status_code)
    assert fingerprint(data) == before
