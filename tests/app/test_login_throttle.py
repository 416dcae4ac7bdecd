"""Failed sign-ins slow guessing with growing delays, per username and address and per address,
but never lock the account's owner out of an address they have signed in from before."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from app.auth.service import login, throttle_delay
from app.db import session_scope
from app.models import AuditEvent, LoginAttempt
from tests.conftest import TEST_PASSWORD


def _attempt(engine, settings, address: str, password: str, username: str = "loan-officer"):
    with session_scope(engine) as session:
        return login(session, settings, username=username, password=password,
                     client_address=address)


def test_delays_double_past_the_limit_up_to_an_hour():
    assert [throttle_delay(n, 5, 60) for n in (4, 5, 6, 7, 20)] == [0, 60, 120, 240, 3600]


def test_an_owner_is_not_locked_out_by_failures_from_elsewhere(engine, settings_env):
    assert _attempt(engine, settings_env, "10.0.0.1", TEST_PASSWORD).token  # the owner's address
    for i in range(60):  # an attacker guessing from many addresses
        _attempt(engine, settings_env, f"192.0.2.{i}", "guess")
    assert _attempt(engine, settings_env, "10.0.0.1", TEST_PASSWORD).token
    # A new address for that username is slowed, though: the guessing came from new ones.
    assert _attempt(engine, settings_env, "198.51.100.9", TEST_PASSWORD).throttled


def test_one_address_spraying_many_usernames_is_throttled(engine, settings_env):
    for i in range(5):
        _attempt(engine, settings_env, "192.0.2.50", "guess", username=f"user{i}")
    assert _attempt(engine, settings_env, "192.0.2.50", TEST_PASSWORD).throttled


def test_failures_are_all_counted_but_ledgered_once_per_window(engine, settings_env):
    for _ in range(4):
        _attempt(engine, settings_env, "192.0.2.77", "guess", username="nobody")
    with Session(engine) as session:
        attempts = session.exec(select(func.count()).select_from(LoginAttempt)).one()
        failed = session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "auth.login_failed")).one()
        stored = session.exec(select(LoginAttempt.client_digest)).first()
    assert (attempts, failed) == (4, 1)
    assert stored is not None and "192.0.2.77" not in stored and len(stored) == 64
