"""background jobs: long work run off the request, with its progress

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'background_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='jobstate', native_enum=False,
                                   create_constraint=True, length=20), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('payload', sa.LargeBinary(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_background_jobs_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_background_jobs_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_background_jobs')),
        sa.UniqueConstraint('token', name=op.f('uq_background_jobs_token')),
    )
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_background_jobs_campaign_id'), ['campaign_id'], unique=False)


def downgrade():
    op.drop_table('background_jobs')
