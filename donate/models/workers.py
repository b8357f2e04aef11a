"""Workers (pekerja rentan) registered with a campaign."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, enum_column, utcnow
from .campaigns import Campaign


class Verification(enum.Enum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"


class Sex(enum.Enum):
    #: Laki-laki.
    male = "L"
    #: Perempuan.
    female = "P"


class Worker(db.Model):
    __tablename__ = "workers"
    __table_args__ = (
        sa.CheckConstraint("monthly_income_idr >= 0", name="income_nonnegative"),
        sa.Index("ix_workers_waitlist", "campaign_id", "verification", "priority", "registered_at"),
        sa.Index("ix_workers_last_live_month", "campaign_id", "last_live_month"),
        # Covers the count of waiting workers (``coverage.waitlist.waiting``) without the table; ``company_id``
        # too, since a company's workers are on no general list.
        sa.Index("ix_workers_waiting", "campaign_id", "verification", "last_live_month", "consent_at",
                 "flag_reason", "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: Random id shown to the public instead of anything personal.
    public_id: Mapped[str] = mapped_column(sa.String(22), unique=True)
    #: AES-GCM ciphertext of the 16-digit NIK (see ``donate.crypto``).
    nik_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: Keyed HMAC of the NIK: look-up and de-duplication without decrypting.
    nik_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The name as on the KTP.
    full_name: Mapped[str] = mapped_column(sa.String(200))
    birth_date: Mapped[dt.date]
    sex: Mapped[Sex] = mapped_column(enum_column(Sex))
    phone_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    occupation: Mapped[str] = mapped_column(sa.String(80))
    #: Four-digit regency code from stdnum's ``id/loc`` data.
    regency_code: Mapped[str] = mapped_column(sa.String(4), index=True)
    #: Declared monthly income; JKK is a percentage of it.
    monthly_income_idr: Mapped[int] = mapped_column(Money)
    #: Verified as fakir or miskin, so zakat may fund the worker.
    is_mustahik: Mapped[bool] = mapped_column(default=False)
    #: When the worker agreed to be registered and funded; ``None``: no consent.
    consent_at: Mapped[dt.datetime | None]
    #: Whether the worker agreed to a pseudonymous profile shown to donors.
    public_profile: Mapped[bool] = mapped_column(default=True)
    verification: Mapped[Verification] = mapped_column(
        enum_column(Verification), default=Verification.pending
    )
    #: Why verification or BPJS registration was refused.
    flag_reason: Mapped[str | None] = mapped_column(sa.String(300))
    #: Higher goes first on the waitlist.
    priority: Mapped[int] = mapped_column(default=0)
    #: BPJS Ketenagakerjaan card number, 11 digits, once enrolled.
    kpj: Mapped[str | None] = mapped_column(sa.String(11), unique=True)
    #: "Budi S., ojek, Pekanbaru": all a donor ever sees.
    display_name: Mapped[str] = mapped_column(sa.String(200))
    #: Bumped to take a row lock while the worker is held or funded.
    lock_version: Mapped[int] = mapped_column(default=0)
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Months funded, sent or accepted (kept by ``services.tallies`` with every change of coverage).
    live_months: Mapped[int] = mapped_column(default=0)
    #: The last of those months; ``None``: never funded.
    last_live_month: Mapped[int | None]
    #: The company whose list brought the worker: reserved to its gifts, never on the general waitlist.
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)

    campaign: Mapped[Campaign] = relationship()
    company: Mapped["Company | None"] = relationship("Company")  # noqa: F821  (models.companies)

    def __repr__(self) -> str:
        return f"<Worker {self.public_id}>"


# The manager's list of workers, newest first, paged along the index (``services.pages.page_of`` with a key).
sa.Index("ix_workers_registered", Worker.campaign_id, Worker.registered_at, Worker.id)
# The waitlist's never-funded half in queue order, read along the index and cut at the first N
# (``coverage.waitlist.queue_head``): priority descending as ``QUEUE_ORDER`` has it, the id last. Partial, so
# that PostgreSQL, which takes ``IS NULL`` for no equality, still sees the index in the queue's order.
sa.Index("ix_workers_queue", Worker.campaign_id, Worker.verification, Worker.priority.desc(), Worker.registered_at,
         Worker.id, postgresql_where=Worker.last_live_month.is_(None), sqlite_where=Worker.last_live_month.is_(None))


class RejectedRowsFile(db.Model):
    """The rejected rows of a browser CSV upload, kept encrypted so the uploader can download them."""

    __tablename__ = "rejected_rows_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random, unguessable; the download URL carries it.
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: AES-GCM ciphertext of the CSV (it holds the NIKs of the file).
    content_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    rows: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
