"""The session cookie's signer: each distinct cookie verified once, its age checked every time."""

from __future__ import annotations

import pytest
from itsdangerous import TimestampSigner
from itsdangerous.exc import BadSignature, SignatureExpired

from web.auth.sessions import VerifiedOnceSigner


def test_a_remembered_cookie_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = VerifiedOnceSigner("secret")
    cookie = signer.sign(b"payload")
    assert signer.unsign(cookie, max_age=60) == b"payload"
    assert signer.unsign(cookie, max_age=60) == b"payload"  # from memory this time
    signed_at = signer.get_timestamp()
    monkeypatch.setattr(signer, "get_timestamp", lambda: signed_at + 61)
    with pytest.raises(SignatureExpired):
        signer.unsign(cookie, max_age=60)
    assert signer.unsign(cookie) == b"payload"  # without a max age, any age will do


def test_a_changed_cookie_is_refused_even_after_the_real_one_was_seen() -> None:
    signer = VerifiedOnceSigner("secret")
    cookie = signer.sign(b"user 1")
    signer.unsign(cookie, max_age=60)
    forged = cookie.replace(b"user 1", b"user 2")
    with pytest.raises(BadSignature):
        signer.unsign(forged, max_age=60)
    with pytest.raises(BadSignature):
        VerifiedOnceSigner("another secret").unsign(cookie, max_age=60)


def test_it_answers_as_itsdangerous_does() -> None:
    signer = VerifiedOnceSigner("secret")
    cookie = signer.sign(b"payload")
    plain = TimestampSigner("secret").unsign(cookie, max_age=60, return_timestamp=True)
    assert signer.unsign(cookie, max_age=60, return_timestamp=True) == plain
    assert signer.unsign(cookie, max_age=60, return_timestamp=True) == plain  # remembered
