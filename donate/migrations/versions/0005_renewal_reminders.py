"""renewal reminders sent to sponsors, one per worker, donor and month

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'renewal_reminders',
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('donor_email', sa.String(length=254), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_renewal_reminders_worker_id_workers')),
        sa.PrimaryKeyConstraint('worker_id', 'donor_email', 'month', name=op.f('pk_renewal_reminders')),
    )


def downgrade():
    op.drop_table('renewal_reminders')
