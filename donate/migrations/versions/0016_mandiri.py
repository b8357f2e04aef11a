"""lanjut mandiri notices: a worker told once per end of cover how to go on paying alone, and what BPJS later reports

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 20:10:50.746960

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mandiri_notices',
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('last_month', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('monthly_idr', sa.BigInteger(), nullable=False),
    sa.Column('arrears_until', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_ref', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('paid_until_month', sa.Integer(), nullable=True),
    sa.Column('reported_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_mandiri_notices_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_mandiri_notices_worker_id_workers')),
    sa.PrimaryKeyConstraint('worker_id', 'last_month', name=op.f('pk_mandiri_notices'))
    )
    with op.batch_alter_table('mandiri_notices', schema=None) as batch_op:
        batch_op.create_index('ix_mandiri_notices_campaign_created', ['campaign_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('mandiri_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_mandiri_notices_campaign_created')

    op.drop_table('mandiri_notices')
