"""The dashboard's query parameters, validated: every value a user can type gets a clear message."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from starlette.datastructures import QueryParams

from web.forms import quoted
from web.partial import BadInput
from web.periods import PERIOD_LABELS, Period, named_period, parse_iso_date
from web.queries.scope import CLIENT_STATUSES, ClientScope

SORTS = ("name", "revenue", "mrr", "hours")
PAGE_SIZES = (25, 50, 100, 200)
MAX_PAGE = 100_000
MAX_SEARCH = 100
MAX_ID = 2**63 - 1
MAX_CUSTOM_DAYS = 366 * 10


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
        return params

    def with_changes(self, **changes: object) -> DashboardFilters:
        return replace(self, **changes)  # type: ignore[arg-type]

    # Cache keys: only what changes each result.

    def stats_key(self) -> str:
        return f"{self.period.key()}|{self.scope.key()}"

    def list_key(self) -> str:
        order = "desc" if self.descending else "asc"
        return f"{self.stats_key()}|{self.sort}:{order}|{self.page}x{self.per_page}"


def parse_filters(query: QueryParams, today: date) -> DashboardFilters:
    """Read and check the dashboard's filters; raises BadInput naming each wrong field."""
    errors: dict[str, str] = {}
    period = _parse_period(query, today, errors)
    status = _optional(query, "status")
    if status is not None and status not in CLIENT_STATUSES:
        errors["status"] = f"Unknown client status {quoted(status)}. Choose one of: {', '.join(CLIENT_STATUSES)}."
    manager_id = _parse_id(query, "manager", "Account manager", errors)
    search = _optional(query, "q")
    if search is not None:
        search = " ".join(search.split())  # "acme  clinics" finds "Acme Clinics"
    if search is not None and len(search) > MAX_SEARCH:
        errors["q"] = f"Search is limited to {MAX_SEARCH} characters."
    elif search is not None and "\x00" in search:
        errors["q"] = "Search cannot contain a NUL character."
    sort = query.get("sort") or "name"
    if sort not in SORTS:
        errors["sort"] = f"Unknown sort {quoted(sort)}. Sort by one of: {', '.join(SORTS)}."
    direction = query.get("dir") or ("asc" if sort == "name" else "desc")
    if direction not in ("asc", "desc"):
        errors["dir"] = "Sort direction must be asc or desc."
    page = _parse_int(query, "page", 1, 1, MAX_PAGE, "Page", errors)
    per_page = _parse_int(query, "per_page", 50, 1, max(PAGE_SIZES), "Rows per page", errors)
    if "per_page" not in errors and per_page not in PAGE_SIZES:
        errors["per_page"] = f"Rows per page must be one of {', '.join(map(str, PAGE_SIZES))}."
    if errors or period is None:
        raise BadInput(errors)
    return DashboardFilters(period, status, manager_id, search, sort, direction == "desc", page, per_page)


def _parse_period(query: QueryParams, today: date, errors: dict[str, str]) -> Period | None:
    name = query.get("period") or ("custom" if query.get("from") or query.get("to") else "this_month")
    if name not in PERIOD_LABELS:
        errors["period"] = f"Unknown period {quoted(name)}. Choose one of: {', '.join(PERIOD_LABELS)}."
        return None
    if name != "custom":
        return named_period(name, today)
    start = _parse_date(query, "from", "Start date", errors)
    end = _parse_date(query, "to", "End date", errors)
    if start is None or end is None:
        return None
    if start > end:
        errors["to"] = "The end date must be on or after the start date."
        return None
    if end - start > timedelta(days=MAX_CUSTOM_DAYS):
        errors["to"] = "A custom period can be at most ten years long."
        return None
    return Period("custom", start, end)


def _parse_date(query: QueryParams, name: str, label: str, errors: dict[str, str]) -> date | None:
    raw = (query.get(name) or "").strip()
    if not raw:
        errors[name] = f"{label} is required for a custom period."
        return None
    try:
        value = parse_iso_date(raw)
    except ValueError:
        errors[name] = f"{label} {quoted(raw)} is not a date; use YYYY-MM-DD."
        return None
    if not 1900 <= value.year <= 2200:
        errors[name] = f"{label} must be between the years 1900 and 2200."
        return None
    return value


def _parse_int(
    query: QueryParams, name: str, default: int, low: int, high: int, label: str, errors: dict[str, str]
) -> int:
    raw = (query.get(name) or "").strip()
    if not raw:
        return default
    if not _is_small_number(raw) or not low <= int(raw) <= high:
        errors[name] = f"{label} must be a whole number from {low} to {high:,}."
        return default
    return int(raw)


def _parse_id(query: QueryParams, name: str, label: str, errors: dict[str, str]) -> int | None:
    raw = _optional(query, name)
    if raw is None:
        return None
    if not _is_small_number(raw) or not 1 <= int(raw) <= MAX_ID:
        errors[name] = f"{label} must be an id (a positive whole number)."
        return None
    return int(raw)


def _is_small_number(raw: str) -> bool:
    # Length first: int() of thousands of digits is slow, and raises past 4300 of them.
    return len(raw) <= 19 and raw.isascii() and raw.isdecimal()


def _optional(query: QueryParams, name: str) -> str | None:
    """A parameter's stripped value; empty and 'all' mean no filter."""
    value = (query.get(name) or "").strip()
    return None if value in ("", "all") else value


def parse_client_id(query: QueryParams) -> int:
    errors: dict[str, str] = {}
    client_id = _parse_id(query, "client", "Client", errors)
    if client_id is None:
        raise BadInput(errors or {"client": "Client is required."})
    return client_id
