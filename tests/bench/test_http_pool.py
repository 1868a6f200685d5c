"""The benchmark's HTTP client: keep-alive connections, a new one when the server closed one; the
page's CSRF token."""

from __future__ import annotations

import asyncio

from bench.http import Pool, session_csrf_token


async def _serve_once_per_connection() -> tuple[asyncio.Server, int, list[int]]:
    """A server that answers one request per connection, then closes it (as uvicorn does with a
    connection left idle past its keep-alive timeout)."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        body = f"answer {len(connections)}".encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], connections


def test_a_closed_keep_alive_connection_is_replaced() -> None:
    async def scenario() -> list[str]:
        server, port, connections = await _serve_once_per_connection()
        async with server:
            pool = Pool("127.0.0.1", port, 1, {})
            first = await pool.get("/")
            await asyncio.sleep(0.05)  # the server has closed the connection by now
            second = await pool.get("/")
            await pool.close()
            assert len(connections) == 2
            return [first.text, second.text]

    assert asyncio.run(scenario()) == ["answer 1", "answer 2"]


def test_the_csrf_token_is_read_as_served_and_as_a_browser_writes_the_page_out() -> None:
    served = """<body hx-headers:inherited='{"X-CSRF-Token": "abc.123"}'>"""
    written_out = """<body hx-headers:inherited="{&quot;X-CSRF-Token&quot;: &quot;abc.123&quot;}">"""
    assert session_csrf_token(served) == session_csrf_token(written_out) == "abc.123"
    assert session_csrf_token("<body>") is None
