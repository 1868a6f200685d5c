"""Staff accounts."""

from __future__ import annotations

from argon2 import PasswordHasher

from web.db import Database

ROLES = ("staff", "admin")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class UserExists(ValueError):
    pass


async def add_user(db: Database, *, email: str, name: str, role: str, password: str, hourly_rate_cents: int = 0) -> int:
    """Create a staff account; raises UserExists when the email is taken (case-insensitive)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
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
    return int(user_id)
