"""Fault tests: each starts and stops its own PostgreSQL or Redis, never the machine's shared ones."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from tests.conftest import require
from tests.support import free_port


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
