"""Passwords are stored with Argon2id at its recommended parameters (test accounts are hashed
cheaply, tests/support.py): the production ones, checked once here."""

from __future__ import annotations

from typing import Literal

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles

from web.queries import users
from web.queries.users import hash_password


def test_a_password_is_hashed_with_argon2id_at_the_recommended_parameters() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY


def test_an_unknown_email_costs_one_argon2_run_even_the_first_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong password costs one verification; an unknown email must cost as much, and no more,
    or its time would tell that nobody has that email (the first one in a process included)."""
    runs: list[str] = []

    class Counting(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            runs.append("hash")
            return super().hash(password, salt=salt)

        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            runs.append("verify")
            return super().verify(hash, password)

    monkeypatch.setattr(users, "_hasher", Counting.from_parameters(profiles.CHEAPEST))
    users._dummy_hash.cache_clear()
    try:
        assert [users._verifies(None, "a guess") for _ in range(3)] == [False, False, False]
        assert runs == ["hash", "verify", "verify"]
    finally:
        users._dummy_hash.cache_clear()  # made again with the real hasher when next needed
