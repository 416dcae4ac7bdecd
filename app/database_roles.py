"""The PostgreSQL role the service runs as: it reads and writes the service's tables and only
reads and appends to the ledger. It owns no table, so it cannot disable or drop the ledger's
triggers (``ALTER TABLE`` and ``DROP TRIGGER`` are the owner's), nor may it become the owner.

The grant is run as the tables' owner, the role migrations run as, after every migration: a
table a migration adds is granted then.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from app.errors import Conflict

LEDGER_TABLE = "audit_events"
# The service reads which migration the schema is at; it changes nothing there.
READ_ONLY_TABLES = frozenset({"alembic_version"})
LEDGER_PRIVILEGES = "SELECT, INSERT"
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ServiceRoleRefused(Conflict):
    code = "service_role_refused"


def trigger_risks(connection: Connection, role: str) -> list[str]:
    """Why ``role`` could disable the ledger's triggers on this database; empty when it cannot.

    A superuser can; so can the ledger table's owner, a member of the owner's role (it may
    ``SET ROLE`` to it), and a role with CREATEROLE (before PostgreSQL 16 it may grant itself
    that membership).
    """
    found = connection.execute(text(
        "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = :role"),
        {"role": role}).first()
    if found is None:
        return [f"there is no role {role}"]
    risks = []
    if found.rolsuper:
        risks.append(f"{role} is a superuser")
    if found.rolcreaterole:
        risks.append(f"{role} has CREATEROLE")
    owner = connection.execute(text(
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename = :table"), {"table": LEDGER_TABLE}).scalar()
    if owner == role:
        risks.append(f"{role} owns {LEDGER_TABLE}")
    elif owner is not None and connection.execute(text(
            "SELECT pg_has_role(:role, :owner, 'MEMBER')"), {"role": role, "owner": owner}
            ).scalar():
        risks.append(f"{role} is a member of {owner}, the owner of {LEDGER_TABLE}")
    return risks


def grant_service_role(connection: Connection, role: str) -> list[str]:
    """Grant ``role`` what the service needs and nothing more; return the statements run.

    Every privilege ``role`` held on the schema's tables and sequences is revoked first, so a
    second run also takes back what someone granted by hand. Refused for a role that could
    disable the ledger's triggers (:func:`trigger_risks`).
    """
    if connection.dialect.name != "postgresql":
        raise ServiceRoleRefused("database roles are PostgreSQL's: on SQLite the service and "
                                 "migrations share one file and one user")
    if not _ROLE_NAME.match(role):
        raise ServiceRoleRefused(f"{role!r} is not a plain role name (lower-case letters, "
                                 "digits and underscores)")
    tables = list(connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "ORDER BY tablename")).scalars())
    if LEDGER_TABLE not in tables:
        raise ServiceRoleRefused("the schema has no ledger yet: run `riskdesk db upgrade` first")
    risks = trigger_risks(connection, role)
    if risks:
        raise ServiceRoleRefused(
            f"{role} could disable the ledger's triggers ({'; '.join(risks)}): create a plain "
            f"login role for the service, e.g. CREATE ROLE {role} LOGIN PASSWORD '...'")
    quote = connection.dialect.identifier_preparer.quote
    schema = quote(str(connection.execute(text("SELECT current_schema()")).scalar()))
    grantee = quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {grantee}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {grantee}",
    ]
    for table in tables:
        privileges = (LEDGER_PRIVILEGES if table == LEDGER_TABLE
                      else "SELECT" if table in READ_ONLY_TABLES else TABLE_PRIVILEGES)
        statements.append(f"GRANT {privileges} ON {schema}.{quote(table)} TO {grantee}")
    # nextval() of the tables' serial ids.
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {grantee}")
    for statement in statements:
        connection.execute(text(statement))
    return statements
