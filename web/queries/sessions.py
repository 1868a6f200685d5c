"""Server-side sessions: started at sign-in, checked (and touched) on a request now and then, ended
by signing out, a new password, a disabled account or an admin. See docs/decisions.md (sessions).

A session's id is the SHA-256 of the token in the cookie. Ending sessions bumps the cache-version
scope `sessions:<user id>` in the same transaction: every app process hears it (NOTIFY) and checks
that person's sessions again on their next request, so an ended session stops everywhere at once
while a live one costs no query between checks.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from web.db import Database
from web.db import versions as cache_versions
from web.db.versions import Versions


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta  # a session unused this long has ended
    absolute: timedelta  # and one this old, however used


@dataclass(frozen=True)
class SessionInfo:
    id: str  # the first characters of its digest: enough to name it, useless to open it
    created_at: datetime
    last_seen_at: datetime
    address: str
    user_agent: str


def scope(user_id: int) -> str:
    """The cache-version scope that moves whenever one of this person's sessions ends."""
    return f"sessions:{user_id}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(db: Database, user_id: int, address: str, user_agent: str) -> str:
    """A new session for the user; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO sessions (id, user_id, address, user_agent) VALUES (:id, :user_id, :address, :agent)",
        id=digest(token),
        user_id=user_id,
        address=address[:100],
        agent=user_agent[:300],
    )
    return token


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    role: str
    disabled: bool
    sessions: list[SessionInfo]  # active, newest first


_ACTIVE = (
    "s.ended_at IS NULL AND s.last_seen_at > now() - CAST(:idle AS interval)"
    " AND s.created_at > now() - CAST(:absolute AS interval)"
)
_INFO = "left(s.id, 12) AS sid, s.created_at, s.last_seen_at, s.address, s.user_agent"


async def active_sessions(db: Database, user_id: int, lifetime: Lifetime) -> list[SessionInfo]:
    rows = await db.fetch_all(
        f"SELECT {_INFO} FROM sessions s WHERE s.user_id = :user_id AND {_ACTIVE} ORDER BY s.created_at DESC",
        user_id=user_id,
        idle=lifetime.idle,
        absolute=lifetime.absolute,
    )
    return [_info(row) for row in rows]


async def people(db: Database, lifetime: Lifetime) -> list[Person]:
    """Every account, by name, with its active sessions."""
    rows = await db.fetch_all(
        f"SELECT u.id, u.name, u.email, u.role, u.disabled, {_INFO} FROM users u"
        f" LEFT JOIN sessions s ON s.user_id = u.id AND {_ACTIVE} ORDER BY lower(u.name), u.id, s.created_at DESC",
        idle=lifetime.idle,
        absolute=lifetime.absolute,
    )
    found: dict[int, Person] = {}
    for row in rows:
        person = found.get(row["id"])
        if person is None:
            fields = {key: row[key] for key in ("id", "name", "email", "role", "disabled")}
            person = found[row["id"]] = Person(**fields, sessions=[])
        if row["sid"] is not None:
            person.sessions.append(_info(row))
    return list(found.values())


def _info(row: Mapping[str, Any]) -> SessionInfo:
    return SessionInfo(row["sid"], row["created_at"], row["last_seen_at"], row["address"], row["user_agent"])


async def end_session(db: Database, versions: Versions | None, token: str) -> None:
    """Sign-out: this session ends, in every app process at once."""
    async with db.transaction():
        user_id = await db.fetch_val(
            "UPDATE sessions SET ended_at = now() WHERE id = :id AND ended_at IS NULL RETURNING user_id",
            id=digest(token),
        )
        bumped = await cache_versions.bump(db, [scope(user_id)]) if user_id is not None else {}
    if versions is not None:
        versions.apply(bumped)


async def end_sessions_now(
    db: Database, versions: Versions, user_id: int, *, keep: str | None = None, prefix: str | None = None
) -> int:
    """end_sessions as a change of its own (the account page, People): in its own transaction, then
    applied here at once (the other processes hear of it on NOTIFY). How many ended."""
    async with db.transaction():
        count, bumped = await end_sessions(db, user_id, keep=keep, prefix=prefix)
    versions.apply(bumped)
    return count


async def end_sessions(
    db: Database, user_id: int, *, keep: str | None = None, prefix: str | None = None
) -> tuple[int, dict[str, int]]:
    """End the person's sessions (all, or the one whose id starts with `prefix`), except the one of
    token `keep`: how many ended, and the versions bumped (for Versions.apply once committed). Call it
    inside the transaction of the change that causes it: other processes hear of it when that commits."""
    ended = await db.fetch_val(
        "WITH ended AS (UPDATE sessions SET ended_at = now() WHERE user_id = :user_id AND ended_at IS NULL"
        " AND id <> :keep AND (CAST(:prefix AS text) IS NULL OR id LIKE :prefix || '%') RETURNING 1)"
        " SELECT count(*) FROM ended",
        user_id=user_id,
        keep=digest(keep) if keep else "",
        prefix=prefix,
    )
    return int(ended), await cache_versions.bump(db, [scope(user_id)])
