"""PostgreSQL killed in the middle of a CSV download, on a real server: the download fails as a
download (the connection closes before the end, so no short file passes for a whole one), the log
says so in one line without a traceback, and the app answers again once the database is back."""

from __future__ import annotations

import signal
import time

import httpx2
import pytest
from anyio.from_thread import BlockingPortal

from tests.faults.conftest import ADMIN, OwnPostgres
from tests.support import PASSWORD, DataBuilder, free_port, login_form_token, serve, wait_for
from web.db import Database

ENTRIES = 30_000  # about 9 MB of CSV, far more than sockets buffer: the body is mid-way when the server dies
EXPORT = "/export/entries.csv?from=2020-01-01&to=2026-12-31"


def test_a_database_lost_mid_download_cuts_it_without_a_traceback(
    own_postgres: OwnPostgres, portal: BlockingPortal
) -> None:
    db = Database(own_postgres.url, min_size=1, max_size=1)
    portal.call(db.connect)
    data = DataBuilder(db, portal)
    acme, sam = data.client("Acme", rate_cents=10_000), data.user("Sam Staff")
    data.entries_in_bulk(
        "INSERT INTO timesheet_entries (user_id, client_id, work_date, minutes, billable, rate_cents, description)"
        " SELECT :u, :c, DATE '2020-01-01' + n % 2000, 15, true, 10000, repeat('a long note ', 25) || n"
        " FROM generate_series(1, :n) AS n",
        u=sam,
        c=acme,
        n=ENTRIES,
    )
    portal.call(db.disconnect)
    port = free_port()
    env = {"DATABASE_URL": own_postgres.url, "BILLABLE_SECRET_KEY": "test-secret", "BILLABLE_REQUEST_BUDGET_MS": "2000"}
    server = serve(["--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz", server)
        with httpx2.Client(base_url=base, timeout=10) as browser:
            token = login_form_token(browser.get("/login").text)
            browser.post("/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token})
            received = 0
            with pytest.raises(httpx2.RemoteProtocolError), browser.stream("GET", EXPORT) as download:
                assert download.status_code == 200
                for chunk in download.iter_bytes():
                    if received == 0:
                        own_postgres.kill()  # the first bytes are here: the database dies mid-download
                    received += len(chunk)
            assert 0 < received < ENTRIES * 300  # cut short, and said so (no clean end of the body)
            assert browser.get("/timesheet").status_code == 503  # said at once while it is down
            own_postgres.restart()
            assert _eventually_ok(browser, "/timesheet"), "the app did not answer again once the database was back"
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "cut mid-body" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]


def _eventually_ok(browser: httpx2.Client, path: str, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while browser.get(path).status_code != 200:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
