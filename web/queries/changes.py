"""Every write goes through `recording`: one transaction holding the change, its audit rows and
the cache-version bumps, so that nothing is half-saved and no cached figure outlives it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from web.db import Database
from web.db import versions as cache_versions
from web.db.versions import Versions


class Conflict(Exception):
    """Someone else saved this first; `current` holds what is saved now."""

    def __init__(self, what: str, current: Mapping[str, Any] | None) -> None:
        super().__init__(
            f"This {what} was changed by someone else while you were editing it. "
            "Their version is shown below; make your change again if it is still needed."
            if current is not None
            else f"This {what} has been deleted by someone else."
        )
        self.current = dict(current) if current is not None else None


@dataclass
class ChangeSet:
    user_id: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    scopes: set[str] = field(default_factory=lambda: {"all"})

    def add(
        self,
        entity: str,
        entity_id: int,
        action: str,
        *,
        client_id: int | None,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        scopes: tuple[str, ...] = (),
    ) -> None:
        self.rows.append(
            {
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "client_id": client_id,
                "before": _json(before),
                "after": _json(after),
            }
        )
        if client_id is not None:
            self.scopes.add(f"client:{client_id}")
        self.scopes.update(scopes)


@asynccontextmanager
async def recording(db: Database, versions: Versions, user_id: int) -> AsyncIterator[ChangeSet]:
    """One transaction: the caller's writes, then their audit rows and version bumps."""
    changes = ChangeSet(user_id)
    async with db.transaction():
        yield changes
        for row in changes.rows:
            await db.execute(
                "INSERT INTO audit_log (user_id, entity, entity_id, client_id, action, before, after) "
                "VALUES (:user_id, :entity, :entity_id, :client_id, :action, "
                "CAST(:before AS jsonb), CAST(:after AS jsonb))",
                user_id=user_id,
                **row,
            )
        bumped = await cache_versions.bump(db, changes.scopes) if changes.rows else {}
    versions.apply(bumped)  # committed: this process sees it at once, the others on NOTIFY


def _json(values: Mapping[str, Any] | None) -> str | None:
    if values is None:
        return None
    return json.dumps({k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in values.items()})
