"""Test fixtures: a real PostgreSQL (TEST_DATABASE_URL, or an embedded one), real caches, real apps.

Each test starts from empty tables; the schema is migrated once per session into a database of
its own. Test data goes in through `data` (see tests/support.py), on its own connection.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import settings as hypothesis_settings
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.support import PASSWORD, TODAY, DataBuilder, free_port, sign_in, wait_until
from web import streaming
from web.app import create_app
from web.db import Database
from web.db.migrate import migrate
from web.db.server import drop_database, recreate_database, start_embedded
from web.registry import Registry
from web.settings import Settings
from web.state import AppState

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"

# In CI the fuzz tests replay the same examples (a landing must not depend on luck); on a laptop
# they explore new ones every run.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    hypothesis_settings.load_profile("ci")


def require(condition: bool, reason: str) -> None:
    """Skip on a laptop without the service or browser; in CI a missing one is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or start_embedded(ROOT / ".billable" / "test")


@pytest.fixture(scope="session")
def database_url(server_url: str, portal: BlockingPortal) -> Iterator[str]:
    """A database of this session's own, migrated, dropped at the end."""
    name = f"billable_test_{os.getpid()}"

    async def prepare() -> str:
        url = await recreate_database(server_url, name)
        async with Database(url, min_size=1, max_size=2) as db:
            await migrate(db)
        return url

    yield portal.call(prepare)
    portal.call(drop_database, server_url, name)


@pytest.fixture(scope="session")
def portal() -> Iterator[BlockingPortal]:
    """An event loop in a thread of its own, for test code that talks to the database.

    (Not asyncio.run: Playwright's sync API keeps an event loop running in the main thread.)"""
    with start_blocking_portal() as portal:
        yield portal


@pytest.fixture(scope="session")
def test_db(database_url: str, portal: BlockingPortal) -> Iterator[Database]:
    db = Database(database_url, min_size=1, max_size=4)
    portal.call(db.connect)
    yield db
    portal.call(db.disconnect)


@pytest.fixture
def data(test_db: Database, portal: BlockingPortal) -> DataBuilder:
    portal.call(
        test_db.execute, "TRUNCATE timesheet_entries, services, clients, users, login_attempts RESTART IDENTITY CASCADE"
    )
    return DataBuilder(test_db, portal)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No warming: tests see the first request for a partial compute it (test_warming turns it on).
    return Settings(database_url=database_url, pool_min=1, pool_max=10, secret_key="test-secret", warm_on_start=False)


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def anonymous(settings: Settings, data: DataBuilder, today: date) -> Iterator[TestClient]:
    """The app on a fresh memory cache, seeing `today` as its date; nobody signed in."""
    with TestClient(create_app(settings, today=lambda: today)) as test_client:
        yield test_client


@pytest.fixture
def admin(data: DataBuilder) -> str:
    """An admin account (its email) who can sign in with tests.support.PASSWORD."""
    data.user("Ada Admin", role="admin", email="ada@test.example", password=PASSWORD)
    return "ada@test.example"


@pytest.fixture
def open_app(settings: Settings, today: date, admin: str) -> Callable[..., AbstractContextManager[TestClient]]:
    """open_app(**setting_changes): the app with those settings and the admin signed in."""

    @contextmanager
    def open_signed_in(**changes: Any) -> Iterator[TestClient]:
        with TestClient(create_app(settings.replace(**changes), today=lambda: today)) as test_client:
            sign_in(test_client, admin)
            yield test_client

    return open_signed_in


@pytest.fixture
def client(open_app: Callable[..., AbstractContextManager[TestClient]]) -> Iterator[TestClient]:
    """The app on a fresh memory cache, with the admin signed in."""
    with open_app() as test_client:
        yield test_client


@dataclass
class LiveServer:
    url: str
    app: Starlette

    @property
    def state(self) -> AppState:
        return AppState.of_app(self.app)


@pytest.fixture
def live_server(settings: Settings, data: DataBuilder, today: date) -> Iterator[LiveServer]:
    """The app under uvicorn on a port of its own, in a thread: real sockets, real disconnects."""
    port = free_port()
    app = create_app(settings, today=lambda: today)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, "the live server started")
    yield LiveServer(f"http://127.0.0.1:{port}", app)
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def live_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture
def parts_after_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every part of a streamed page sent after its shell, none put in place in it: the cold path,
    made certain (the app and a live server run in this process): nothing is waited for, and no
    part is at hand at once."""
    monkeypatch.setattr(streaming, "SHELL_WAIT_S", 0)
    monkeypatch.setattr(Registry, "serve_now", lambda *_: None)


@pytest.fixture
def locked_services(database_url: str) -> Iterator[threading.Event]:
    """Hold an exclusive lock on services from another connection until the event is set."""
    release, locked = threading.Event(), threading.Event()

    def hold() -> None:
        async def run() -> None:
            conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
            try:
                async with conn.transaction():
                    await conn.execute("LOCK TABLE services IN ACCESS EXCLUSIVE MODE")
                    locked.set()
                    while not release.is_set():
                        await asyncio.sleep(0.01)
            finally:
                await conn.close()

        asyncio.run(run())

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(10)
    yield release
    release.set()
    thread.join(10)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """TEST_REDIS_URL's database, or under `pytest -n` the one below it per worker: the app's cache
    keys are the same in every process, and one worker's clear() would empty another's."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ...
    if worker:
        parts = urlsplit(url)
        number = (int(parts.path.strip("/") or 0) - int(worker.removeprefix("gw"))) % 16
        url = urlunsplit(parts._replace(path=f"/{number}"))
    import redis

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1) as connection:
            connection.ping()
    except redis.RedisError:
        require(False, f"no Redis at {url}")
    return url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI nothing may be skipped: a skip there means a missing service or browser."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped:
        print(f"\nCI: {skipped} test(s) skipped; CI must run everything.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
