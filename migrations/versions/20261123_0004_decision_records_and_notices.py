"""decision records, kept inputs, reason catalogues, notice obligations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:30:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
JSON_COLUMNS = ('characteristics', 'derivation', 'cleansing', 'duplicate_flags')


def _json_cast(column: str) -> dict[str, str]:
    # PostgreSQL converts the text in place; SQLite stores JSON as text already.
    if op.get_bind().dialect.name == "postgresql":
        return {"postgresql_using": f"{column}::jsonb"}
    return {}


def upgrade() -> None:
    # Applications decided before this revision kept no inputs: they get an empty object,
    # which a replay reports as not replayable rather than guessing.
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inputs', JSON_VALUE, nullable=False,
                                      server_default=sa.text("'{}'")))
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.alter_column('inputs', server_default=None)
        # An incomplete application may not have a national id yet.
        batch_op.alter_column('national_id_digest', existing_type=sqlmodel.sql.sqltypes.AutoString(
            length=64), nullable=True)
        # What intake derived, kept as JSON rather than text parsed by hand.
        for column in JSON_COLUMNS:
            batch_op.alter_column(column, existing_type=sa.Text(), type_=JSON_VALUE,
                                  existing_nullable=False, **_json_cast(column))

    with op.batch_alter_table('applicant_identities', schema=None) as batch_op:
        batch_op.alter_column('national_id', existing_type=sqlmodel.sql.sqltypes.AutoString(
            length=40), nullable=True)
        batch_op.alter_column('address', existing_type=sa.Text(), nullable=True)

    with op.batch_alter_table('application_monitoring', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marital_status', sqlmodel.sql.sqltypes.AutoString(
            length=16), nullable=False, server_default='not_provided'))

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sqlmodel.sql.sqltypes.AutoString(length=16),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=24))
        batch_op.add_column(sa.Column('adverse_action', sqlmodel.sql.sqltypes.AutoString(
            length=16), nullable=True))
        batch_op.add_column(sa.Column('reason_catalog_version', sqlmodel.sql.sqltypes.AutoString(
            length=32), nullable=True))
        batch_op.add_column(sa.Column('record', JSON_VALUE, nullable=False,
                                      server_default=sa.text("'{}'")))
    _move_decision_columns_into_record()
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('record', server_default=None)
        for column in ('reasons', 'knockouts', 'terms', 'counteroffer'):
            batch_op.drop_column(column)

    op.create_table('reason_catalogs',
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('body', JSON_VALUE, nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version')
    )
    op.create_table('notice_obligations',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('decision_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('missing', JSON_VALUE, nullable=False),
    sa.Column('respond_by', sa.Date(), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery_channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('delivered_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('closed_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notice_obligations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_obligations_application_id'),
                              ['application_id'], unique=False)
        batch_op.create_index('ix_notice_obligations_status_due', ['status', 'due_date'],
                              unique=False)


def _move_decision_columns_into_record() -> None:
    """Decisions made before this revision keep what they stated, now in their record."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT id, outcome, reasons, knockouts, terms, counteroffer FROM decisions")).all()
    update = sa.text("UPDATE decisions SET record = :record WHERE id = :id").bindparams(
        sa.bindparam("record", type_=JSON_VALUE))
    for row in rows:
        record = {
            "outcome": row.outcome,
            "reasons": json.loads(row.reasons or "[]"),
            "knockouts": json.loads(row.knockouts or "[]"),
            "terms": json.loads(row.terms) if row.terms else None,
            "counteroffer": json.loads(row.counteroffer) if row.counteroffer else None,
            "incomplete": [],
        }
        connection.execute(update, {"record": record, "id": row.id})


def downgrade() -> None:
    with op.batch_alter_table('notice_obligations', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_obligations_status_due')
        batch_op.drop_index(batch_op.f('ix_notice_obligations_application_id'))
    op.drop_table('notice_obligations')
    op.drop_table('reason_catalogs')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reasons', sa.Text(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('knockouts', sa.Text(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('terms', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('counteroffer', sa.Text(), nullable=True))
        batch_op.drop_column('record')
        batch_op.drop_column('reason_catalog_version')
        batch_op.drop_column('adverse_action')
        batch_op.alter_column('kind', existing_type=sqlmodel.sql.sqltypes.AutoString(length=24),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=16))
    with op.batch_alter_table('application_monitoring', schema=None) as batch_op:
        batch_op.drop_column('marital_status')
    with op.batch_alter_table('applicant_identities', schema=None) as batch_op:
        batch_op.alter_column('address', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('national_id', existing_type=sqlmodel.sql.sqltypes.AutoString(
            length=40), nullable=False)
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.alter_column('national_id_digest', existing_type=sqlmodel.sql.sqltypes.AutoString(
            length=64), nullable=False)
        batch_op.drop_column('inputs')
        for column in JSON_COLUMNS:
            batch_op.alter_column(column, existing_type=JSON_VALUE, type_=sa.Text(),
                                  existing_nullable=False,
                                  **({"postgresql_using": f"{column}::text"}
                                     if op.get_bind().dialect.name == "postgresql" else {}))
