"""status links for workers' QR cards and the privacy request audit trail

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 08:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('status_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_status_links_worker_id_workers')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_status_links_revoked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_status_links_token_hash'))
    )
    with op.batch_alter_table('status_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_links_worker_id'), ['worker_id'], unique=False)

    op.create_table('privacy_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('export', 'erasure', name='privacyrequestkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('donations', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_privacy_requests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_requests'))
    )
    with op.batch_alter_table('privacy_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_requests_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('privacy_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_requests_user_id'))
    op.drop_table('privacy_requests')
    with op.batch_alter_table('status_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_links_worker_id'))
    op.drop_table('status_links')
