"""donors: email outbox, receipts, monthly sponsorships

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 07:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_email', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_to_email'), ['to_email'], unique=False)

    op.create_table('receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('emailed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_receipts_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts')),
    sa.UniqueConstraint('number', name=op.f('uq_receipts_number')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_receipts_payment_id'))
    )

    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=True),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_ref', sa.String(length=255), nullable=True),
    sa.Column('designation', sa.Enum('zakat', 'infak', 'csr', name='designation', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('amount_idr', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'active', 'cancelled', name='subscriptionstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('amount_idr > 0', name=op.f('ck_subscriptions_amount_positive')),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_subscriptions_donation_id_donations')),
    sa.ForeignKeyConstraint(['donor_id'], ['users.id'], name=op.f('fk_subscriptions_donor_id_users')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_subscriptions_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('donation_id', name=op.f('uq_subscriptions_donation_id')),
    sa.UniqueConstraint('provider', 'provider_ref', name=op.f('uq_subscriptions_provider_provider_ref'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_donor_id'), ['donor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_worker_id'), ['worker_id'], unique=False)


def downgrade():
    op.drop_table('subscriptions')
    op.drop_table('receipts')
    op.drop_table('outbox_messages')
