"""Passwords are stored with Argon2id at its recommended parameters (test accounts are hashed
cheaply, tests/support.py): the production ones, checked once here."""

from __future__ import annotations

from argon2 import extract_parameters, profiles

from web.queries.users import hash_password


def test_a_password_is_hashed_with_argon2id_at_the_recommended_parameters() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
