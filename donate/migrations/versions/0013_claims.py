"""claims BPJS paid for covered workers (JKK benefits, JKM to heirs), tied to the accepted month that covered the event

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 19:33:09.742038

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('coverage_month_id', sa.Integer(), nullable=False),
    sa.Column('programme', sa.Enum('jkk', 'jkm', name='claimprogramme', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('kind', sa.Enum('medical', 'income', 'disability', 'accident_death', 'heirs', name='claimkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('amount_idr', sa.BigInteger(), nullable=False),
    sa.Column('scholarship_idr', sa.BigInteger(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_idr > 0', name=op.f('ck_claims_amount_positive')),
    sa.CheckConstraint('scholarship_idr >= 0', name=op.f('ck_claims_scholarship_nonnegative')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_claims_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['coverage_month_id'], ['coverage_months.id'], name=op.f('fk_claims_coverage_month_id_coverage_months')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_claims_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_claims_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims')),
    sa.UniqueConstraint('worker_id', 'kind', 'event_date', name=op.f('uq_claims_worker_id_kind_event_date'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index('ix_claims_campaign_id_id', ['campaign_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_coverage_month_id'), ['coverage_month_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_worker_id'), ['worker_id'], unique=False)



def downgrade():
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_worker_id'))
        batch_op.drop_index(batch_op.f('ix_claims_coverage_month_id'))
        batch_op.drop_index('ix_claims_campaign_id_id')

    op.drop_table('claims')
