"""The reason statements decisions are explained with, registered by version for replay."""

from __future__ import annotations

import threading
from functools import lru_cache

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.errors import ServiceUnavailable
from app.models import ReasonCatalogVersion
from app.models.base import utcnow
from compliance.ledger import canonical_json, sha256_hex
from risk_models.reasons import ReasonCatalog

_registered: set[tuple[str, str]] = set()
_guard = threading.Lock()


@lru_cache(maxsize=16)
def catalog_sha256(catalog: ReasonCatalog) -> str:
    """The digest of a catalogue's statements; computed once per catalogue object, since every
    decision names the bundled one's."""
    return sha256_hex(canonical_json(dict(catalog.table)))


def reason_catalog(session: Session) -> ReasonCatalog:
    """The bundled catalogue, stored under its version the first time this database uses it.

    A version whose statements changed without a new version number is refused: a replay must
    find exactly the statements its decision was explained with.
    """
    catalog = ReasonCatalog.bundled()
    sha = catalog_sha256(catalog)
    key = (str(session.get_bind().engine.url), catalog.version)
    if key in _registered:
        return catalog
    row = session.get(ReasonCatalogVersion, catalog.version)
    if row is None:
        # Concurrent first decisions may each find no row: the first insert wins, the others
        # (waiting on it in PostgreSQL) insert nothing. Not remembered as registered yet: this
        # transaction may still roll back.
        insert = (postgresql_insert if session.get_bind().dialect.name == "postgresql"
                  else sqlite_insert)
        session.execute(insert(ReasonCatalogVersion).values(
            version=catalog.version, sha256=sha, body=dict(catalog.table),
            registered_at=utcnow()).on_conflict_do_nothing(index_elements=["version"]))
        return catalog
    if row.sha256 != sha:
        raise ServiceUnavailable(
            f"the reason statements of version {catalog.version} differ from those stored "
            "under that version; give the edited statements a new version",
            code="reason_catalog_integrity")
    with _guard:
        _registered.add(key)
    return catalog


def catalog_version(session: Session, version: str) -> ReasonCatalog | None:
    """A stored catalogue version, checked against its digest; ``None`` if never stored."""
    row = session.get(ReasonCatalogVersion, version)
    if row is None:
        return None
    catalog = ReasonCatalog(row.body)
    if catalog_sha256(catalog) != row.sha256:
        raise ServiceUnavailable(f"stored reason catalogue {version} does not match its digest",
                                 code="reason_catalog_integrity")
    return catalog
