"""credit note documents: a note's PDF as first delivered, per language and status

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 22:45:00
"""
from alembic import op
import sqlalchemy as sa
import creditsvc.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credit_note_documents',
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('rendered_at', creditsvc.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['number'], ['credit_notes.number'], ),
    sa.PrimaryKeyConstraint('number', 'locale', 'status')
    )


def downgrade() -> None:
    op.drop_table('credit_note_documents')
