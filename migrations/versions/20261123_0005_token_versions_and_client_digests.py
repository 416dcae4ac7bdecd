"""token versions; sign-in attempts keep a keyed digest of the client address

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('token_version', server_default=None)
    # Past attempts hold plain addresses, which are not to be kept; they only ever served the
    # last hour's throttling, so they go rather than being carried over.
    op.execute("DELETE FROM login_attempts")
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_client_address')
        batch_op.alter_column('client_address', new_column_name='client_digest',
                              existing_type=sa.String(length=64))
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempts_client_digest'), ['client_digest'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_client_digest'))
        batch_op.alter_column('client_digest', new_column_name='client_address',
                              existing_type=sa.String(length=64))
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_client_address', ['client_address'],
                              unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('token_version')
