"""refunds, disputes and flagged provider events; shortfall and suspense accounts; the sandbox's own book

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OLD_ACCOUNTS = ('received', 'pool', 'allocated', 'remitted', 'refunded')
NEW_ACCOUNTS = OLD_ACCOUNTS + ('shortfall', 'suspense')


def _accounts(values):
    return sa.Enum(*values, name='account', native_enum=False, create_constraint=True, length=20)


def _set_accounts(old, new):
    """Widen (or narrow) the postings' account CHECK; SQLite rebuilds the table, so its triggers come back."""
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.drop_constraint('account', 'postings', type_='check')
        op.create_check_constraint('account', 'postings',
                                   sa.column('account').in_(new))
        return
    for action in ('update', 'delete'):
        op.execute(f'DROP TRIGGER IF EXISTS postings_no_{action}')
    with op.batch_alter_table('postings', recreate='always') as batch_op:
        batch_op.alter_column('account', existing_type=_accounts(old), type_=_accounts(new),
                              existing_nullable=False)
    for action in ('UPDATE', 'DELETE'):
        op.execute(f"CREATE TRIGGER postings_no_{action.lower()} BEFORE {action} ON postings "
                   "BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END")


def upgrade():
    _set_accounts(OLD_ACCOUNTS, NEW_ACCOUNTS)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('money_ref', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_payments_money_ref'), ['money_ref'], unique=False)
    op.create_table(
        'refunds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('amount_idr', sa.BigInteger(), nullable=False),
        sa.Column('state', sa.Enum('requested', 'pending', 'succeeded', 'failed', 'canceled', name='refundstate',
                                   native_enum=False, create_constraint=True, length=20), nullable=False),
        sa.Column('provider_ref', sa.String(length=255), nullable=True),
        sa.Column('request_key', sa.String(length=64), nullable=True),
        sa.Column('booked_idr', sa.BigInteger(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('amount_idr > 0', name=op.f('ck_refunds_amount_positive')),
        sa.CheckConstraint('booked_idr >= 0', name=op.f('ck_refunds_booked_nonnegative')),
        sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_refunds_requested_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
        sa.UniqueConstraint('payment_id', 'provider_ref', name=op.f('uq_refunds_payment_id_provider_ref')),
        sa.UniqueConstraint('request_key', name=op.f('uq_refunds_request_key')),
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_payment_id'), ['payment_id'], unique=False)
    op.create_table(
        'disputes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('provider_ref', sa.String(length=255), nullable=False),
        sa.Column('amount_idr', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.Column('withdrawn_idr', sa.BigInteger(), nullable=False),
        sa.Column('transactions_seen', sa.Integer(), nullable=False),
        sa.Column('released', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('withdrawn_idr >= 0', name=op.f('ck_disputes_withdrawn_nonnegative')),
        sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_disputes_payment_id_payments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes')),
        sa.UniqueConstraint('payment_id', 'provider_ref', name=op.f('uq_disputes_payment_id_provider_ref')),
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_payment_id'), ['payment_id'], unique=False)
    op.create_table(
        'flagged_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=20), nullable=False),
        sa.Column('event_id', sa.String(length=255), nullable=True),
        sa.Column('event_type', sa.String(length=80), nullable=False),
        sa.Column('problem', sa.String(length=20), nullable=False),
        sa.Column('provider_ref', sa.String(length=255), nullable=True),
        sa.Column('payment_id', sa.Integer(), nullable=True),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('provider_amount', sa.String(length=80), nullable=False),
        sa.Column('expected_idr', sa.BigInteger(), nullable=True),
        sa.Column('held_idr', sa.BigInteger(), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint('held_idr >= 0', name=op.f('ck_flagged_events_held_nonnegative')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_flagged_events_campaign_id_campaigns')),
        sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_flagged_events_payment_id_payments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_flagged_events')),
    )
    with op.batch_alter_table('flagged_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flagged_events_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flagged_events_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flagged_events_provider_ref'), ['provider_ref'], unique=False)
    op.create_table(
        'sandbox_records',
        sa.Column('ref', sa.String(length=255), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('amount_idr', sa.BigInteger(), nullable=False),
        sa.Column('refunded_idr', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('ref', name=op.f('pk_sandbox_records')),
    )


def downgrade():
    op.drop_table('sandbox_records')
    op.drop_table('flagged_events')
    op.drop_table('disputes')
    op.drop_table('refunds')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_money_ref'))
        batch_op.drop_column('money_ref')
    _set_accounts(NEW_ACCOUNTS, OLD_ACCOUNTS)
