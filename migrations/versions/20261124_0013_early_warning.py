"""early warning: loan accounts and their events, assessments, rule sets, actions, the watch list
and snoozes; each scoring model's purpose (application or behavioural)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 11:41:18.335339
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('event_loads',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('loaded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('applied', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('rule_set_version', sa.Integer(), nullable=True),
    sa.Column('problems', JSON_VALUE, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event_loads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_loads_loaded_at'), ['loaded_at'], unique=False)

    op.create_table('rule_sets',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('body', JSON_VALUE, nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('based_on', sa.Integer(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shadow', JSON_VALUE, nullable=True),
    sa.PrimaryKeyConstraint('version')
    )
    with op.batch_alter_table('rule_sets', schema=None) as batch_op:
        batch_op.create_index('uq_rule_sets_one_published', ['state'], unique=True, sqlite_where=sa.text("state = 'published'"), postgresql_where=sa.text("state = 'published'"))

    op.create_table('customer_snoozes',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=32), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subject_id'], ['data_subjects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_snoozes', schema=None) as batch_op:
        batch_op.create_index('ix_customer_snoozes_subject', ['subject_id', 'until'], unique=False)

    op.create_table('loan_accounts',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=32), nullable=False),
    sa.Column('product', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('principal', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('credit_limit', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('apr', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('monthly_payment', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('booked_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('days_past_due', sa.Integer(), nullable=False),
    sa.Column('dpd_bucket', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('level_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('behavioural_score', sa.Float(), nullable=True),
    sa.Column('behavioural_pd', sa.Float(), nullable=True),
    sa.Column('behavioural_model', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('application_pd', sa.Float(), nullable=True),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('events_applied', sa.Integer(), nullable=False),
    sa.Column('history', JSON_VALUE, nullable=False),
    sa.Column('characteristics', JSON_VALUE, nullable=False),
    sa.Column('signals', JSON_VALUE, nullable=False),
    sa.Column('drivers', JSON_VALUE, nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['subject_id'], ['data_subjects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id')
    )
    with op.batch_alter_table('loan_accounts', schema=None) as batch_op:
        batch_op.create_index('ix_loan_accounts_level', ['level', 'dpd_bucket'], unique=False)
        batch_op.create_index('ix_loan_accounts_subject', ['subject_id'], unique=False)

    op.create_table('account_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('previous_level', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('behavioural_pd', sa.Float(), nullable=True),
    sa.Column('rule_set_version', sa.Integer(), nullable=True),
    sa.Column('signals', JSON_VALUE, nullable=False),
    sa.Column('drivers', JSON_VALUE, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['loan_accounts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_assessments', schema=None) as batch_op:
        batch_op.create_index('ix_account_assessments_account', ['account_id', 'id'], unique=False)
        batch_op.create_index('ix_account_assessments_at', ['assessed_at'], unique=False)

    op.create_table('account_events',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('load_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('payload', JSON_VALUE, nullable=False),
    sa.Column('text_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('derived', JSON_VALUE, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['loan_accounts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_events', schema=None) as batch_op:
        batch_op.create_index('ix_account_events_account_time', ['account_id', 'occurred_at'], unique=False)

    op.create_table('watch_list',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('exit_requested_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('exit_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exit_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('exited_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('exited_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['loan_accounts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('watch_list', schema=None) as batch_op:
        batch_op.create_index('ix_watch_list_state', ['state', 'added_at'], unique=False)
        batch_op.create_index('uq_watch_list_one_active', ['account_id'], unique=True, sqlite_where=sa.text("state != 'exited'"), postgresql_where=sa.text("state != 'exited'"))

    op.create_table('account_actions',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('rule_set_version', sa.Integer(), nullable=True),
    sa.Column('rule_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('high_impact', sa.Boolean(), nullable=False),
    sa.Column('params', JSON_VALUE, nullable=False),
    sa.Column('held_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('maker_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('checker_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('decision_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('notice_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['loan_accounts.id'], ),
    sa.ForeignKeyConstraint(['assessment_id'], ['account_assessments.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_actions', schema=None) as batch_op:
        batch_op.create_index('ix_account_actions_account', ['account_id', 'created_at'], unique=False)
        batch_op.create_index('ix_account_actions_contacts', ['account_id', 'kind', 'channel', 'created_at'], unique=False)
        batch_op.create_index('ix_account_actions_state', ['state', 'created_at', 'id'], unique=False)

    with op.batch_alter_table('scoring_models', schema=None) as batch_op:
        # Every model registered so far decides applications.
        batch_op.add_column(sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=False, server_default='application'))
        batch_op.drop_index('uq_scoring_models_one_challenger')
        batch_op.create_index('uq_scoring_models_one_challenger', ['purpose', 'status'], unique=True, sqlite_where=sa.text("status = 'challenger'"), postgresql_where=sa.text("status = 'challenger'"))
        batch_op.drop_index('uq_scoring_models_one_champion')
        batch_op.create_index('uq_scoring_models_one_champion', ['purpose', 'status'], unique=True, sqlite_where=sa.text("status = 'champion'"), postgresql_where=sa.text("status = 'champion'"))



def downgrade() -> None:
    with op.batch_alter_table('scoring_models', schema=None) as batch_op:
        batch_op.drop_index('uq_scoring_models_one_champion', sqlite_where=sa.text("status = 'champion'"), postgresql_where=sa.text("status = 'champion'"))
        batch_op.create_index('uq_scoring_models_one_champion', ['status'], unique=True,
                              sqlite_where=sa.text("status = 'champion'"),
                              postgresql_where=sa.text("status = 'champion'"))
        batch_op.drop_index('uq_scoring_models_one_challenger', sqlite_where=sa.text("status = 'challenger'"), postgresql_where=sa.text("status = 'challenger'"))
        batch_op.create_index('uq_scoring_models_one_challenger', ['status'], unique=True,
                              sqlite_where=sa.text("status = 'challenger'"),
                              postgresql_where=sa.text("status = 'challenger'"))
        batch_op.drop_column('purpose')

    with op.batch_alter_table('account_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_account_actions_state')
        batch_op.drop_index('ix_account_actions_contacts')
        batch_op.drop_index('ix_account_actions_account')

    op.drop_table('account_actions')
    with op.batch_alter_table('watch_list', schema=None) as batch_op:
        batch_op.drop_index('uq_watch_list_one_active', sqlite_where=sa.text("state != 'exited'"), postgresql_where=sa.text("state != 'exited'"))
        batch_op.drop_index('ix_watch_list_state')

    op.drop_table('watch_list')
    with op.batch_alter_table('account_events', schema=None) as batch_op:
        batch_op.drop_index('ix_account_events_account_time')

    op.drop_table('account_events')
    with op.batch_alter_table('account_assessments', schema=None) as batch_op:
        batch_op.drop_index('ix_account_assessments_at')
        batch_op.drop_index('ix_account_assessments_account')

    op.drop_table('account_assessments')
    with op.batch_alter_table('loan_accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_loan_accounts_subject')
        batch_op.drop_index('ix_loan_accounts_level')

    op.drop_table('loan_accounts')
    with op.batch_alter_table('customer_snoozes', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_snoozes_subject')

    op.drop_table('customer_snoozes')
    with op.batch_alter_table('rule_sets', schema=None) as batch_op:
        batch_op.drop_index('uq_rule_sets_one_published', sqlite_where=sa.text("state = 'published'"), postgresql_where=sa.text("state = 'published'"))

    op.drop_table('rule_sets')
    with op.batch_alter_table('event_loads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_loads_loaded_at'))

    op.drop_table('event_loads')
