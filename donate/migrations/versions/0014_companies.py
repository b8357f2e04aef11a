"""companies that bring their own workers: the company behind a donor account, workers reserved to it, its gifts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 19:40:47.909540

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('companies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('npwp', sa.String(length=16), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_companies_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companies')),
    sa.UniqueConstraint('name', name=op.f('uq_companies_name')),
    sa.UniqueConstraint('npwp', name=op.f('uq_companies_npwp')),
    sa.UniqueConstraint('user_id', name=op.f('uq_companies_user_id'))
    )
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_donations_company_id'), ['company_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_donations_company_id_companies'), 'companies', ['company_id'], ['id'])

    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_workers_company_id'), ['company_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_workers_company_id_companies'), 'companies', ['company_id'], ['id'])



def downgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_workers_company_id_companies'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_workers_company_id'))
        batch_op.drop_column('company_id')

    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_donations_company_id_companies'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_donations_company_id'))
        batch_op.drop_column('company_id')

    op.drop_table('companies')
