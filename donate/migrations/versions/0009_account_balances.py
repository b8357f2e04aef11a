"""account balances: each account's running total, kept with every posting

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_balances',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('account', sa.Enum('received', 'pool', 'allocated', 'remitted', 'refunded', name='account',
                                     native_enum=False, create_constraint=False, length=20), nullable=False),
        sa.Column('designation', sa.Enum('zakat', 'infak', 'csr', name='designation', native_enum=False,
                                         create_constraint=True, length=20), nullable=False),
        sa.Column('balance_idr', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_account_balances_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('campaign_id', 'account', 'designation', name=op.f('pk_account_balances')),
    )
    # Existing books: the totals start as the sums they will be kept equal to.
    op.execute(
        "INSERT INTO account_balances (campaign_id, account, designation, balance_idr) "
        "SELECT campaign_id, account, designation, SUM(amount_idr) FROM postings "
        "GROUP BY campaign_id, account, designation"
    )


def downgrade():
    op.drop_table('account_balances')
