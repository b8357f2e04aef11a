"""the giving page: campaign covers and updates, doa amins and hiding, donors' language

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('image', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('emailed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_campaign_updates_author_id_users')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_updates_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_updates'))
    )
    with op.batch_alter_table('campaign_updates', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_updates_campaign_created', ['campaign_id', 'created_at'], unique=False)

    op.create_table('update_opt_outs',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_update_opt_outs_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'email', name=op.f('pk_update_opt_outs'))
    )
    op.create_table('amins',
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('visitor', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_amins_donation_id_donations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('donation_id', 'visitor', name=op.f('pk_amins'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_image', sa.String(length=80), nullable=True))

    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=10), server_default='id', nullable=False))
        batch_op.add_column(sa.Column('amins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('message_hidden_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_donations_campaign_id_id', ['campaign_id', 'id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=10), server_default='id', nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')

    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_index('ix_donations_campaign_id_id')
        batch_op.drop_column('message_hidden_at')
        batch_op.drop_column('amins')
        batch_op.drop_column('locale')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('cover_image')

    op.drop_table('amins')
    op.drop_table('update_opt_outs')
    with op.batch_alter_table('campaign_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_updates_campaign_created')

    op.drop_table('campaign_updates')
