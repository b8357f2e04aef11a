"""The append-only double-entry journal. Balances are sums of postings, kept as running totals."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, enum_column, utcnow
from .campaigns import Designation


class Account(enum.Enum):
    """Ledger accounts, one of each per campaign and designation.

    Debits are positive. Money arriving is credited to ``received`` and
    debited to ``pool``; money returned to a donor is debited to
    ``refunded``. Money refunded after it was spent (allocated or sent to
    BPJS) is owed back to the pool: the ``shortfall`` account holds what is
    still owed (a credit) and the campaign's next money repays it first.
    Money a provider collected for an event we do not trust waits in
    ``suspense``. So ``-(received + refunded + suspense)`` is the money the
    campaign holds, and it always equals ``pool + allocated + remitted +
    shortfall``.
    """

    received = "received"
    pool = "pool"
    allocated = "allocated"
    remitted = "remitted"
    refunded = "refunded"
    shortfall = "shortfall"
    suspense = "suspense"


class Journal(db.Model):
    """One balanced entry: its postings sum to zero."""

    __tablename__ = "journals"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: What happened, e.g. "payment_received", "allocation", "refund".
    kind: Mapped[str] = mapped_column(sa.String(40))
    memo: Mapped[str] = mapped_column(sa.String(300), default="")
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    allocation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("allocations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    postings: Mapped[list["Posting"]] = relationship(back_populates="journal", order_by="Posting.id")

    __table_args__ = (
        # The dashboard's latest entries without sorting the campaign's whole journal (the id breaks ties:
        # entries of one instant would otherwise be sorted all together).
        sa.Index("ix_journals_campaign_created", "campaign_id", "created_at", "id"),
    )


class Posting(db.Model):
    __tablename__ = "postings"
    __table_args__ = (
        sa.CheckConstraint("amount_idr <> 0", name="amount_nonzero"),
        sa.Index("ix_postings_account", "campaign_id", "account", "designation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journal_id: Mapped[int] = mapped_column(sa.ForeignKey("journals.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    account: Mapped[Account] = mapped_column(enum_column(Account))
    designation: Mapped[Designation] = mapped_column(enum_column(Designation))
    #: Signed: debit positive, credit negative.
    amount_idr: Mapped[int] = mapped_column(Money)

    journal: Mapped[Journal] = relationship(back_populates="postings")


class AccountBalance(db.Model):
    """The sum of one account's postings, added to with every posting (``ledger.post_entry``).

    Reading a balance is then one row whatever the size of the ledger;
    ``check_ledger`` proves each total equals the sum it stands for.
    """

    __tablename__ = "account_balances"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    #: No CHECK on the values: an account added to :class:`Account` needs no migration of this table.
    account: Mapped[Account] = mapped_column(
        sa.Enum(Account, native_enum=False, create_constraint=False, length=20,
                values_callable=lambda members: [m.value for m in members]),
        primary_key=True)
    designation: Mapped[Designation] = mapped_column(enum_column(Designation), primary_key=True)
    balance_idr: Mapped[int] = mapped_column(Money, default=0)


@sa.event.listens_for(Journal, "before_update")
@sa.event.listens_for(Journal, "before_delete")
@sa.event.listens_for(Posting, "before_update")
@sa.event.listens_for(Posting, "before_delete")
def _refuse_changes(mapper, connection, target):
    """Keep the journal append-only: corrections are new entries."""
    raise ValueError("the ledger is append-only; post a correcting entry instead")
