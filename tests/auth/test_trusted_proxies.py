"""BILLABLE_TRUSTED_PROXIES (issue #19), on a real server: X-Forwarded-Proto and -For count only from
a trusted proxy, given as an address or a network; the client's address is what sign-in limits and
the sessions list see."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx2
import pytest

from tests.support import PASSWORD, DataBuilder, free_port, login_form_token, serve, wait_for

CLIENT = "203.0.113.7"  # the person's address, as the proxy passes it on


@pytest.mark.parametrize(("trusted", "believed"), [("127.0.0.0/8", True), ("10.9.9.9", False)])
def test_only_a_trusted_proxy_sets_the_scheme_and_the_address(
    trusted: str, believed: bool, tmp_path: Path, database_url: str, data: DataBuilder, admin: str
) -> None:
    port = free_port()
    env = {"DATABASE_URL": database_url, "BILLABLE_DATA_DIR": str(tmp_path), "BILLABLE_TRUSTED_PROXIES": trusted}
    server = serve(["--port", str(port)], env, output=subprocess.DEVNULL)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": CLIENT}
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server)
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", headers=forwarded) as browser:
            login = browser.get("/login")
            token = login_form_token(login.text)
            # A Secure cookie is not sent back over plain HTTP: carry it by hand, as the proxy would.
            cookie = login.headers["set-cookie"].split(";")[0]
            signed = browser.post(
                "/login",
                data={"email": admin, "password": PASSWORD, "csrf_token": token},
                headers={"Cookie": cookie},
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    assert ("; secure" in login.headers["set-cookie"].lower()) is believed
    assert signed.status_code == 303
    recorded = data.val("SELECT address FROM sessions ORDER BY created_at DESC LIMIT 1")
    assert recorded == (CLIENT if believed else "127.0.0.1")
    failures_from = data.val("SELECT address FROM login_attempts ORDER BY id DESC LIMIT 1")
    assert failures_from == recorded  # the per-address limit counts the person, not the proxy
