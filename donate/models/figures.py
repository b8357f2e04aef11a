"""Campaign figures kept up to date in the transaction of each change that moves them.

Each table is a sum over rows elsewhere (workers, coverage months, the
ledger), added to under the campaign lock by ``services.tallies``;
``check_ledger`` recomputes every one from scratch and reports any
difference. The public pages read these instead of scanning the campaign.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Money, enum_column
from .campaigns import Designation
from .coverage import CoverageState
from .ledger import Account


class WorkerTally(db.Model):
    """How many of a campaign's workers in one regency have exactly ``live_months`` months funded."""

    __tablename__ = "worker_tallies"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    regency_code: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    #: Funded, sent or accepted months (``Worker.live_months``); at least the term makes a worker funded.
    live_months: Mapped[int] = mapped_column(primary_key=True)
    workers: Mapped[int] = mapped_column(default=0)


class CoverageTally(db.Model):
    """How many coverage months of one calendar month are in one state, and their premiums."""

    __tablename__ = "coverage_tallies"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    month: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[CoverageState] = mapped_column(enum_column(CoverageState), primary_key=True)
    designation: Mapped[Designation] = mapped_column(enum_column(Designation), primary_key=True)
    #: One per worker (a worker has one row per month), so also the workers in that state that month.
    months: Mapped[int] = mapped_column(default=0)
    premium_idr: Mapped[int] = mapped_column(Money, default=0)


class FunderTally(db.Model):
    """Money a funder's payments moved through one account (individual donors together as ``""``)."""

    __tablename__ = "funder_tallies"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    funder: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    account: Mapped[Account] = mapped_column(
        sa.Enum(Account, native_enum=False, create_constraint=False, length=20,
                values_callable=lambda members: [m.value for m in members]),
        primary_key=True)
    designation: Mapped[Designation] = mapped_column(enum_column(Designation), primary_key=True)
    amount_idr: Mapped[int] = mapped_column(Money, default=0)
    #: Postings to the account, i.e. gifts received for ``received``.
    postings: Mapped[int] = mapped_column(default=0)


class CampaignDonor(db.Model):
    """One distinct donor of a campaign, known by a SHA-256 of the donor's key (never the email itself)."""

    __tablename__ = "campaign_donors"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    donor_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class DonorCount(db.Model):
    """How many distinct donors a campaign has (the rows of ``campaign_donors``), read in one row."""

    __tablename__ = "donor_counts"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    donors: Mapped[int] = mapped_column(default=0)


#: ``EligibleTally.last_live_month`` of workers never funded (no month is numbered below zero).
NEVER_LIVE = -1


class EligibleTally(db.Model):
    """How many of a campaign's workers in one regency may be funded and had their last live month then.

    A worker counts here while verified, consenting, not flagged and within
    the campaign's own rules (``coverage.waitlist.meets_rules`` for any of
    its money; ``is_mustahik`` tells the ones zakat may fund too); workers
    never funded are under :data:`NEVER_LIVE`. Who waits in a month is then
    the rows whose last live month is older than the arrears window
    (``coverage.waitlist.waiting_count``): exact on any day, since passing
    months only move that line, never the rows.
    """

    __tablename__ = "eligible_tallies"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    regency_code: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    is_mustahik: Mapped[bool] = mapped_column(primary_key=True)
    #: ``Worker.last_live_month``, or :data:`NEVER_LIVE`.
    last_live_month: Mapped[int] = mapped_column(primary_key=True)
    workers: Mapped[int] = mapped_column(default=0)


class OccupationTally(db.Model):
    """How many of a campaign's workers who may be funded (as in ``EligibleTally``) have one occupation."""

    __tablename__ = "occupation_tallies"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    occupation: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    workers: Mapped[int] = mapped_column(default=0)
