"""indexes for the manage pages: the workers list newest first, a campaign's latest journal entries, a batch's months by state; the waitlist's never-funded half as a partial index

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 20:25:00

"""
import sqlalchemy as sa
from alembic import op

NEVER_FUNDED = 'last_live_month IS NULL'


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.create_index('ix_workers_registered', ['campaign_id', 'registered_at', 'id'], unique=False)
        batch_op.drop_index('ix_workers_queue')
        batch_op.create_index('ix_workers_queue', ['campaign_id', 'verification', sa.text('priority DESC'),
                                                   'registered_at', 'id'], unique=False,
                              postgresql_where=sa.text(NEVER_FUNDED), sqlite_where=sa.text(NEVER_FUNDED))
    with op.batch_alter_table('journals', schema=None) as batch_op:
        batch_op.drop_index('ix_journals_campaign_created')
        batch_op.create_index('ix_journals_campaign_created', ['campaign_id', 'created_at', 'id'], unique=False)
    with op.batch_alter_table('coverage_months', schema=None) as batch_op:
        batch_op.drop_index('ix_coverage_months_batch_id')
        batch_op.create_index('ix_coverage_months_batch_state', ['batch_id', 'state', 'worker_id'], unique=False)


def downgrade():
    with op.batch_alter_table('coverage_months', schema=None) as batch_op:
        batch_op.drop_index('ix_coverage_months_batch_state')
        batch_op.create_index('ix_coverage_months_batch_id', ['batch_id'], unique=False)
    with op.batch_alter_table('journals', schema=None) as batch_op:
        batch_op.drop_index('ix_journals_campaign_created')
        batch_op.create_index('ix_journals_campaign_created', ['campaign_id', 'created_at'], unique=False)
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_index('ix_workers_queue')
        batch_op.create_index('ix_workers_queue', ['campaign_id', 'verification', 'last_live_month',
                                                   sa.text('priority DESC'), 'registered_at', 'id'], unique=False)
        batch_op.drop_index('ix_workers_registered')
