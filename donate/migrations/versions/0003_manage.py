"""manage: staff assignments, audit log, rejected upload rows, remittance batches

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 08:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_staff',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_staff_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_campaign_staff_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'user_id', name=op.f('pk_campaign_staff'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_audit_events_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_campaign_at', ['campaign_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_user_id'), ['user_id'], unique=False)

    op.create_table('rejected_rows_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('content_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_rejected_rows_files_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rejected_rows_files_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_rows_files')),
    sa.UniqueConstraint('token', name=op.f('uq_rejected_rows_files_token'))
    )
    op.create_table('remittance_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('first_month', sa.Integer(), nullable=False),
    sa.Column('last_month', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('created', 'sent', 'reconciled', 'cancelled', name='batchstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('workers', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('amount_idr', sa.BigInteger(), nullable=False),
    sa.Column('transfer_reference', sa.String(length=120), nullable=True),
    sa.Column('transferred_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_idr >= 0', name=op.f('ck_remittance_batches_amount_nonnegative')),
    sa.CheckConstraint('first_month <= last_month', name=op.f('ck_remittance_batches_period_order')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_remittance_batches_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_remittance_batches_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remittance_batches'))
    )
    with op.batch_alter_table('remittance_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remittance_batches_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('remittance_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('months_accepted', sa.Integer(), nullable=False),
    sa.Column('months_rejected', sa.Integer(), nullable=False),
    sa.Column('returned_idr', sa.BigInteger(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['remittance_batches.id'], name=op.f('fk_remittance_acknowledgements_batch_id_remittance_batches')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_remittance_acknowledgements_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remittance_acknowledgements'))
    )
    with op.batch_alter_table('remittance_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remittance_acknowledgements_batch_id'), ['batch_id'], unique=False)

    with op.batch_alter_table('coverage_months', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_coverage_months_batch_id'), ['batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_coverage_months_batch_id_remittance_batches'),
                                    'remittance_batches', ['batch_id'], ['id'])


def downgrade():
    with op.batch_alter_table('coverage_months', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_coverage_months_batch_id_remittance_batches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_coverage_months_batch_id'))
        batch_op.drop_column('batch_id')
    op.drop_table('remittance_acknowledgements')
    op.drop_table('remittance_batches')
    op.drop_table('rejected_rows_files')
    op.drop_table('audit_events')
    op.drop_table('campaign_staff')
