"""JHT as an option: a JHT rate in the schedule (2% of declared income for BPU), and campaigns that include it

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 20:27:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('includes_jht', sa.Boolean(), server_default=sa.false(), nullable=False))

    # Every rate row so far is PP 44/2015's, whose JHT for BPU is 2% of declared income.
    with op.batch_alter_table('premium_rates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('jht_basis_points', sa.Integer(), server_default='200', nullable=False))
        batch_op.create_check_constraint(op.f('ck_premium_rates_jht_nonnegative'), 'jht_basis_points >= 0')


def downgrade():
    with op.batch_alter_table('premium_rates', schema=None) as batch_op:
        batch_op.drop_constraint('ck_premium_rates_jht_nonnegative', type_='check')
        batch_op.drop_column('jht_basis_points')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('includes_jht')
