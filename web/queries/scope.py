"""Which clients a query covers: the dashboard's filters as one SQL condition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CLIENT_STATUSES = ("lead", "active", "paused", "churned")


@dataclass(frozen=True)
class ClientScope:
    status: str | None = None
    manager_id: int | None = None
    search: str | None = None
    client_id: int | None = None
    client_ids: tuple[int, ...] | None = None  # several clients at once (batched loads)

    @property
    def everyone(self) -> bool:
        """Every client: no condition at all."""
        return self.statuses_only and self.status is None

    @property
    def statuses_only(self) -> bool:
        """All clients, or all of one status: what the status totals table can answer."""
        return self.manager_id is None and not self.search and self.client_id is None and self.client_ids is None

    def where(self) -> tuple[str, dict[str, Any]]:
        """SQL condition on clients aliased `c`, and its parameters."""
        conditions: list[str] = ["true"]
        params: dict[str, Any] = {}
        if self.status is not None:
            conditions.append("c.status = :status")
            params["status"] = self.status
        if self.manager_id is not None:
            conditions.append("c.account_manager_id = :manager_id")
            params["manager_id"] = self.manager_id
        if self.search:
            conditions.append("c.name ILIKE :search ESCAPE '\\'")
            params["search"] = f"%{_escape_like(self.search)}%"
        if self.client_id is not None:
            conditions.append("c.id = :client_id")
            params["client_id"] = self.client_id
        if self.client_ids is not None:
            conditions.append("c.id = ANY(:client_ids)")
            params["client_ids"] = list(self.client_ids)
        return " AND ".join(conditions), params

    def key(self) -> str:
        ids = ",".join(map(str, self.client_ids or ()))
        return f"s={self.status or ''}|m={self.manager_id or ''}|q={self.search or ''}|c={self.client_id or ''}|{ids}"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
