"""Hot statements: SQLAlchemy Core statements compiled once per dialect and run on the
session's DBAPI connection.

A decision writes and reads a dozen small rows. For each, SQLAlchemy's execution machinery
(compiled-cache lookup, execution context, events, result object) costs two to three times what
SQLite or PostgreSQL spend on the statement itself. The SQL, the order of its parameters and
every column's type conversion still come from SQLAlchemy: only that per-execution machinery is
skipped. Errors are wrapped as SQLAlchemy's own (``DBAPIError``, parameters hidden), so the
service answers them as before; with ``echo`` on, statements take SQLAlchemy's path and are
logged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    compiled: SQLCompiler
    sql: str
    names: tuple[str, ...] | None  # positional parameter order; None for named parameters
    binds: tuple[tuple[str, Processor], ...]  # each parameter and its conversion
    fixed: dict[str, Any] | None  # values of the parameters not passed; None: SQLAlchemy's
    results: tuple[Processor, ...] | None  # each result column's conversion; None: no rows


class Prepared:
    """``statement``, compiled once per dialect and set of parameter names."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}

    def run(self, session: Session, params: Mapping[str, Any] | None = None
            ) -> list[tuple[Any, ...]]:
        """Execute in the session's transaction; return the rows (none for a write)."""
        connection = connection_of(session)
        if connection.engine.echo:
            result = connection.execute(self.statement, dict(params or {}))
            return [tuple(row) for row in result] if result.returns_rows else []
        dialect = connection.dialect
        keys = frozenset(params or ())
        prepared = self._compiled.get((dialect.name, keys))
        if prepared is None:
            prepared = self._compiled[(dialect.name, keys)] = self._compile(dialect, keys)
        values: Mapping[str, Any]
        if prepared.fixed is None:
            values = prepared.compiled.construct_params(params)
        else:
            values = {**prepared.fixed, **params} if params else prepared.fixed
        converted = {name: values[name] if process is None else process(values[name])
                     for name, process in prepared.binds}
        bound: Any = (converted if prepared.names is None
                      else tuple(converted[name] for name in prepared.names))
        return _execute(connection, prepared, bound)

    def _compile(self, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
        assert isinstance(self.statement, ClauseElement)
        compiled = self.statement.compile(dialect=dialect, column_keys=sorted(keys))
        assert isinstance(compiled, SQLCompiler)
        binds = tuple((name, bind.type.dialect_impl(dialect).bind_processor(dialect))
                      for bind, name in compiled.bind_names.items())
        columns = getattr(self.statement, "selected_columns", None)
        results = None if columns is None else tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in columns)
        names = tuple(compiled.positiontup or ()) if compiled.positional else None
        # Parameters not passed are literals of the statement: taken as compiled, unless one is
        # computed at execution (a column default) or a name needs escaping.
        missing = [bind for bind, name in compiled.bind_names.items() if name not in keys]
        simple = (not compiled.escaped_bind_names
                  and all(bind.callable is None for bind in missing))
        fixed = {compiled.bind_names[bind]: bind.value for bind in missing} if simple else None
        return _Compiled(compiled, compiled.string, names, binds, fixed, results)


_CONNECTION_KEY = "riskdesk_connection"


def connection_of(session: Session) -> Connection:
    """``session.connection()``, remembered for the rest of its transaction: asking the session
    goes through its state machine every time, a dozen times a decision."""
    remembered = session.info.get(_CONNECTION_KEY)
    transaction = session.get_transaction()
    if remembered is not None and transaction is not None and remembered[0] is transaction:
        connection: Connection = remembered[1]
        return connection
    connection = session.connection()
    session.info[_CONNECTION_KEY] = (session.get_transaction(), connection)
    return connection


def _execute(connection: Connection, prepared: _Compiled, bound: Any) -> list[tuple[Any, ...]]:
    dbapi_connection = connection.connection
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(prepared.sql, bound)
        if prepared.results is None:
            return []
        rows = cursor.fetchall()
    except connection.dialect.loaded_dbapi.Error as error:
        lost = connection.dialect.is_disconnect(error, dbapi_connection, cursor)
        if lost:
            connection.invalidate(error)
        raise sa_exc.DBAPIError.instance(
            prepared.sql, bound, error, connection.dialect.loaded_dbapi.Error,
            hide_parameters=True, connection_invalidated=lost,
            dialect=connection.dialect) from error
    finally:
        cursor.close()
    processors = prepared.results
    if not any(processors):
        return [tuple(row) for row in rows]
    return [tuple(value if process is None else process(value)
                  for process, value in zip(processors, row, strict=True)) for row in rows]
