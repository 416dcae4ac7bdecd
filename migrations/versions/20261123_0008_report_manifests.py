"""reports keep the canonical input manifest they were built from, with its sha256

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-23 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Reports made before manifests keep none: they can be checked against the ledger's hash
    # of their bytes but not rebuilt (verification says so). Bytes: a notice's manifest names
    # its applicant and is sealed under their key, like its PDF.
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manifest', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('manifest_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('manifest_sha256')
        batch_op.drop_column('manifest')
