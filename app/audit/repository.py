"""Queries on the ledger table."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    SQLColumnExpression,
    String,
    Table,
    and_,
    func,
    text,
    type_coerce,
)
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.db import READ_ONLY
from app.models import AuditEvent
from app.models.base import table_of
from app.statements import Prepared, connection_of

# Arbitrary but fixed: the PostgreSQL advisory lock that serialises ledger appends.
LEDGER_LOCK_KEY = 7_305_412_901

_CHAIN_COLUMNS: tuple[SQLColumnExpression[Any], ...] = tuple(col(c) for c in (
    AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor_type, AuditEvent.actor_id,
    AuditEvent.actor_role, AuditEvent.action, AuditEvent.entity_type, AuditEvent.entity_id,
    AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash,
))


_LOCK_CHAIN = Prepared(text("SELECT pg_advisory_xact_lock(:key)").columns())


def lock_chain(session: Session) -> None:
    """Serialise appends until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: every transaction already starts with
    BEGIN IMMEDIATE (see app.db), which holds the database's single write lock.
    """
    if connection_of(session).dialect.name == "postgresql":
        _LOCK_CHAIN.run(session, {"key": LEDGER_LOCK_KEY})


_events = table_of(AuditEvent)
_CHAIN_HEAD = Prepared(sa_select(_events.c.seq, _events.c.hash)
                       .order_by(_events.c.seq.desc()).limit(1))


def chain_head(session: Session) -> tuple[int, str] | None:
    """``(seq, hash)`` of the newest event, or None for an empty ledger."""
    rows = _CHAIN_HEAD.run(session)
    return (rows[0][0], rows[0][1]) if rows else None


def event_at(session: Session, seq: int) -> AuditEvent | None:
    return session.get(AuditEvent, seq)


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees one state of the database while it is open: REPEATABLE
    READ on PostgreSQL; on SQLite a deferred transaction, which reads a snapshot (WAL) without
    taking the write lock, so verifying never holds up the service's writers."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with engine.connect().execution_options(**options) as connection, connection.begin():
        yield connection


def head_on(connection: Connection) -> tuple[int, str] | None:
    """``(seq, hash)`` of the newest event on ``connection``, or None for an empty ledger."""
    row = connection.execute(sa_select(col(AuditEvent.seq), col(AuditEvent.hash))
                             .order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def hash_at(connection: Connection, seq: int) -> str | None:
    """The hash of the event at ``seq``, or None when there is none."""
    return connection.execute(sa_select(col(AuditEvent.hash))
                              .where(col(AuditEvent.seq) == seq)).scalar()


def iter_chain(source: Session | Connection,
               batch_size: int = 50_000) -> Generator[tuple[Any, ...], None, None]:
    """Every event in sequence order, streamed in batches without building ORM objects."""
    connection = source.connection() if isinstance(source, Session) else source
    columns = list(_CHAIN_COLUMNS)
    # Hand the hasher ISO text rather than building timezone-aware datetimes first: on a long
    # chain that conversion costs as much as the hashing.
    if connection.dialect.name == "sqlite":
        columns[1] = type_coerce(col(AuditEvent.occurred_at), String).label("occurred_at")
    else:
        columns[1] = func.to_char(func.timezone("UTC", col(AuditEvent.occurred_at)),
                                  'YYYY-MM-DD"T"HH24:MI:SS.US').label("occurred_at")
    # The option goes on the statement: set on the connection it would stay for the rest of
    # the transaction and turn every later statement into a server-side cursor on PostgreSQL.
    # SQLAlchemy's own select: sqlmodel's is typed for at most four columns.
    result = connection.execute(
        sa_select(*columns).order_by(col(AuditEvent.seq))
        .execution_options(yield_per=batch_size)
    )
    try:
        for partition in result.partitions():
            yield from partition
    finally:
        # Verification stops at the first break; close the server-side cursor it leaves open.
        result.close()


def iter_rows(connection: Connection, table: Table, columns: Sequence[str],
              batch_size: int) -> Generator[RowMapping, None, None]:
    """Every row of ``table`` (the named columns), in primary-key order, streamed in batches
    with the columns' own types applied (UTC timestamps, decimals, parsed JSON)."""
    key = list(table.primary_key.columns)
    result = connection.execute(
        sa_select(*(table.c[name] for name in columns)).order_by(*key)
        .execution_options(yield_per=batch_size))
    try:
        for partition in result.mappings().partitions():
            yield from partition
    finally:
        result.close()


def _event_filters(entity_type: str | None, entity_id: str | None, actor_id: str | None,
                   occurred_from: datetime | None,
                   occurred_to: datetime | None) -> list[ColumnElement[bool]]:
    """The conditions of the filters both event searches share (an end time is exclusive)."""
    conditions: list[ColumnElement[bool]] = []
    if entity_type is not None:
        conditions.append(col(AuditEvent.entity_type) == entity_type)
    if entity_id is not None:
        conditions.append(col(AuditEvent.entity_id) == entity_id)
    if actor_id is not None:
        conditions.append(col(AuditEvent.actor_id) == actor_id)
    if occurred_from is not None:
        conditions.append(col(AuditEvent.occurred_at) >= occurred_from)
    if occurred_to is not None:
        conditions.append(col(AuditEvent.occurred_at) < occurred_to)
    return conditions


def search_events(
    session: Session,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_id: str | None = None,
    action: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    after_seq: int | None = None,
    limit: int = 100,
) -> tuple[list[AuditEvent], int]:
    """Filtered events, oldest first, keyset-paginated on ``seq``; also the total match count."""
    conditions = _event_filters(entity_type, entity_id, actor_id, occurred_from, occurred_to)
    if action is not None:
        conditions.append(col(AuditEvent.action) == action)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    if after_seq is not None:
        conditions.append(col(AuditEvent.seq) > after_seq)
    events = session.exec(
        select(AuditEvent).where(*conditions).order_by(col(AuditEvent.seq)).limit(limit)
    ).all()
    return list(events), int(total)


def explore_events(
    session: Session,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_id: str | None = None,
    action_prefix: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[AuditEvent]:
    """Filtered events, newest first, keyset-paginated on ``seq`` (``before_seq``: the last
    event of the previous page). No total is counted: over a ledger of millions of events a
    count per page view would cost more than the page.

    ``action_prefix`` matches actions starting with it ("application." finds every action on
    applications). Equality filters use the entity and actor indexes, which also hold the
    sequence number on SQLite (its rowid), so a page is read in order without sorting.
    """
    conditions = _event_filters(entity_type, entity_id, actor_id, occurred_from, occurred_to)
    if action_prefix:
        conditions.append(_action_prefix(session, action_prefix))
    if before_seq is not None:
        conditions.append(col(AuditEvent.seq) < before_seq)
    return list(session.exec(
        select(AuditEvent).where(*conditions).order_by(col(AuditEvent.seq).desc()).limit(limit)
    ).all())


# Below this many matches a prefix is "sparse": its events are read through the action index and
# sorted; above it they are dense enough that walking the sequence down finds a page quickly.
# The two costs meet near sqrt(events x page size): about 7,000 for a million events.
_SPARSE_PREFIX = 5_000


def _action_prefix(session: Session, prefix: str) -> ColumnElement[bool]:
    """Actions starting with ``prefix``, written so a page stays fast whether the prefix is
    common or rare.

    LIKE states the match on every database. On SQLite it cannot use the action index (LIKE
    is case-insensitive there), so a rare prefix would walk the whole table; a byte range on
    the action (SQLite compares text by its bytes, so the range is exactly the prefix) can,
    but a common prefix would then sort all its matches. A probe of the index, at most
    ``_SPARSE_PREFIX`` entries, chooses. PostgreSQL's planner chooses by its own statistics
    (given an index it can use for LIKE: see the console's report on indexes).
    """
    like = col(AuditEvent.action).startswith(prefix, autoescape=True)
    if connection_of(session).dialect.name != "sqlite":
        return like
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    in_range = and_(col(AuditEvent.action) >= prefix, col(AuditEvent.action) < upper)
    probe = select(col(AuditEvent.seq)).where(in_range).limit(_SPARSE_PREFIX).subquery()
    matches = session.exec(select(func.count()).select_from(probe)).one()
    return and_(in_range, like) if matches < _SPARSE_PREFIX else like


def latest_of_action(session: Session, action: str) -> AuditEvent | None:
    """The newest event of exactly ``action`` (read through the action index)."""
    return session.exec(select(AuditEvent).where(col(AuditEvent.action) == action)
                        .order_by(col(AuditEvent.seq).desc()).limit(1)).first()


def first_seq_since(session: Session, since: datetime) -> int | None:
    """The sequence number of the first event at or after ``since``, or None when there is
    none: one probe of the time index. Sequence numbers have no gaps and are given in time
    order, so the events since then number ``head - first + 1`` without counting rows."""
    return session.exec(select(col(AuditEvent.seq)).where(col(AuditEvent.occurred_at) >= since)
                        .order_by(col(AuditEvent.occurred_at), col(AuditEvent.seq))
                        .limit(1)).first()
