"""indexes for the write path and the manage pages: the waitlist's head in queue order, a batch's months by state

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 19:55:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_index('ix_workers_queue')
        batch_op.create_index('ix_workers_queue', ['campaign_id', 'verification', 'last_live_month',
                                                   sa.text('priority DESC'), 'registered_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_index('ix_workers_queue')
        batch_op.create_index('ix_workers_queue', ['campaign_id', 'verification', 'last_live_month', 'priority',
                                                   'registered_at'], unique=False)
