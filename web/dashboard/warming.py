"""Cache warming: the dashboard everyone opens first (default filters), computed when the app starts.

The first visitor after a deploy then finds every card and the first page of rows in the cache. It
runs in the background: the app serves requests meanwhile (a request for a partial being warmed
joins the computation, see Registry), and a failure only costs the first visitor some speed.
"""

from __future__ import annotations

import logging
import time
from datetime import date

from starlette.datastructures import QueryParams

from web.dashboard.cards import CARDS
from web.dashboard.client_list import LIST, ROW, parse_row
from web.dashboard.filters import parse_filters
from web.partial import C, P, Partial
from web.registry import Registry

log = logging.getLogger("billable.warming")


async def warm_dashboard(registry: Registry, today: date) -> None:
    started = time.perf_counter()
    filters = parse_filters(QueryParams(""), today)
    warmed = [await _warm(registry, card, filters, today) is not None for card in CARDS]
    # The list as staff see it, and as admins do, with each client's cost and margin.
    for list_filters in (filters, filters.with_changes(costs=True)):
        client_list = await _warm(registry, LIST, list_filters, today)
        warmed.append(client_list is not None)
        for row in client_list.rows if client_list is not None else []:  # the list has started loading them
            warmed.append(await _warm(registry, ROW, parse_row(QueryParams(row.query), today), today) is not None)
    log.info(
        "dashboard warmed in %.0f ms: %d partials, %d failed",
        (time.perf_counter() - started) * 1000,
        len(warmed),
        warmed.count(False),
    )


async def _warm(registry: Registry, partial: Partial[P, C], params: P, today: date) -> C | None:
    try:
        return await registry.load_context(partial, params, today)
    except Exception:
        log.warning("warming %s failed; its first visitor computes it instead", partial.name, exc_info=True)
        return None
