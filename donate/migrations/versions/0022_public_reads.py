"""public pages at constant cost: each campaign's figures version (the cache key), eligible workers kept by last live month (the waitlist's count) and occupation, indexes for the latest gifts and doa

Revision ID: 0022
Revises: 0021
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

#: ``models.figures.NEVER_LIVE``.
NEVER_LIVE = -1


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('figures_version', sa.String(length=16), nullable=True))
    bind = op.get_bind()
    for (campaign_id,) in bind.execute(sa.text("SELECT id FROM campaigns")).all():
        bind.execute(sa.text("UPDATE campaigns SET figures_version = :v WHERE id = :id"),
                     {"v": secrets.token_hex(8), "id": campaign_id})
    op.create_table(
        'eligible_tallies',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('regency_code', sa.String(length=4), nullable=False),
        sa.Column('is_mustahik', sa.Boolean(), nullable=False),
        sa.Column('last_live_month', sa.Integer(), nullable=False),
        sa.Column('workers', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_eligible_tallies_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('campaign_id', 'regency_code', 'is_mustahik', 'last_live_month',
                                name=op.f('pk_eligible_tallies')),
    )
    op.create_table(
        'occupation_tallies',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('occupation', sa.String(length=80), nullable=False),
        sa.Column('workers', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_occupation_tallies_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('campaign_id', 'occupation', name=op.f('pk_occupation_tallies')),
    )
    # The newest paid gifts ("Donatur terbaru"), ties on the payment time broken by id, read backwards.
    op.create_index('ix_payments_paid_at_id', 'payments', ['paid_at', 'id'], unique=False)
    op.drop_index('ix_payments_paid_at', table_name='payments')
    # The doa: only the gifts that carry a message, newest first, however many come without one.
    op.create_index('ix_donations_doa', 'donations', ['campaign_id', 'id'], unique=False,
                    sqlite_where=sa.text("message != ''"), postgresql_where=sa.text("message != ''"))
    _backfill()


def _backfill():
    """Count the eligible workers already there, as services.tallies.rebuild_figures does."""
    bind = op.get_bind()
    for campaign_id, mustahik_only, occupations in bind.execute(sa.text(
            "SELECT id, mustahik_only, eligible_occupations FROM campaigns")).all():
        rules = ["campaign_id = :campaign", "verification = 'verified'", "consent_at IS NOT NULL",
                 "flag_reason IS NULL", "company_id IS NULL"]
        params = {"campaign": campaign_id}
        if mustahik_only:
            rules.append("is_mustahik")
        wanted = [o.strip() for o in (occupations or "").split(",") if o.strip()]
        if wanted:
            rules.append("occupation IN (" + ", ".join(f":o{i}" for i in range(len(wanted))) + ")")
            params.update({f"o{i}": o for i, o in enumerate(wanted)})
        where = " AND ".join(rules)
        bind.execute(sa.text(
            "INSERT INTO eligible_tallies (campaign_id, regency_code, is_mustahik, last_live_month, workers) "
            f"SELECT campaign_id, regency_code, is_mustahik, COALESCE(last_live_month, {NEVER_LIVE}), COUNT(*) "
            f"FROM workers WHERE {where} "
            f"GROUP BY campaign_id, regency_code, is_mustahik, COALESCE(last_live_month, {NEVER_LIVE})"), params)
        bind.execute(sa.text(
            "INSERT INTO occupation_tallies (campaign_id, occupation, workers) "
            f"SELECT campaign_id, occupation, COUNT(*) FROM workers WHERE {where} GROUP BY campaign_id, occupation"),
            params)


def downgrade():
    op.drop_index('ix_donations_doa', table_name='donations')
    op.create_index('ix_payments_paid_at', 'payments', ['paid_at'], unique=False)
    op.drop_index('ix_payments_paid_at_id', table_name='payments')
    op.drop_table('occupation_tallies')
    op.drop_table('eligible_tallies')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('figures_version')
