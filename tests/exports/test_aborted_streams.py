"""A client that goes away mid-stream gives back everything its request held (issue #18, item 1).

Each streamed route is aborted 20 times over real sockets, at once and after the first bytes, with
a FIN and with a reset; then the pool must be back at zero in use, PostgreSQL must hold no session
idle in a transaction, and the app must answer as usual."""

from __future__ import annotations

import socket
import struct
import time
from urllib.parse import urlsplit

import httpx2
import pytest

from tests.conftest import LiveServer
from tests.support import DataBuilder, sign_in

STREAMED_ROUTES = [
    "/export/clients.csv?period=custom&from=2016-12-05&to=2026-11-15&sort=revenue",
    "/export/entries.csv?from=2017-01-01&to=2026-11-15",
    # the streamed dashboard: its shell, then 6 cards and 200 rows, each computed for this request
    "/?period=last_12_months&per_page=200&sort=hours",
]
ABORTS = 20


def _many_rows(data: DataBuilder) -> None:
    """Enough rows that each export takes many chunks: an abort lands mid-stream."""
    sam = data.user("Sam")
    data.val("INSERT INTO clients (name, status) SELECT 'Client ' || n, 'active' FROM generate_series(1, 3000) n")
    data.entries_in_bulk(
        "INSERT INTO timesheet_entries (user_id, client_id, work_date, minutes, billable, rate_cents)"
        " SELECT :sam, 1 + n % 3000, DATE '2026-01-01' + n % 300, 60, true, 10000 FROM generate_series(1, 30000) n",
        sam=sam,
    )


def _abort(url: str, path: str, cookie: str, *, read_first: bool, reset: bool) -> None:
    """Send the request and close the socket: at once, or once the first bytes have come back."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n".encode())
        if read_first:
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        if reset:  # an RST, as when a browser tab is killed, instead of an orderly FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _until(condition, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.parametrize("path", STREAMED_ROUTES)
def test_aborted_downloads_give_back_their_connections(
    live_server: LiveServer, data: DataBuilder, admin: str, path: str
) -> None:
    _many_rows(data)
    with httpx2.Client(base_url=live_server.url) as browser:
        sign_in(browser, admin)  # type: ignore[arg-type]
        cookie = f"billable_session={browser.cookies['billable_session']}"
        for attempt in range(ABORTS):
            _abort(live_server.url, path, cookie, read_first=attempt % 2 == 1, reset=attempt % 4 >= 2)

        db = live_server.state.db
        assert _until(lambda: db.pool_stats().in_use == 0), f"connections still held: {db.pool_stats()}"
        idle_in_transaction = data.val(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in%'"
        )
        assert idle_in_transaction == 0
        # ... and the app answers as usual: the whole export, then a page that needs the database.
        whole = browser.get(path)
        assert whole.status_code == 200 and whole.text.count("\n") > 200
        assert browser.get("/timesheet").status_code == 200
        assert browser.get("/readyz").status_code == 200
