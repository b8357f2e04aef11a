"""payment methods and expiry, bank transfers with a unique code, bank statement lines, monthly sponsorship by reminder

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 16:08:30.490697

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bank_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Integer(), nullable=False),
    sa.Column('open_code', sa.Integer(), nullable=True),
    sa.Column('amount_due_idr', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_due_idr > 0', name=op.f('ck_bank_transfers_amount_positive')),
    sa.CheckConstraint('code BETWEEN 1 AND 999', name=op.f('ck_bank_transfers_code_range')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_bank_transfers_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_transfers')),
    sa.UniqueConstraint('open_code', name=op.f('uq_bank_transfers_open_code')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_bank_transfers_payment_id'))
    )
    op.create_table('statement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('bank', sa.String(length=20), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('amount_idr', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.Enum('matched', 'unmatched', 'ambiguous', name='linestate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_idr > 0', name=op.f('ck_statement_lines_amount_positive')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_statement_lines_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_statement_lines_payment_id_payments')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_statement_lines_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_lines')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_statement_lines_fingerprint')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_statement_lines_payment_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_reminder', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('reminded_month', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unanswered_reminders', sa.Integer(), nullable=False, server_default='0'))
    # Existing rows keep their values; new ones get theirs from the models, as every other column does.
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.alter_column('by_reminder', server_default=None)
        batch_op.alter_column('unanswered_reminders', server_default=None)
    # Every Stripe payment so far was by card.
    op.execute("UPDATE payments SET method = 'card' WHERE provider = 'stripe'")



def downgrade():
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('unanswered_reminders')
        batch_op.drop_column('reminded_month')
        batch_op.drop_column('by_reminder')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('method')

    op.drop_table('statement_lines')
    op.drop_table('bank_transfers')
