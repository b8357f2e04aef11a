"""Companies that give through a donor account and bring their own list of workers."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .access import User
from .base import utcnow


class Company(db.Model):
    """A company behind a donor account (CSR): its own workers are reserved to its gifts."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The donor account that speaks for the company; one company per account.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    #: As it appears publicly and in the funder tallies ("PT Sawit Makmur").
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: Taxpayer number, compact (15 digits, or the 16 of a NIK-based NPWP), checked with ``stdnum.id.npwp``.
    npwp: Mapped[str] = mapped_column(sa.String(16), unique=True)
    contact_name: Mapped[str] = mapped_column(sa.String(200))
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Company {self.id}>"
