"""Coverage: premium rates, funded months and the allocations that bought them, holds, status links."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, enum_column, utcnow
from .campaigns import Designation
from .workers import Worker


class PremiumRate(db.Model):
    """JKK, JKM and JHT rates for Bukan Penerima Upah from ``effective_from`` on.

    The rate in force for a month is the row with the latest
    ``effective_from`` on or before the month's first day.
    """

    __tablename__ = "premium_rates"
    __table_args__ = (
        sa.CheckConstraint("jkk_basis_points >= 0", name="jkk_nonnegative"),
        sa.CheckConstraint("jkm_idr >= 0", name="jkm_nonnegative"),
        sa.CheckConstraint("min_income_idr > 0", name="min_income_positive"),
        sa.CheckConstraint("jht_basis_points >= 0", name="jht_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[dt.date] = mapped_column(unique=True)
    #: JKK as a share of declared income in 1/100 of a percent (1% = 100).
    jkk_basis_points: Mapped[int]
    #: Declared income used when a worker declares less.
    min_income_idr: Mapped[int] = mapped_column(Money)
    #: JKM, a flat amount per month.
    jkm_idr: Mapped[int] = mapped_column(Money)
    #: JHT (optional for BPU, 2% = 200) as a share of declared income in 1/100 of a percent.
    jht_basis_points: Mapped[int] = mapped_column(default=200, server_default="200")
    #: The regulation that set these rates (e.g. "PP 44/2015").
    regulation: Mapped[str] = mapped_column(sa.String(120), default="")

    def premium(self, monthly_income_idr: int, *, jht: bool = False) -> int:
        """Return the monthly premium in rupiah for a declared income: JKK + JKM, and JHT when asked (each rounded half up)."""
        income = max(monthly_income_idr, self.min_income_idr)
        premium = (self.jkk_basis_points * income + 5000) // 10000 + self.jkm_idr
        return premium + ((self.jht_basis_points * income + 5000) // 10000 if jht else 0)


class CoverageState(enum.Enum):
    #: Paid for by donors, not yet sent to BPJS.
    funded = "funded"
    #: Sent to BPJS in a remittance batch.
    remitted = "remitted"
    #: BPJS confirmed the worker is covered for the month.
    accepted = "accepted"
    #: BPJS refused; the premium went back to the pool.
    rejected = "rejected"


#: States whose premium is still spent on the worker.
LIVE_STATES = (CoverageState.funded, CoverageState.remitted, CoverageState.accepted)


class AllocationKind(enum.Enum):
    #: Extends workers whose coverage ends soon or who are in arrears.
    renewal = "renewal"
    #: Enrols workers from the waitlist for a full term.
    new = "new"
    #: A donor's named worker.
    sponsorship = "sponsorship"


class Allocation(db.Model):
    """One run of money from a pool to coverage months."""

    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    kind: Mapped[AllocationKind] = mapped_column(enum_column(AllocationKind))
    designation: Mapped[Designation] = mapped_column(enum_column(Designation))
    #: The gift that asked for this allocation (a sponsorship or N × M gift).
    donation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    workers: Mapped[int] = mapped_column(default=0)
    months: Mapped[int] = mapped_column(default=0)
    amount_idr: Mapped[int] = mapped_column(Money, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CoverageMonth(db.Model):
    __tablename__ = "coverage_months"
    __table_args__ = (
        # The guarantee against double funding, on SQLite and PostgreSQL alike.
        sa.UniqueConstraint("worker_id", "month"),
        sa.CheckConstraint("premium_idr > 0", name="premium_positive"),
        sa.Index("ix_coverage_months_campaign_state", "campaign_id", "state"),
        # A batch's months by state, and its workers in each, from the index alone (the batch page's summary).
        sa.Index("ix_coverage_months_batch_state", "batch_id", "state", "worker_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"))
    #: ``year * 12 + month - 1`` (see ``donate.months``).
    month: Mapped[int]
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    premium_idr: Mapped[int] = mapped_column(Money)
    designation: Mapped[Designation] = mapped_column(enum_column(Designation))
    allocation_id: Mapped[int] = mapped_column(sa.ForeignKey("allocations.id"), index=True)
    state: Mapped[CoverageState] = mapped_column(enum_column(CoverageState), default=CoverageState.funded)
    #: The remittance batch that sent this month to BPJS (see ``models.remittance``).
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("remittance_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    worker: Mapped[Worker] = relationship()
    allocation: Mapped[Allocation] = relationship()


class Hold(db.Model):
    """A named worker reserved for one donor's checkout.

    One row per worker at most (the unique constraint): a second donor cannot
    hold the worker until the first hold is released or has expired and been
    removed.
    """

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), unique=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id"), unique=True)
    #: First month the donor is paying for.
    first_month: Mapped[int]
    months: Mapped[int]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class StatusLink(db.Model):
    """An unguessable token that opens one worker's status page (printed as a QR code)."""

    __tablename__ = "status_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    #: SHA-256 of the token: a stolen database does not yield working links.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The token encrypted with the vault, so a manager can print the same card again.
    token_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Set when a card is lost or reissued; the link then answers like an unknown one.
    revoked_at: Mapped[dt.datetime | None]
    #: Who revoked it (a manager's user id).
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    worker: Mapped[Worker] = relationship()


class ClaimProgramme(enum.Enum):
    #: Jaminan Kecelakaan Kerja: work accident.
    jkk = "jkk"
    #: Jaminan Kematian: death.
    jkm = "jkm"


class ClaimKind(enum.Enum):
    """What BPJS paid for: the JKK benefits, or JKM's money to the heirs."""

    #: JKK: medical care and treatment (no cost cap).
    medical = "medical"
    #: JKK: income while temporarily unable to work.
    income = "income"
    #: JKK: permanent disability.
    disability = "disability"
    #: JKK: death from a work accident.
    accident_death = "accident_death"
    #: JKM: lump sum, periodic payments and funeral money to the heirs.
    heirs = "heirs"


#: The kinds each programme pays.
CLAIM_KINDS = {
    ClaimProgramme.jkk: (ClaimKind.medical, ClaimKind.income, ClaimKind.disability, ClaimKind.accident_death),
    ClaimProgramme.jkm: (ClaimKind.heirs,),
}


class Claim(db.Model):
    """A benefit BPJS paid for a covered worker, with the accepted month that covered the event.

    The money goes from BPJS to the worker or the heirs, not through the
    campaign: no ledger entry, only the record of what the premiums bought.
    """

    __tablename__ = "claims"
    __table_args__ = (
        # The same benefit for the same event is recorded once.
        sa.UniqueConstraint("worker_id", "kind", "event_date"),
        sa.CheckConstraint("amount_idr > 0", name="amount_positive"),
        sa.CheckConstraint("scholarship_idr >= 0", name="scholarship_nonnegative"),
        sa.Index("ix_claims_campaign_id_id", "campaign_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    #: The coverage month (accepted by BPJS) in which the accident or death happened.
    coverage_month_id: Mapped[int] = mapped_column(sa.ForeignKey("coverage_months.id"), index=True)
    programme: Mapped[ClaimProgramme] = mapped_column(enum_column(ClaimProgramme))
    kind: Mapped[ClaimKind] = mapped_column(enum_column(ClaimKind))
    #: JKK: the day of the accident; JKM: the day of death.
    event_date: Mapped[dt.date]
    #: JKK: what BPJS paid for the benefit; JKM: what the heirs received (without the scholarship).
    amount_idr: Mapped[int] = mapped_column(Money)
    #: JKM: the scholarship granted to the worker's children (0 when none).
    scholarship_idr: Mapped[int] = mapped_column(Money, default=0)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    worker: Mapped[Worker] = relationship()
    coverage_month: Mapped[CoverageMonth] = relationship()

    @property
    def total_idr(self) -> int:
        """Return everything BPJS paid on this claim."""
        return self.amount_idr + self.scholarship_idr


class MandiriNotice(db.Model):
    """A worker told that sponsored cover ended and how to go on paying alone (*lanjut mandiri*).

    One row per worker and end of cover (the primary key): the notice goes
    out once, however often ``tick`` runs. What BPJS later reports of the
    worker's own payments tells whether they went on paying or lapsed.
    """

    __tablename__ = "mandiri_notices"
    __table_args__ = (sa.Index("ix_mandiri_notices_campaign_created", "campaign_id", "created_at"),)

    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), primary_key=True)
    #: The last sponsored month (``donate.months``): cover ended on its last day.
    last_month: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    #: What one month costs the worker alone (JKK on the declared income, plus JKM), at the rate then in force.
    monthly_idr: Mapped[int] = mapped_column(Money)
    #: The last day on which the missed months can still be paid.
    arrears_until: Mapped[dt.date]
    #: "sms", "whatsapp", or "none" for a worker without a phone number (the status page still says it).
    channel: Mapped[str] = mapped_column(sa.String(20))
    #: The message provider that took it, and its id for the message.
    provider: Mapped[str] = mapped_column(sa.String(20), default="")
    provider_ref: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    #: The provider's refusal, when sending failed.
    error: Mapped[str | None] = mapped_column(sa.String(300))
    #: The last month BPJS reports the worker paid alone (from a status import); ``None``: nothing reported.
    paid_until_month: Mapped[int | None]
    reported_at: Mapped[dt.datetime | None]

    worker: Mapped[Worker] = relationship()
