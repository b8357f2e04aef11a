"""The BPU premium rate schedule, kept as data with effective dates."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Money


class PremiumRate(db.Model):
    """JKK and JKM rates for Bukan Penerima Upah from ``effective_from`` on.

    The rate in force for a month is the row with the latest
    ``effective_from`` on or before the month's first day.
    """

    __tablename__ = "premium_rates"
    __table_args__ = (
        sa.CheckConstraint("jkk_basis_points >= 0", name="jkk_nonnegative"),
        sa.CheckConstraint("jkm_idr >= 0", name="jkm_nonnegative"),
        sa.CheckConstraint("min_income_idr > 0", name="min_income_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[dt.date] = mapped_column(unique=True)
    #: JKK as a share of declared income in 1/100 of a percent (1% = 100).
    jkk_basis_points: Mapped[int]
    #: Declared income used when a worker declares less.
    min_income_idr: Mapped[int] = mapped_column(Money)
    #: JKM, a flat amount per month.
    jkm_idr: Mapped[int] = mapped_column(Money)
    #: The regulation that set these rates (e.g. "PP 44/2015").
    regulation: Mapped[str] = mapped_column(sa.String(120), default="")

    def premium(self, monthly_income_idr: int) -> int:
        """Return the monthly premium in rupiah for a declared income (JKK rounded half up)."""
        income = max(monthly_income_idr, self.min_income_idr)
        return (self.jkk_basis_points * income + 5000) // 10000 + self.jkm_idr
