"""campaign figures kept with each change: worker, coverage and funder tallies, distinct donors

Revision ID: 0010
Revises: 0009
"""
import hashlib

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

LIVE = "('funded', 'remitted', 'accepted')"
DESIGNATION = sa.Enum('zakat', 'infak', 'csr', name='designation', native_enum=False, create_constraint=True,
                      length=20)


def upgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live_months', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_live_month', sa.Integer(), nullable=True))
        batch_op.create_index('ix_workers_last_live_month', ['campaign_id', 'last_live_month'], unique=False)
        batch_op.create_index('ix_workers_waiting', ['campaign_id', 'verification', 'last_live_month',
                                                     'consent_at', 'flag_reason'], unique=False)
        batch_op.create_index('ix_workers_queue', ['campaign_id', 'verification', 'last_live_month', 'priority',
                                                   'registered_at'], unique=False)
    op.create_index('ix_payments_paid_at', 'payments', ['paid_at'], unique=False)
    # Not in a batch: SQLite must not rebuild the journal, whose triggers keep it append-only.
    op.create_index('ix_journals_campaign_created', 'journals', ['campaign_id', 'created_at'], unique=False)
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.alter_column('live_months', server_default=None)
    op.create_table(
        'worker_tallies',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('regency_code', sa.String(length=4), nullable=False),
        sa.Column('live_months', sa.Integer(), nullable=False),
        sa.Column('workers', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_worker_tallies_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('campaign_id', 'regency_code', 'live_months', name=op.f('pk_worker_tallies')),
    )
    op.create_table(
        'coverage_tallies',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('state', sa.Enum('funded', 'remitted', 'accepted', 'rejected', name='coveragestate',
                                   native_enum=False, create_constraint=True, length=20), nullable=False),
        sa.Column('designation', DESIGNATION, nullable=False),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('premium_idr', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_coverage_tallies_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('campaign_id', 'month', 'state', 'designation', name=op.f('pk_coverage_tallies')),
    )
    op.create_table(
        'funder_tallies',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('funder', sa.String(length=200), nullable=False),
        sa.Column('account', sa.Enum('received', 'pool', 'allocated', 'remitted', 'refunded', name='account',
                                     native_enum=False, create_constraint=False, length=20), nullable=False),
        sa.Column('designation', DESIGNATION, nullable=False),
        sa.Column('amount_idr', sa.BigInteger(), nullable=False),
        sa.Column('postings', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_funder_tallies_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('campaign_id', 'funder', 'account', 'designation', name=op.f('pk_funder_tallies')),
    )
    op.create_table(
        'campaign_donors',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('donor_key', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_donors_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('campaign_id', 'donor_key', name=op.f('pk_campaign_donors')),
    )
    op.create_table(
        'donor_counts',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('donors', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_donor_counts_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_donor_counts')),
    )
    _backfill()


def _backfill():
    """Count what is already there, as services.tallies.rebuild_figures does."""
    live = f"c.worker_id = workers.id AND c.state IN {LIVE}"
    op.execute(f"UPDATE workers SET live_months = (SELECT COUNT(*) FROM coverage_months c WHERE {live}), "
               f"last_live_month = (SELECT MAX(c.month) FROM coverage_months c WHERE {live})")
    op.execute("INSERT INTO worker_tallies (campaign_id, regency_code, live_months, workers) "
               "SELECT campaign_id, regency_code, live_months, COUNT(*) FROM workers "
               "GROUP BY campaign_id, regency_code, live_months")
    op.execute("INSERT INTO coverage_tallies (campaign_id, month, state, designation, months, premium_idr) "
               "SELECT campaign_id, month, state, designation, COUNT(*), SUM(premium_idr) FROM coverage_months "
               f"WHERE state IN {LIVE} GROUP BY campaign_id, month, state, designation")
    op.execute("INSERT INTO funder_tallies (campaign_id, funder, account, designation, amount_idr, postings) "
               "SELECT p.campaign_id, COALESCE(d.funder, ''), p.account, p.designation, SUM(p.amount_idr), COUNT(*) "
               "FROM postings p JOIN journals j ON j.id = p.journal_id JOIN payments y ON y.id = j.payment_id "
               "JOIN donations d ON d.id = y.donation_id WHERE p.account IN ('received', 'refunded') "
               "GROUP BY p.campaign_id, COALESCE(d.funder, ''), p.account, p.designation")
    bind = op.get_bind()
    keys = set()
    for campaign_id, email, funder, donation_id in bind.execute(sa.text(
            "SELECT DISTINCT d.campaign_id, d.donor_email, d.funder, d.id FROM donations d "
            "JOIN payments y ON y.donation_id = d.id JOIN journals j ON j.payment_id = y.id "
            "JOIN postings p ON p.journal_id = j.id WHERE p.account = 'received'")):
        key = email or funder or f"donation:{donation_id}"
        keys.add((campaign_id, hashlib.sha256(key.encode()).hexdigest()))
    donors = sa.table('campaign_donors', sa.column('campaign_id'), sa.column('donor_key'))
    if keys:
        op.bulk_insert(donors, [{"campaign_id": c, "donor_key": k} for c, k in sorted(keys)])
    op.execute("INSERT INTO donor_counts (campaign_id, donors) "
               "SELECT campaign_id, COUNT(*) FROM campaign_donors GROUP BY campaign_id")


def downgrade():
    for table in ('donor_counts', 'campaign_donors', 'funder_tallies', 'coverage_tallies', 'worker_tallies'):
        op.drop_table(table)
    op.drop_index('ix_journals_campaign_created', table_name='journals')
    op.drop_index('ix_payments_paid_at', table_name='payments')
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_index('ix_workers_queue')
        batch_op.drop_index('ix_workers_waiting')
        batch_op.drop_index('ix_workers_last_live_month')
        batch_op.drop_column('last_live_month')
        batch_op.drop_column('live_months')
