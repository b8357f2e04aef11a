"""monthly sponsorship by reminder: one reminder per sponsorship and month, the gifts paid from them, why one ended

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 20:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OLD_STATES = ('pending', 'active', 'cancelled')
NEW_STATES = OLD_STATES + ('ended',)


def _states(values):
    return sa.Enum(*values, name='subscriptionstate', native_enum=False, create_constraint=True, length=20)


def _set_states(old, new):
    """Widen (or narrow) the subscriptions' state CHECK (SQLite rebuilds the table)."""
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('subscriptionstate', 'subscriptions', type_='check')
        op.create_check_constraint('subscriptionstate', 'subscriptions', sa.column('state').in_(new))
        return
    with op.batch_alter_table('subscriptions', recreate='always') as batch_op:
        batch_op.alter_column('state', existing_type=_states(old), type_=_states(new), existing_nullable=False)


def upgrade():
    _set_states(OLD_STATES, NEW_STATES)
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_reason', sa.Enum('donor', 'provider', 'unanswered', 'worker',
                                                            name='endreason', native_enum=False,
                                                            create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column('reminder_day', sa.SmallInteger(), nullable=True))
    op.create_table('monthly_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('for_month', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'],
                            name=op.f('fk_monthly_reminders_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_reminders')),
    sa.UniqueConstraint('subscription_id', 'month', name=op.f('uq_monthly_reminders_subscription_id_month'))
    )
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscription_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_donations_subscription_id'), ['subscription_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_donations_subscription_id_subscriptions'), 'subscriptions',
                                    ['subscription_id'], ['id'])
    # Sponsorships stopped so far were stopped by their donor or their provider; which one is not known.


def downgrade():
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_donations_subscription_id_subscriptions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_donations_subscription_id'))
        batch_op.drop_column('subscription_id')
    op.drop_table('monthly_reminders')
    op.execute("UPDATE subscriptions SET state = 'cancelled' WHERE state = 'ended'")
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('reminder_day')
        batch_op.drop_column('end_reason')
    _set_states(NEW_STATES, OLD_STATES)
