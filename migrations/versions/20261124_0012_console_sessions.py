"""console sessions, and the indexes the console's keyset pages read

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 06:54:49.082630
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('console_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('client_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_sessions_token_sha256'), ['token_sha256'],
                              unique=True)
        batch_op.create_index(batch_op.f('ix_console_sessions_user_id'), ['user_id'],
                              unique=False)
    # Lists page by keyset (never OFFSET): each needs an index in its own order.
    op.drop_index('ix_applications_submitted_at', table_name='applications')
    op.drop_index('ix_applications_submitted_by', table_name='applications')
    op.create_index('ix_applications_submitted_at_id', 'applications',
                    ['submitted_at', 'id', 'status', 'outcome'])
    op.create_index('ix_applications_submitted_by_at', 'applications',
                    ['submitted_by', 'submitted_at', 'id'])
    op.create_index('ix_applications_idempotency_key', 'applications', ['idempotency_key'])
    op.drop_index('ix_applications_status', table_name='applications')
    op.create_index('ix_applications_status', 'applications', ['status', 'submitted_at', 'id'])
    for name in ('ix_audit_events_entity', 'ix_audit_events_actor', 'ix_audit_events_action'):
        op.drop_index(name, table_name='audit_events')
    op.create_index('ix_audit_events_entity', 'audit_events', ['entity_type', 'entity_id', 'seq'])
    op.create_index('ix_audit_events_actor', 'audit_events', ['actor_id', 'seq'])
    op.create_index('ix_audit_events_action', 'audit_events', ['action', 'seq'],
                    postgresql_ops={'action': 'text_pattern_ops'})
    op.create_index('ix_screenings_status', 'screenings', ['status', 'screened_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_screenings_status', table_name='screenings')
    for name in ('ix_audit_events_entity', 'ix_audit_events_actor', 'ix_audit_events_action'):
        op.drop_index(name, table_name='audit_events')
    op.create_index('ix_audit_events_entity', 'audit_events', ['entity_type', 'entity_id'])
    op.create_index('ix_audit_events_actor', 'audit_events', ['actor_id'])
    op.create_index('ix_audit_events_action', 'audit_events', ['action'])
    op.drop_index('ix_applications_status', table_name='applications')
    op.create_index('ix_applications_status', 'applications', ['status'])
    op.drop_index('ix_applications_idempotency_key', table_name='applications')
    op.drop_index('ix_applications_submitted_by_at', table_name='applications')
    op.drop_index('ix_applications_submitted_at_id', table_name='applications')
    op.create_index('ix_applications_submitted_by', 'applications', ['submitted_by'])
    op.create_index('ix_applications_submitted_at', 'applications', ['submitted_at'])
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_console_sessions_token_sha256'))
    op.drop_table('console_sessions')
