"""Hot statements run on the DBAPI connection read and write what SQLAlchemy itself would,
convert types the same way, and fail with SQLAlchemy's errors, parameters hidden."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.models import AuditEvent, User
from app.models.base import table_of
from app.statements import Prepared, connection_of

_events = table_of(AuditEvent)
_users = table_of(User)


def _event(seq: int, at: datetime) -> dict[str, object]:
    return {"seq": seq, "occurred_at": at, "actor_type": "system", "actor_id": "test",
            "actor_role": "admin", "action": "test.written", "entity_type": "thing",
            "entity_id": str(seq), "payload": "{}", "prev_hash": "0" * 64,
            "hash": f"{seq:064x}"}


def test_rows_written_and_read_as_sqlalchemy_does(engine):
    at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    by_seq = select(_events.c.seq, _events.c.occurred_at, _events.c.hash).where(
        _events.c.seq >= bindparam("first")).order_by(_events.c.seq)
    with Session(engine) as session:
        Prepared(insert(_events)).run(session, _event(1_000_001, at))
        session.connection().execute(insert(_events), _event(1_000_002, at))
        prepared = Prepared(by_seq).run(session, {"first": 1_000_001})
        own = [tuple(row) for row in session.connection().execute(by_seq,
                                                                  {"first": 1_000_001})]
        standing = Prepared(select(_users.c.is_active, _users.c.token_version)
                            .where(_users.c.username == "admin")).run(session)
    assert prepared == own
    assert [row[1] for row in prepared] == [at, at]  # timezone-aware UTC, as stored
    assert standing == [(True, 0)]  # booleans are booleans, on SQLite too


def test_a_failed_statement_is_sqlalchemys_error_without_its_values(engine):
    at = datetime.now(UTC)
    write = Prepared(insert(_events))
    with Session(engine) as session:
        write.run(session, _event(2_000_001, at))
        with pytest.raises(IntegrityError) as caught:
            write.run(session, {**_event(2_000_001, at), "payload": '{"secret": 1}'})
        session.rollback()
    assert "secret" not in str(caught.value)


def test_the_connection_is_the_transactions_own(engine):
    with Session(engine) as session:
        first = connection_of(session)
        assert connection_of(session) is first
        session.commit()
        assert session.get_transaction() is None
        assert connection_of(session) is session.connection()
