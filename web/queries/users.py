"""Staff accounts and sign-in attempts."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from web.dated import changes_of, stored, with_change
from web.db import Database
from web.db import versions as cache_versions
from web.queries import capacity
from web.queries.sessions import Lifetime, digest, end_sessions

ROLES = ("staff", "admin")
MIN_PASSWORD = 12  # OWASP ASVS level 2 (V2.1.1); length, not character classes, makes a password strong
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
    Made on first use, in the hashing thread: at import it cost every process (each CLI command,
    each worker) 160 ms before doing anything."""
    return _hasher.hash("not a real password")


def _yield_to_requests() -> None:
    """The hashing thread at the lowest priority (Linux's nice is per thread, and Argon2's lane
    threads inherit it): when a hash and a request want the same core, the request goes first, and
    hashes take what is left. 30 sign-ins at once made cached partials' p99 3.5-3.7x slower on 2
    cores at equal priority, 1.7-3.0x at nice 10, 1.7-1.9x at nice 19 (`billable bench`)."""
    with suppress(OSError, AttributeError):  # not Linux, or not allowed: the plain priority then
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


# Argon2 runs here, off the event loop (argon2-cffi releases the GIL): on the loop, 23 failed
# sign-ins in 8 s pushed every other request to 780 ms (issue #19). One worker, as one hash already
# uses every core (parallelism 4): a flood of sign-ins queues here instead of starving the rest.
_hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2", initializer=_yield_to_requests)


class UserExists(ValueError):
    pass


class UnknownUser(LookupError):
    pass


@dataclass(frozen=True)
class User:
    id: int
    name: str
    email: str
    role: str
    disabled: bool


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise ValueError("the password is too long (1024 characters at most)")
    if "\x00" in password:  # sign-in refuses it (PostgreSQL text cannot hold one): it could never be used
        raise ValueError("the password cannot contain a NUL character")


_USER_COLUMNS = "id, name, email, role, disabled"


async def get_user(db: Database, user_id: int) -> User | None:
    row = await db.fetch_one(f"SELECT {_USER_COLUMNS} FROM users WHERE id = :id", id=user_id)
    return None if row is None else User(**row)


async def staff_list(db: Database, *, including: int | None = None) -> list[User]:
    """Everyone who can log time, by name; and the user `including`, even if disabled."""
    rows = await db.fetch_all(
        f"SELECT {_USER_COLUMNS} FROM users WHERE NOT disabled OR id = :including ORDER BY lower(name), id",
        including=including,
    )
    return [User(**row) for row in rows]


async def authenticate(db: Database, email: str, password: str) -> User | None:
    """The enabled user with this email and password, or None (taking as long either way)."""
    row = await db.fetch_one(
        f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE lower(email) = lower(:email)", email=email
    )
    stored = row["password_hash"] if row is not None and row["password_hash"] else None
    if not await asyncio.get_running_loop().run_in_executor(_hashing, _verifies, stored, password):
        return None
    if row is None or not row["password_hash"] or row["disabled"]:
        return None
    return User(**{k: row[k] for k in ("id", "name", "email", "role", "disabled")})


def _verifies(stored: str | None, password: str) -> bool:
    if not stored and _dummy_hash.cache_info().currsize == 0:
        # The first unknown email of the process: making the stand-in is the work a verification
        # would have been. Verifying against it as well took twice as long, which told it apart.
        _dummy_hash()
        return False
    try:
        return _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


async def add_user(
    db: Database,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    today: date,
    hourly_rate_cents: int = 0,
    weekly_minutes: int = capacity.DEFAULT_WEEKLY_MINUTES,
) -> int:
    """Create a staff account, with its capacity from today; raises UserExists when the email is
    taken (case-insensitive)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email or len(email) > 320:
        raise ValueError(f"{email!r} is not an email address")
    check_password_rules(password)
    async with db.transaction():
        taken = await db.fetch_val("SELECT 1 FROM users WHERE lower(email) = lower(:email)", email=email)
        if taken:
            raise UserExists(f"a user with email {email} already exists")
        user_id = await db.fetch_val(
            "INSERT INTO users (name, email, role, hourly_rate_cents, password_hash) "
            "VALUES (:name, :email, :role, :rate, :hash) RETURNING id",
            name=name,
            email=email,
            role=role,
            rate=hourly_rate_cents,
            hash=hash_password(password),
        )
        await capacity.set_capacity(db, user_id, today, weekly_minutes)
        await cache_versions.bump(db, ["all"])  # the team's capacity from today
    return int(user_id)


async def user_of_session(db: Database, token: str, lifetime: Lifetime) -> User | None:
    """The enabled user of a live session, marking it used now; None when it has ended or expired."""
    row = await db.fetch_one(
        "UPDATE sessions s SET last_seen_at = now() FROM users u"
        " WHERE s.id = :id AND u.id = s.user_id AND s.ended_at IS NULL AND NOT u.disabled"
        " AND s.last_seen_at > now() - CAST(:idle AS interval) AND s.created_at > now() - CAST(:absolute AS interval)"
        " RETURNING " + ", ".join(f"u.{column}" for column in _USER_COLUMNS.split(", ")),
        id=digest(token),
        idle=lifetime.idle,
        absolute=lifetime.absolute,
    )
    return None if row is None else User(**row)


async def set_password(db: Database, email: str, password: str, *, keep_session: str | None = None) -> None:
    """A new password; every session of the account ends but `keep_session` (the person's own, when
    they change it themselves): whoever knew the old password is signed out."""
    check_password_rules(password)
    async with db.transaction():
        user_id = await _set_by_email(db, email, "password_hash", hash_password(password))
        await end_sessions(db, user_id, keep=keep_session)


async def set_hourly_rate(db: Database, email: str, rate_cents: int, since: date) -> None:
    """The rate of the person's billable time where neither the service nor the client has one, from
    `since` on (web/dated.py): time logged for earlier days takes the rate before. Entries keep the
    rate they were made with, so no figure already shown changes."""
    async with db.transaction():
        row = await db.fetch_one(
            "SELECT id, hourly_rate_cents, rate_changes FROM users WHERE lower(email) = lower(:email) FOR UPDATE",
            email=email,
        )
        if row is None:
            raise UnknownUser(f"there is no user with email {email}")
        dated = with_change(changes_of(row["rate_changes"]), since, rate_cents)
        await db.execute(
            "UPDATE users SET rate_changes = CAST(:dated AS jsonb) WHERE id = :id", id=row["id"], dated=stored(dated)
        )


async def set_disabled(db: Database, email: str, disabled: bool, *, today: date) -> None:
    """Disabling also ends every session of the account, in every app process at once, and its
    capacity from today (enabling gives back the last it had): the team's past stays as it was."""
    async with db.transaction():
        user_id = await _set_by_email(db, email, "disabled", disabled)
        if disabled:
            await end_sessions(db, user_id)
        weekly = 0 if disabled else await capacity.last_working_capacity(db, user_id)
        if await capacity.set_capacity(db, user_id, today, weekly) != weekly:
            await cache_versions.bump(db, ["all"])


async def set_role(db: Database, email: str, role: str) -> None:
    """A new role ends the account's sessions: it takes effect on the next sign-in, everywhere."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    async with db.transaction():
        await end_sessions(db, await _set_by_email(db, email, "role", role))


async def find_user(db: Database, email: str) -> User:
    row = await db.fetch_one(f"SELECT {_USER_COLUMNS} FROM users WHERE lower(email) = lower(:email)", email=email)
    if row is None:
        raise UnknownUser(f"there is no user with email {email}")
    return User(**row)


async def _set_by_email(db: Database, email: str, column: str, value: object) -> int:
    """One column of the account with this email (in any case); `column` is ours, never typed.
    Returns the account's id."""
    updated = await db.fetch_val(
        f"UPDATE users SET {column} = :value WHERE lower(email) = lower(:email) RETURNING id", email=email, value=value
    )
    if updated is None:
        raise UnknownUser(f"there is no user with email {email}")
    return int(updated)


# Sign-in attempts


async def reserve_attempt(db: Database, email: str, address: str, limits: LoginLimits) -> int | datetime:
    """Record a sign-in attempt that is about to check its password, unless this account or this
    address has failed `limits` times within the window since its last success: the attempt's id,
    or when the lock ends. Decided under a lock per account and per address (held to the end of
    the transaction, in every process), counting attempts still being checked as failures."""
    email, address = email.lower()[:320], address[:64]
    async with db.transaction():
        # Account first, then address, in every transaction: no two can wait on each other.
        await db.execute("SELECT pg_advisory_xact_lock(hashtext('sign-in:' || :email))", email=email)
        await db.execute("SELECT pg_advisory_xact_lock(hashtext('sign-in from:' || :address))", address=address)
        failures = await recent_failures(db, email, address, limits.window)
        locked_since = [
            since
            for count, since, limit in (
                (failures.by_email, failures.oldest_email, limits.per_account),
                (failures.by_address, failures.oldest_address, limits.per_address),
            )
            if count >= limit and since is not None
        ]
        if locked_since:
            return max(locked_since) + limits.window
        attempt_id: int = await db.fetch_val(
            "INSERT INTO login_attempts (email, address, succeeded) VALUES (:email, :address, NULL) RETURNING id",
            email=email,
            address=address,
        )
    return attempt_id


async def finish_attempt(db: Database, attempt_id: int, succeeded: bool) -> None:
    await db.execute("UPDATE login_attempts SET succeeded = :ok WHERE id = :id", ok=succeeded, id=attempt_id)
    await db.execute("DELETE FROM login_attempts WHERE at < now() - interval '1 day'")


@dataclass(frozen=True)
class LoginLimits:
    window: timedelta
    per_account: int
    per_address: int


@dataclass(frozen=True)
class RecentFailures:
    by_email: int
    by_address: int
    oldest_email: datetime | None
    oldest_address: datetime | None


async def recent_failures(db: Database, email: str, address: str, window: timedelta) -> RecentFailures:
    """Failed attempts (and those still being checked) within the window since the last success,
    per account and per address."""
    row = await db.fetch_one(
        "SELECT count(*) FILTER (WHERE email = lower(:email)) AS by_email,"
        " count(*) FILTER (WHERE address = :address) AS by_address,"
        " min(at) FILTER (WHERE email = lower(:email)) AS oldest_email,"
        " min(at) FILTER (WHERE address = :address) AS oldest_address"
        " FROM login_attempts a WHERE succeeded IS NOT TRUE AND at > now() - CAST(:window AS interval)"
        " AND (email = lower(:email) OR address = :address)"
        " AND at > COALESCE((SELECT max(at) FROM login_attempts s WHERE s.succeeded AND s.email = a.email),"
        " '-infinity')",
        email=email[:320],
        address=address[:64],
        window=window,
    )
    assert row is not None
    return RecentFailures(**row)
