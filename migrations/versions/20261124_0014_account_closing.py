"""loan accounts are closed by servicing, with the reason, the time, who closed them and their note

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 14:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('loan_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_reason', sqlmodel.sql.sqltypes.AutoString(
            length=16), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('closed_note', sqlmodel.sql.sqltypes.AutoString(
            length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('loan_accounts', schema=None) as batch_op:
        batch_op.drop_column('closed_note')
        batch_op.drop_column('closed_by')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('closed_reason')
