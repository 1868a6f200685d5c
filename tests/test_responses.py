"""Streamed responses (web/responses.py): the headers leave with the first chunk, so a body that
fails before it still gets an error page, and one that fails after it is cut, not finished."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest
from anyio.from_thread import BlockingPortal
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import Message

from web import views
from web.db import DatabaseUnavailable
from web.responses import ClosingStreamingResponse, StreamCut


def test_the_headers_wait_for_the_first_chunk(portal: BlockingPortal) -> None:
    events: list[str] = []

    async def body() -> AsyncIterator[str]:
        events.append("first chunk computed")
        yield "shell"
        yield "parts"

    async def send(message: Message) -> None:
        events.append(message["type"])

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    scope = {"type": "http", "asgi": {"spec_version": "2.4"}, "method": "GET", "path": "/", "headers": []}
    portal.call(ClosingStreamingResponse(body()), scope, receive, send)
    assert events == [
        "first chunk computed",
        "http.response.start",
        "http.response.body",
        "http.response.body",
        "http.response.body",
    ]


def _app(body: AsyncIterator[str]) -> Starlette:
    async def endpoint(request: Request) -> ClosingStreamingResponse:
        return ClosingStreamingResponse(body)

    handlers = {DatabaseUnavailable: views.database_unavailable}
    return Starlette(routes=[Route("/", endpoint)], exception_handlers=handlers)


def test_a_body_failing_before_its_first_chunk_gets_the_error_page() -> None:
    closed = []

    async def body() -> AsyncIterator[str]:
        try:
            raise DatabaseUnavailable("the database is not answering")
            yield ""  # pragma: no cover - makes this a generator
        finally:
            closed.append(True)

    response = TestClient(_app(body())).get("/")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert "did not answer in time" in response.text
    assert closed == [True]


def test_a_body_failing_after_its_first_chunk_is_cut() -> None:
    async def body() -> AsyncIterator[str]:
        yield "the first rows\n"
        raise DatabaseUnavailable("lost mid-way")

    with pytest.raises(StreamCut):
        TestClient(_app(body())).get("/")
