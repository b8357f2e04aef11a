"""the waiting workers' covering index holds company_id, which the general waitlist now tests

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 21:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_index('ix_workers_waiting')
        batch_op.create_index('ix_workers_waiting', ['campaign_id', 'verification', 'last_live_month', 'consent_at',
                                                     'flag_reason', 'company_id'], unique=False)


def downgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_index('ix_workers_waiting')
        batch_op.create_index('ix_workers_waiting', ['campaign_id', 'verification', 'last_live_month', 'consent_at',
                                                     'flag_reason'], unique=False)
