"""Streamed pages: the shell at once, then every partial in the same response as soon as it is computed.

A page's shell holds each partial in its loading state, which (in the per-request mode) asks for
`/partials/<name>?...` as soon as htmx sees it. Streamed, the server computes those partials itself,
concurrently and through the same registry (cache, single flight, budget, error states), and sends
each one as it completes; a partial whose result names more partials (a client list's rows) has
those computed and sent in turn. One response, no request per partial, nothing waits for the
slowest. (Issue #17: 57 requests for 1 ms of server time each took the browser ~800 ms.)

Two wire formats carry the same parts:
- a page the browser navigates to is one HTML document: the shell, then each part as
  `<template data-fill="ID">` that static/stream.js puts in place of the element with that id as
  the parser reaches it;
- a part of a page htmx asks for (a filter change, paging, sorting, Back) is a server-sent event
  stream: the page first, then each part as `<hx-partial hx-target="#ID">`, which htmx's SSE
  extension swaps in as it arrives; a newer request aborts it (hx-sync), and so does the server.

A partial that htmx asks for itself (a stale list refreshing, a Retry, a reload after a write)
comes with the partials it names already in place (`with_parts_inline`): loaded figures are
replaced by loaded figures, never by a table of skeletons that then ask one by one.

The placeholders of a streamed page wait for the stream (hx-trigger "billable:unfilled" instead
of "load"); any that the stream did not fill (it was cut) ask for themselves afterwards, as in the
per-request mode. Each part is timed and reported like a request of its own (logs, /ops,
/metrics), and carries its Server-Timing in `data-server-timing` for the page's waterfall.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from web.auth.guard import allows, current_user
from web.partial import Partial
from web.registry import Rendered
from web.responses import PRIVATE, ClosingStreamingResponse, page_html
from web.state import AppState
from web.static_files import static_url
from web.timing import RequestTiming, measuring

UNFILLED = "billable:unfilled"  # the event on which a placeholder the stream did not fill loads itself
# A partial in its loading state, as partials/_frames render it: the element's id, then the URL it
# asks for on load (or, already rewritten for a stream, when unfilled). Only our own HTML is read.
PLACEHOLDER = re.compile(
    r'id="(?P<id>[^"]+)"[^<>]*?\saria-busy="true"\s+hx-get="/partials/(?P<name>[^"?]+)(?:\?(?P<query>[^"]*))?"'
    rf'\s+hx-trigger="(?:load|{UNFILLED})"'
)
_BUSY = 'aria-busy="true"'  # in every placeholder: HTML without it names no partial (most parts)
PARTS_MARKER = "<!--billable:parts-->"  # where in layout.html a streamed page's parts go
# Parts done this soon after the shell go out inside it, in place (see _with_first_parts): a shell
# waits at most this long, and a warm page needs no skeletons. (Measured, 200 cached rows: 24 ms.)
SHELL_WAIT_S = 0.05
# A proxy that buffers (nginx by default, unless told so) or compresses would hold the parts back.
STREAMED = {**PRIVATE, "Cache-Control": "private, no-cache, no-transform", "X-Accel-Buffering": "no"}


def waiting_for_stream(page: str) -> str:
    """The page with its placeholders waiting for the stream instead of loading themselves."""
    if _BUSY not in page:
        return page
    return PLACEHOLDER.sub(lambda m: m[0][: m[0].rindex('"', 0, -1) + 1] + f'{UNFILLED}"', page)


@dataclass(frozen=True)
class Placeholder:
    """A partial that a piece of HTML names, in its loading state."""

    dom_id: str
    name: str
    query: str
    query_bytes: bytes  # as the registry takes it (a URL's query string): encoded once, not per request
    label: str  # the partial's name, and the client a row is of: as the page waterfall lists it


@dataclass(frozen=True)
class Part:
    """A partial as the stream sends it: where it goes, its HTML and its Server-Timing."""

    of: Placeholder
    html: str
    server_timing: str

    @property
    def dom_id(self) -> str:
        return self.of.dom_id


def placeholders_in(html_text: str) -> tuple[Placeholder, ...]:
    if _BUSY not in html_text:
        return ()
    return tuple(_placeholder(*match.group("id", "name", "query")) for match in PLACEHOLDER.finditer(html_text))


@lru_cache(maxsize=4096)  # a page names the same rows request after request: read each once
def _placeholder(dom_id: str, name: str, escaped_query: str | None) -> Placeholder:
    query = html.unescape(escaped_query or "")
    client = QueryParams(query).get("client")
    label = name + (f" #{client}" if client else "")
    return Placeholder(dom_id, name, query, query.encode("latin-1", "replace"), label)


def _stream_form(html_text: str) -> tuple[str, tuple[Placeholder, ...]]:
    """HTML as the stream sends it (its placeholders waiting), and the partials it names."""
    return waiting_for_stream(html_text), placeholders_in(html_text)


# Remembered, by the strings themselves: the registry hands out the same partial HTML while its entry
# holds, and a dashboard's page is the same string request after request (web.dashboard.views);
# reading a 200-row list or page for its rows was a tenth of a warm page's server time. Two bounds:
# parts naming partials (lists) are many and small, pages few and large.
_part_for_stream = lru_cache(maxsize=64)(_stream_form)
_page_for_stream = lru_cache(maxsize=16)(_stream_form)


def for_stream(part_html: str) -> tuple[str, tuple[Placeholder, ...]]:
    return _part_for_stream(part_html) if _BUSY in part_html else (part_html, ())


async def parts(request: Request, named: tuple[Placeholder, ...]) -> AsyncGenerator[list[Part], None]:
    """The partials named (those a page would have the browser ask for), computed concurrently and
    yielded in the order they complete, then those that their results name, likewise. Those done by the time
    the previous batch is sent go together: on a warm page that is nearly all of them, and one chunk
    is one parse and one layout for the browser, not fifty."""
    state = AppState.of(request)
    user = await current_user(request)
    role = user.role if user is not None else ""
    today = state.today()
    finished: asyncio.Queue[asyncio.Task[_Streamed]] = asyncio.Queue()
    pending: set[asyncio.Task[_Streamed]] = set()
    ready: list[_Streamed] = []  # parts served at once, from this process's fresh entries

    def start(named: tuple[Placeholder, ...]) -> None:
        for placeholder in named:
            declared = state.registry.partials.get(placeholder.name)
            if declared is None or not allows(role, declared.role_for(placeholder.query_bytes)):
                continue  # its placeholder asks, and is refused, as in the other mode
            now = _part_now(state, declared, role, today, placeholder)
            if now is not None:
                ready.append(now)
                continue
            task = asyncio.create_task(_part(state, declared, role, today, placeholder))
            task.add_done_callback(finished.put_nowait)
            pending.add(task)

    start(named)
    try:
        while pending or ready:
            if not ready:
                done = [await finished.get()]
                while not finished.empty():
                    done.append(finished.get_nowait())
                pending.difference_update(done)
                ready.extend(task.result() for task in done)
            # What these parts name (a list's rows) follows in the next batch, at hand or not: a
            # part must be in place before the parts inside it are swapped in.
            found, ready[:] = list(ready), []
            for _, more in found:
                start(more)
            yield [part for part, _ in found]
    finally:
        # The client went away, or a newer request replaced this one: stop what is still running.
        # (A computation itself is shielded in the registry: it finishes and fills the cache.)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


_Streamed = tuple[Part, tuple[Placeholder, ...]]  # a part, and the partials it names in turn


def _part_now(
    state: AppState, declared: Partial[Any, Any], role: str, today: date, placeholder: Placeholder
) -> _Streamed | None:
    """The part when the registry has it at hand (see Registry.serve_now), reported as a request."""
    # Not inside measuring(): a warm 200-row page took 12.3-13.9 ms of server CPU with it, 8.5-9.4 without.
    # (A part rendered here for the first time counts its render time to the page, not to itself.)
    timing = RequestTiming(started=time.perf_counter(), partial=placeholder.name)
    rendered = state.registry.serve_now(declared, placeholder.query_bytes, today, role)
    return None if rendered is None else _sent(state, placeholder, rendered, timing)


async def _part(
    state: AppState, declared: Partial[Any, Any], role: str, today: date, placeholder: Placeholder
) -> _Streamed:
    """One partial, as GET /partials/<name> would answer it, timed and reported as such, and the
    partials it names in turn."""
    with measuring(RequestTiming(started=time.perf_counter(), partial=placeholder.name)) as timing:
        rendered = await state.registry.serve(declared, placeholder.query_bytes, today, role)
    return _sent(state, placeholder, rendered, timing)


def _sent(state: AppState, placeholder: Placeholder, rendered: Rendered, timing: RequestTiming) -> _Streamed:
    timing.cache = rendered.cache
    name, query = placeholder.name, placeholder.query
    state.reporter.report(
        timing, method="STREAM", name=name, path=f"/partials/{name}", query=query, status=rendered.status
    )
    sent, named = for_stream(rendered.html)
    return Part(placeholder, sent, timing.server_timing(timing.elapsed_ms())), named


async def with_parts_inline(request: Request, fragment: str) -> str:
    """`fragment` (a partial's HTML) with each partial it names computed, as the stream would, and
    put in place of its loading state. Each is bounded by its own budget (a slow one arrives in its
    error state), so the wait is too; meanwhile the browser keeps showing what it had."""
    async with aclosing(parts(request, for_stream(fragment)[1])) as stream:
        async for batch in stream:
            fragment = _replace_elements(fragment, {part.dom_id: part.html for part in batch})
    return fragment.replace(f'hx-trigger="{UNFILLED}"', 'hx-trigger="load"')  # none, unless refused


_ID = re.compile(r'\sid="([^"]+)"')
_TAG = re.compile(r"<([\w-]+)")


def _replace_elements(page: str, replacements: dict[str, str]) -> str:
    """`page` with each element whose id is a key of `replacements` (and all it contains) replaced
    by its value, in one pass. Our own HTML only: an element is ended by counting its tag's
    openings and closings."""
    if not replacements:
        return page
    pieces, at = [], 0
    for found in _ID.finditer(page):
        new = replacements.get(found[1])
        if new is None or found.start() < at:
            continue
        start = page.rfind("<", 0, found.start())
        end = _element_end(page, start)
        if end is not None:
            pieces += [page[at:start], new]
            at = end
    pieces.append(page[at:])
    return "".join(pieces)


def _element_end(page: str, start: int) -> int | None:
    tag = _TAG.match(page, start)
    if tag is None:
        return None
    depth = 0
    for edge in re.compile(rf"<(/?){tag[1]}[\s>]").finditer(page, start):
        depth += -1 if edge[1] else 1
        if depth == 0:
            return page.index(">", edge.start()) + 1
    return None


def page_response(request: Request, page: str, *, events: bool = False, timings: bool = False) -> Response:
    """A page with partials, in the app's mode: streamed, or the shell alone (partials by request).
    `events`: htmx's requests for the page get its parts too, as an event stream (the dashboard's
    filter changes); otherwise htmx, which wants a piece of the page (a client page's heading after
    an edit), gets the page with placeholders that load themselves. `timings`: the page shows its
    waterfall, which needs the timings of the parts put in place in the shell too."""
    # htmx's SSE extension accepts an event stream on every htmx request (Back's history restore
    # included, which says HX-History-Restore-Request, not HX-Request); a browser navigation never does.
    from_htmx = "text/event-stream" in request.headers.get("Accept", "")
    streamed = AppState.of(request).settings.partials_mode == "stream" and (events or not from_htmx)
    sent, named = _page_for_stream(page) if streamed and _BUSY in page else (page, ())
    if not named:
        return HTMLResponse(page, headers=PRIVATE)
    if from_htmx:
        return _event_stream(sent, parts(request, named))
    return _html_stream(sent, parts(request, named), timings=timings)


def render_streamed(request: Request, template: str, page: object) -> Response:
    """render_page for a page with partials: streamed in the app's mode (see page_response)."""
    return page_response(request, page_html(request, template, page))


class _Parts:
    """The stream of a page's parts, whose first batch may go out inside the shell."""

    def __init__(self, stream: AsyncGenerator[list[Part], None]) -> None:
        self.stream = stream
        self.first: asyncio.Future[list[Part]] | None = None  # awaited past SHELL_WAIT_S

    async def shell_with_first(self, shell: str) -> tuple[str, list[Part]]:
        """The shell with the parts done within SHELL_WAIT_S already in place, and those parts. On
        warm caches that is every part (the rows of a list sorted by a figure follow in a second
        batch): the page arrives whole, and the browser lays out no skeleton it would then replace
        (issue #17: at 200 rows, skeletons and their replacement cost 2.6x a static page's time)."""
        first = asyncio.ensure_future(anext(self.stream, []))
        done, _ = await asyncio.wait({first}, timeout=SHELL_WAIT_S)
        if not done:
            self.first = first
            return shell, []
        in_place = tuple(sorted((part.dom_id, part.html) for part in first.result()))
        return _with_parts_in_place(shell, in_place), first.result()

    async def later(self) -> AsyncGenerator[list[Part], None]:
        """The batches not in the shell, as they complete."""
        if self.first is not None:
            yield await self.first
        async for batch in self.stream:
            yield batch

    async def aclose(self) -> None:
        # The wait for the first batch is reading the stream, which cannot be closed meanwhile.
        if self.first is not None and not self.first.done():
            self.first.cancel()
            await asyncio.gather(self.first, return_exceptions=True)
        await self.stream.aclose()


@lru_cache(maxsize=16)
def _with_parts_in_place(shell: str, parts: tuple[tuple[str, str], ...]) -> str:
    """The shell with these parts (id, HTML) in place. Remembered: on warm caches a page and its
    parts are the same strings request after request (the registry keeps each rendered entry)."""
    return _replace_elements(shell, dict(parts))


def _html_stream(shell: str, stream: AsyncGenerator[list[Part], None], *, timings: bool) -> Response:
    head, _, tail = shell.partition(PARTS_MARKER)
    # async: it never holds the parser back, and fills whatever has been parsed when it runs.
    head = head.replace("</head>", f'<script src="{static_url("stream.js")}" async></script>\n</head>', 1)

    def templates(batch: list[Part], *, in_place: bool = False) -> str:
        # A part already in place comes as an empty template: its timing, for the page waterfall.
        # Only a page showing it gets those: 200 rows' worth cost the browser 8 ms (dataset m).
        if in_place and not timings:
            return ""
        return "".join(
            f'<template {"data-in-place" if in_place else "data-fill"}="{part.dom_id}"'
            f' data-label="{html.escape(part.of.label)}" data-server-timing="{html.escape(part.server_timing)}">'
            f"{'' if in_place else part.html}</template>\n"
            for part in batch
        )

    async def body() -> AsyncIterator[str]:
        async with aclosing(_Parts(stream)) as parts:
            page, in_place = await parts.shell_with_first(head)
            yield page + templates(in_place, in_place=True)
            async with aclosing(parts.later()) as later:
                async for batch in later:
                    yield templates(batch)
        yield tail

    return ClosingStreamingResponse(body(), media_type="text/html; charset=utf-8", headers=STREAMED)


def _event_stream(shell: str, stream: AsyncGenerator[list[Part], None]) -> Response:
    def partials(batch: list[Part]) -> str:
        return "".join(
            f'<hx-partial hx-target="#{part.dom_id}" hx-swap="outerHTML"'
            f' data-server-timing="{html.escape(part.server_timing)}">{part.html}</hx-partial>'
            for part in batch
        )

    async def body() -> AsyncIterator[str]:
        async with aclosing(_Parts(stream)) as parts:
            page, _ = await parts.shell_with_first(shell)
            yield _event(page)
            async with aclosing(parts.later()) as later:
                async for batch in later:  # one event a batch: htmx swaps its parts together
                    yield _event(partials(batch))

    return ClosingStreamingResponse(body(), media_type="text/event-stream", headers=STREAMED)


def _event(data: str) -> str:
    """One server-sent event carrying `data` (each of its lines as a data: field)."""
    return "".join(f"data: {line}\n" for line in data.split("\n")) + "\n"
