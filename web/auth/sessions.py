"""The session cookie: Starlette's signed cookie, with each distinct cookie verified once.

A browser sends the same cookie with every request of a page (57 for the dashboard); checking its
HMAC, decoding it and deriving the key each time was a tenth of a cached partial's server time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import itsdangerous
from itsdangerous.exc import SignatureExpired
from starlette.middleware import sessions
from starlette.types import ASGIApp

REMEMBERED = 10_000  # distinct cookies; when full, forgotten all at once and verified again


class VerifiedOnceSigner(itsdangerous.TimestampSigner):
    """A TimestampSigner that remembers the values it has verified. The age is checked every time."""

    def __init__(self, secret_key: str | bytes) -> None:
        super().__init__(secret_key)
        self._verified: dict[bytes, tuple[bytes, int]] = {}  # signed value -> (value, signed at)

    def unsign(self, signed_value: str | bytes, max_age: int | None = None, return_timestamp: bool = False) -> Any:
        key = itsdangerous.encoding.want_bytes(signed_value)
        known = self._verified.get(key)
        if known is None:
            value, signed = super().unsign(key, return_timestamp=True)
            if len(self._verified) >= REMEMBERED:
                self._verified.clear()
            known = self._verified[key] = (value, int(signed.timestamp()))
        value, signed_at = known
        if max_age is not None:
            age = self.get_timestamp() - signed_at
            if age > max_age or age < 0:
                raise SignatureExpired(f"Signature age {age} is not within 0..{max_age} seconds", payload=value)
        return (value, datetime.fromtimestamp(signed_at, tz=UTC)) if return_timestamp else value


class SessionMiddleware(sessions.SessionMiddleware):
    def __init__(self, app: ASGIApp, *args: Any, **kwargs: Any) -> None:  # Starlette's options
        super().__init__(app, *args, **kwargs)
        self.signer = VerifiedOnceSigner(self.signer.secret_keys[-1])
