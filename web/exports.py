"""CSV exports, streamed row by row from a server-side cursor (10,000 clients are no problem)."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import AsyncGenerator, Iterable, Sequence
from contextlib import aclosing
from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from web.auth.guard import person_for, signed_in
from web.dashboard.filters import parse_filters
from web.forms import FormReader
from web.partial import BadInput
from web.queries.exports import client_rows, entry_rows
from web.responses import ClosingStreamingResponse, Refused
from web.state import AppState


async def clients_csv(request: Request) -> Response:
    """The client list with its figures, for the dashboard's current filters."""
    state = AppState.of(request)
    try:
        filters = parse_filters(request.query_params, state.today())
    except BadInput as exc:
        raise Refused(400, str(exc)) from None
    header = [
        "client_id",
        "name",
        "status",
        "account_manager",
        "revenue",
        "recurring",
        "one_off",
        "hourly",
        "mrr",
        "billable_hours",
        "hours",
        "revenue_per_hour",
    ]
    costs = signed_in(request).role == "admin"  # cost rates are admins' (migration 0018)
    if filters.costs and not costs:
        raise Refused(403, "Costs and margins are for admins.")
    if costs:
        header += ["cost", "gross_margin", "hours_without_cost_rate"]
    rows = client_rows(
        state.db,
        filters.scope,
        filters.period,
        state.today(),
        sort=filters.sort,
        descending=filters.descending,
        costs=costs,
    )
    name = f"clients-{filters.period.start.isoformat()}-{filters.period.end.isoformat()}.csv"
    return _csv_response(name, header, rows)


async def entries_csv(request: Request) -> Response:
    """Time entries for a period: your own, or (admins) everyone's."""
    viewer = signed_in(request)
    reader = FormReader(request.query_params)
    span = reader.date_range("from", "to", what="An export")
    person_id = reader.id("user", "Person", required=False)
    if reader.errors or span is None:
        raise Refused(400, " ".join(reader.errors.values()))
    first, last = span
    if person_id is not None:
        await person_for(request, viewer, person_id, "You can only export your own time.")
    # Staff export their own time; admins everyone's, or one person's with ?user=.
    user_id = person_id or (None if viewer.role == "admin" else viewer.id)
    header = ["date", "person", "client", "service", "minutes", "hours", "billable", "rate", "amount", "description"]
    rows = entry_rows(AppState.of(request).db, first, last, user_id)
    return _csv_response(f"time-entries-{first.isoformat()}-{last.isoformat()}.csv", header, rows)


def _csv_response(filename: str, header: Sequence[str], rows: AsyncGenerator[Iterable[object], None]) -> Response:
    async def lines() -> AsyncGenerator[str, None]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        count = 0
        async with aclosing(rows):  # closing this stream closes the cursor under it
            async for row in rows:
                writer.writerow(_safe(value) for value in row)
                count += 1
                if count % 500 == 0:  # send in chunks of 500 rows
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return ClosingStreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


FORMULA_STARTS = ("=", "+", "-", "@")


def _safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (CSV injection):
    one starting with = + - @, a tab or a return, also after leading spaces, and in the full-width
    forms (＝ ＋ － ＠) that spreadsheets in East Asian locales read the same way (NFKC folds them)."""
    if isinstance(value, str) and (
        value[:1] in ("\t", "\r") or unicodedata.normalize("NFKC", value.lstrip()[:1])[:1] in FORMULA_STARTS
    ):
        return "'" + value
    if isinstance(value, date):
        return value.isoformat()
    return value
