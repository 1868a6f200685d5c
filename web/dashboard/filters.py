"""The dashboard's query parameters, validated: every value a user can type gets a clear message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from web.forms import FormReader, quoted
from web.partial import BadInput
from web.periods import Period, read_period
from web.queries.scope import CLIENT_STATUSES, ClientScope

SORTS = ("name", "revenue", "mrr", "hours", "rate", "margin")  # margin: with costs, for admins
PAGE_SIZES = (25, 50, 100, 200)
MAX_PAGE = 100_000
MAX_SEARCH = 100


@dataclass(frozen=True)
class DashboardFilters:
    period: Period
    status: str | None = None
    manager_id: int | None = None
    search: str | None = None
    sort: str = "name"
    descending: bool = False
    page: int = 1
    per_page: int = 50
    # The list shows each client's cost and gross margin: admins only (Partial.admin_params; the
    # dashboard sets it from the viewer's role, never from the address).
    costs: bool = False

    @property
    def scope(self) -> ClientScope:
        return ClientScope(status=self.status, manager_id=self.manager_id, search=self.search)

    def query(self) -> dict[str, str]:
        """The URL parameters that reproduce these filters (defaults left out)."""
        params = {"period": self.period.name}
        if self.period.name == "custom":
            params.update({"from": self.period.start.isoformat(), "to": self.period.end.isoformat()})
        optional = {"status": self.status, "manager": self.manager_id, "q": self.search}
        params.update({k: str(v) for k, v in optional.items() if v is not None})
        if self.sort != "name" or self.descending:
            params["sort"] = self.sort
            params["dir"] = "desc" if self.descending else "asc"
        if self.page != 1:
            params["page"] = str(self.page)
        if self.per_page != 50:
            params["per_page"] = str(self.per_page)
        if self.costs:
            params["costs"] = "1"
        return params

    def with_changes(self, **changes: object) -> DashboardFilters:
        return replace(self, **changes)  # type: ignore[arg-type]

    # Cache keys: only what changes each result.

    def stats_key(self) -> str:
        return f"{self.period.key()}|{self.scope.key()}"

    def list_key(self) -> str:
        order = "desc" if self.descending else "asc"
        return f"{self.stats_key()}|{self.sort}:{order}|{self.page}x{self.per_page}" + ("|costs" if self.costs else "")


def parse_filters(query: Mapping[str, str], today: date) -> DashboardFilters:
    """Read and check the dashboard's filters; raises BadInput naming each wrong field."""
    reader = FormReader(query)
    period = read_period(reader, today)
    status = reader.option("status")
    if status is not None and status not in CLIENT_STATUSES:
        reader.fail("status", f"Unknown client status {quoted(status)}. Choose one of: {', '.join(CLIENT_STATUSES)}.")
    manager_id = reader.id("manager", "Account manager") if reader.option("manager") else None
    search = reader.option("q")
    if search is not None:
        search = " ".join(search.split())  # "acme  clinics" finds "Acme Clinics"
        if len(search) > MAX_SEARCH:
            reader.fail("q", f"Search is limited to {MAX_SEARCH} characters.")
        elif "\x00" in search:
            reader.fail("q", "Search cannot contain a NUL character.")
    sort = reader.raw("sort") or "name"
    if sort not in SORTS:
        reader.fail("sort", f"Unknown sort {quoted(sort)}. Sort by one of: {', '.join(SORTS)}.")
    direction = reader.raw("dir") or ("asc" if sort == "name" else "desc")
    if direction not in ("asc", "desc"):
        reader.fail("dir", "Sort direction must be asc or desc.")
    page = reader.whole_number("page", "Page", default=1, low=1, high=MAX_PAGE)
    per_page = reader.whole_number("per_page", "Rows per page", default=50, low=1, high=max(PAGE_SIZES))
    if "per_page" not in reader.errors and per_page not in PAGE_SIZES:
        reader.fail("per_page", f"Rows per page must be one of {', '.join(map(str, PAGE_SIZES))}.")
    costs = reader.raw("costs") == "1"
    if reader.raw("costs") not in ("", "1"):
        reader.fail("costs", "costs: 1 (with each client's cost and margin, for admins) or left out.")
    elif sort == "margin" and not costs:
        reader.fail("sort", "Sorting by margin needs the costs, which only admins see.")
    if reader.errors or period is None:
        raise BadInput(reader.errors)
    return DashboardFilters(period, status, manager_id, search, sort, direction == "desc", page, per_page, costs)


def parse_client_id(query: Mapping[str, str]) -> int:
    reader = FormReader(query)
    client_id = reader.id("client", "Client")
    if client_id is None:
        raise BadInput(reader.errors)
    return client_id
