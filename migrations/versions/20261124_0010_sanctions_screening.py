"""sanctions screening: list versions, screenings, dispositions, rescreens

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 02:23:35.358017
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# One version of each list in force: a partial unique index, on both backends.
IN_FORCE_ONLY = {"sqlite_where": sa.text("state = 'in_force'"),
                 "postgresql_where": sa.text("state = 'in_force'")}


def upgrade() -> None:
    op.create_table('screening_lists',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('list_name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('loaded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('individual_count', sa.Integer(), nullable=False),
    sa.Column('problems', JSON_VALUE, nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('screening_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_lists_sha256'), ['sha256'], unique=False)
        batch_op.create_index('uq_screening_lists_in_force', ['list_name'], unique=True,
                              **IN_FORCE_ONLY)

    op.create_table('screening_rescreens',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('list_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('cursor', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('screened', sa.Integer(), nullable=False),
    sa.Column('raised', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('screening_dispositions',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('subject_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('list_name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('entry_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entry_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('list_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('disposition', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('approval_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('maker_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('checker_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('note_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('screening_dispositions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_dispositions_application_id'),
                              ['application_id'], unique=False)
        batch_op.create_index('ix_screening_dispositions_lookup',
                              ['subject_digest', 'list_name', 'entry_id'], unique=False)

    op.create_table('screening_list_entries',
    sa.Column('list_id', sa.String(length=32), nullable=False),
    sa.Column('entry_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('entry_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entry', JSON_VALUE, nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['screening_lists.id'], ),
    sa.PrimaryKeyConstraint('list_id', 'entry_id')
    )
    op.create_table('screenings',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=True),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rescreen_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('screened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('screened_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('subject_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('lists', JSON_VALUE, nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('matches', JSON_VALUE, nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screenings_application_id'), ['application_id'],
                              unique=False)
        batch_op.create_index('ix_screenings_subject', ['subject_digest'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_index('ix_screenings_subject')
        batch_op.drop_index(batch_op.f('ix_screenings_application_id'))

    op.drop_table('screenings')
    op.drop_table('screening_list_entries')
    with op.batch_alter_table('screening_dispositions', schema=None) as batch_op:
        batch_op.drop_index('ix_screening_dispositions_lookup')
        batch_op.drop_index(batch_op.f('ix_screening_dispositions_application_id'))

    op.drop_table('screening_dispositions')
    op.drop_table('screening_rescreens')
    with op.batch_alter_table('screening_lists', schema=None) as batch_op:
        batch_op.drop_index('uq_screening_lists_in_force', **IN_FORCE_ONLY)
        batch_op.drop_index(batch_op.f('ix_screening_lists_sha256'))

    op.drop_table('screening_lists')
