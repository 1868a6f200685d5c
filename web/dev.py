"""Development mode (`billable serve --dev`): the browser reloads itself when a template,
partial or static file changes. Templates themselves reload on change (Jinja's auto_reload)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from web.responses import ClosingStreamingResponse
from web.templating import PAGES_DIR, PARTIALS_DIR, STATIC_DIR

WATCHED = (PAGES_DIR, PARTIALS_DIR, STATIC_DIR)
POLL_S = 0.5
KEEPALIVE_S = 15.0


def files_state() -> int:
    """Changes when any watched file is added, removed or modified (not only the newest one)."""
    return hash(frozenset((str(p), p.stat().st_mtime_ns) for root in WATCHED for p in root.rglob("*") if p.is_file()))


async def events(request: Request) -> Response:
    """Server-sent events: one `reload` message whenever a watched file changes since the request
    came (read before the answer starts: once the browser has its headers, a change is told)."""
    seen = files_state()

    async def stream() -> AsyncIterator[str]:
        nonlocal seen
        quiet = 0.0
        yield "retry: 1000\n\n"
        while not await request.is_disconnected():
            await asyncio.sleep(POLL_S)
            changed = files_state()
            if changed != seen:
                seen = changed
                yield "data: reload\n\n"
            quiet += POLL_S
            if quiet >= KEEPALIVE_S:
                quiet = 0.0
                yield ": keep-alive\n\n"

    return ClosingStreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
