"""the underwriters' review queue: cases, their sealed notes, and decisions waiting for a
second underwriter (four-eyes)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 01:36:10
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('review_cases',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assignee_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('detail', JSON_VALUE, nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_cases_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_cases_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_review_cases_state_due', ['state', 'due_at'], unique=False)

    op.create_table('case_notes',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('author_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('attachments', JSON_VALUE, nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['review_cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_notes_case_id'), ['case_id'], unique=False)

    op.create_table('four_eyes_approvals',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=True),
    sa.Column('rules', JSON_VALUE, nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('maker_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('maker_role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('proposal', JSON_VALUE, nullable=False),
    sa.Column('note_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('checker_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['review_cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('four_eyes_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_four_eyes_approvals_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_four_eyes_approvals_state', ['state', 'made_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('four_eyes_approvals', schema=None) as batch_op:
        batch_op.drop_index('ix_four_eyes_approvals_state')
        batch_op.drop_index(batch_op.f('ix_four_eyes_approvals_application_id'))

    op.drop_table('four_eyes_approvals')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_notes_case_id'))

    op.drop_table('case_notes')
    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_review_cases_state_due')
        batch_op.drop_index(batch_op.f('ix_review_cases_assignee_id'))
        batch_op.drop_index(batch_op.f('ix_review_cases_application_id'))

    op.drop_table('review_cases')
