"""model lifecycle and monitoring: governance columns and transitions, shadow decisions, scored
characteristics, drift checks and alerts, loan outcomes, back-tests, job runs

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 04:19:45.104003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# Statuses before the lifecycle: a candidate is a draft; the active version has been deciding
# applications, and stays the champion (its validation and approval were never recorded, which
# `riskdesk models show` says).
ONLY_CHAMPION = {"sqlite_where": sa.text("status = 'champion'"),
                 "postgresql_where": sa.text("status = 'champion'")}
ONLY_CHALLENGER = {"sqlite_where": sa.text("status = 'challenger'"),
                   "postgresql_where": sa.text("status = 'challenger'")}
RENAMED = (("candidate", "draft"), ("active", "champion"))


def upgrade() -> None:
    op.create_table('backtests',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('model_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('result', JSON_VALUE, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('backtests', schema=None) as batch_op:
        batch_op.create_index('ix_backtests_model', ['model_version', 'created_at'], unique=False)

    op.create_table('drift_checks',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('model_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('live_rows', sa.Integer(), nullable=False),
    sa.Column('score_psi', sa.Float(), nullable=True),
    sa.Column('worst_csi', sa.Float(), nullable=True),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('warn_threshold', sa.Float(), nullable=False),
    sa.Column('act_threshold', sa.Float(), nullable=False),
    sa.Column('result', JSON_VALUE, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('drift_checks', schema=None) as batch_op:
        batch_op.create_index('ix_drift_checks_model',
                              ['model_version', 'checked_at'], unique=False)

    op.create_table('job_runs',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('params', JSON_VALUE, nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('cursor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('result', JSON_VALUE, nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'key', name='uq_job_runs_kind_key')
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_state', ['state'], unique=False)

    op.create_table('outcome_loads',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('loaded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('defaults', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('drift_alerts',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('drift_check_id', sa.String(length=32), nullable=False),
    sa.Column('model_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('crossings', JSON_VALUE, nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('acknowledgement', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['drift_check_id'], ['drift_checks.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('drift_check_id')
    )
    with op.batch_alter_table('drift_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_drift_alerts_open',
                              ['acknowledged_at', 'raised_at'], unique=False)

    op.create_table('loan_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('defaulted', sa.Boolean(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('load_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['load_id'], ['outcome_loads.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id', 'observed_on', name='uq_loan_outcomes_observation')
    )
    with op.batch_alter_table('loan_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_outcomes_application_id'),
                              ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loan_outcomes_load_id'), ['load_id'], unique=False)

    op.create_table('scored_characteristics',
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('model_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('characteristic', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bin_index', sa.Integer(), nullable=False),
    sa.Column('bin_label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.PrimaryKeyConstraint('application_id', 'model_version', 'characteristic')
    )
    with op.batch_alter_table('scored_characteristics', schema=None) as batch_op:
        batch_op.create_index('ix_scored_characteristics_drift',
                              ['model_version', 'scored_at', 'characteristic', 'bin_index'],
                              unique=False)

    op.create_table('registry_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('actor_role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('registry_transitions', schema=None) as batch_op:
        batch_op.create_index('ix_registry_transitions_subject',
                              ['kind', 'version', 'at'], unique=False)

    op.create_table('shadow_decisions',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('decision_id', sa.String(length=32), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('model_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('policy_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('risk_tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('probability_of_default', sa.Float(), nullable=False),
    sa.Column('reason_codes', JSON_VALUE, nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id', 'model_version', 'policy_version',
                        name='uq_shadow_decisions_pair')
    )
    with op.batch_alter_table('shadow_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_shadow_decisions_model_decided',
                              ['model_version', 'decided_at'], unique=False)

    for table in ("scoring_models", "decision_policies"):
        for old, new in RENAMED:
            op.execute(sa.text(f"UPDATE {table} SET status = :new WHERE status = :old")
                       .bindparams(new=new, old=old))

    with op.batch_alter_table('decision_policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('validated_by', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('validation_report_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('uq_decision_policies_one_challenger',
                              ['status'], unique=True, **ONLY_CHALLENGER)
        batch_op.create_index('uq_decision_policies_one_champion',
                              ['status'], unique=True, **ONLY_CHAMPION)
        batch_op.create_foreign_key('fk_decision_policies_validation_report', 'reports',
                                    ['validation_report_id'], ['id'])

    with op.batch_alter_table('scoring_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('validated_by', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('validation_report_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('uq_scoring_models_one_challenger',
                              ['status'], unique=True, **ONLY_CHALLENGER)
        batch_op.create_index('uq_scoring_models_one_champion',
                              ['status'], unique=True, **ONLY_CHAMPION)
        batch_op.create_foreign_key('fk_scoring_models_validation_report', 'reports',
                                    ['validation_report_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('scoring_models', schema=None) as batch_op:
        batch_op.drop_constraint('fk_scoring_models_validation_report', type_='foreignkey')
        batch_op.drop_index('uq_scoring_models_one_champion', **ONLY_CHAMPION)
        batch_op.drop_index('uq_scoring_models_one_challenger', **ONLY_CHALLENGER)
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('validation_report_id')
        batch_op.drop_column('validated_at')
        batch_op.drop_column('validated_by')

    with op.batch_alter_table('decision_policies', schema=None) as batch_op:
        batch_op.drop_constraint('fk_decision_policies_validation_report', type_='foreignkey')
        batch_op.drop_index('uq_decision_policies_one_champion', **ONLY_CHAMPION)
        batch_op.drop_index('uq_decision_policies_one_challenger', **ONLY_CHALLENGER)
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('validation_report_id')
        batch_op.drop_column('validated_at')
        batch_op.drop_column('validated_by')
        batch_op.drop_column('activated_at')

    with op.batch_alter_table('shadow_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_shadow_decisions_model_decided')

    op.drop_table('shadow_decisions')
    with op.batch_alter_table('registry_transitions', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_transitions_subject')

    op.drop_table('registry_transitions')
    with op.batch_alter_table('scored_characteristics', schema=None) as batch_op:
        batch_op.drop_index('ix_scored_characteristics_drift')

    op.drop_table('scored_characteristics')
    with op.batch_alter_table('loan_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_outcomes_load_id'))
        batch_op.drop_index(batch_op.f('ix_loan_outcomes_application_id'))

    op.drop_table('loan_outcomes')
    with op.batch_alter_table('drift_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_drift_alerts_open')

    op.drop_table('drift_alerts')
    op.drop_table('outcome_loads')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_state')

    op.drop_table('job_runs')
    with op.batch_alter_table('drift_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_drift_checks_model')

    op.drop_table('drift_checks')
    with op.batch_alter_table('backtests', schema=None) as batch_op:
        batch_op.drop_index('ix_backtests_model')

    op.drop_table('backtests')
    for table in ("scoring_models", "decision_policies"):
        op.execute(sa.text(f"UPDATE {table} SET status = 'candidate' WHERE status IN "
                           "('draft', 'validated', 'approved', 'challenger')"))
        op.execute(sa.text(f"UPDATE {table} SET status = 'active' WHERE status = 'champion'"))
