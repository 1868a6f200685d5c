"""A lean HTTP/1.1 keep-alive client for the benchmark.

General clients (httpx) spend a millisecond or more per request in Python, which would make the
measuring side, not the app, the bottleneck on a 2-core machine. This one writes a GET and reads a
Content-Length body: enough for the app's pages and partials, and ten times cheaper.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass


def login_form_token(page: str) -> str:
    """The CSRF token of the sign-in form (read by a pattern: parsing the page cost each signed-in
    test more than its sign-in)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise RuntimeError(f"no sign-in form in the page: {page[:200]!r}")
    return found[1]


def session_csrf_token(page: str) -> str | None:
    """The CSRF token a signed-in page's htmx requests carry (hx-headers on its <body>), from the
    page as served or as a browser writes it out (quotes in attributes as &quot;)."""
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', html.unescape(page))
    return found[1] if found else None


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    ttfb_ms: float  # until the status line arrived
    total_ms: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Pool:
    """`size` keep-alive connections; each request takes a free one."""

    def __init__(self, host: str, port: int, size: int, headers: Mapping[str, str]) -> None:
        self.host, self.port, self.size = host, port, size
        self.prefix = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self._free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        self._opened = 0

    async def get(self, path: str) -> Reply:
        if self._free.empty() and self._opened < self.size:
            self._opened += 1
            await self._free.put(await asyncio.open_connection(self.host, self.port))
        reader, writer = await self._free.get()
        request = f"GET {path} HTTP/1.1\r\n{self.prefix}\r\n".encode()
        try:
            reply = await _exchange(reader, writer, request)
        except (OSError, asyncio.IncompleteReadError):
            # The server closes a connection left idle too long (uvicorn: after 5 s); as a browser
            # does, ask again once on a new one. Every request here is a GET.
            writer.close()
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                reply = await _exchange(reader, writer, request)
            except (OSError, asyncio.IncompleteReadError):
                writer.close()
                self._opened -= 1
                raise
        await self._free.put((reader, writer))
        return reply

    async def close(self) -> None:
        while not self._free.empty():
            _, writer = self._free.get_nowait()
            writer.close()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> Reply:
    started = time.perf_counter()
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    ttfb = (time.perf_counter() - started) * 1000
    head = await reader.readuntil(b"\r\n\r\n")
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n"):
        if ":" in line:
            name, value = line.split(":", 1)
            name = name.strip().lower()
            headers[name] = f"{headers[name]}, {value.strip()}" if name in headers else value.strip()
    if "content-length" not in headers:
        raise OSError("the benchmark client reads Content-Length bodies only")
    body = await reader.readexactly(int(headers["content-length"]))
    return Reply(int(status_line.split()[1]), headers, body, ttfb, (time.perf_counter() - started) * 1000)
