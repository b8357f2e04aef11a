"""Campaigns, their regions and the designations of gifts they accept."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_column, utcnow


class Designation(enum.Enum):
    """What a gift is, which decides whom it may fund."""

    #: Only for mustahik (fakir and miskin) workers.
    zakat = "zakat"
    infak = "infak"
    #: Company CSR and general gifts.
    csr = "csr"


class CampaignStatus(enum.Enum):
    draft = "draft"
    open = "open"
    paused = "paused"
    closed = "closed"


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint("target_workers > 0", name="target_positive"),
        sa.CheckConstraint("term_months BETWEEN 1 AND 12", name="term_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    story: Mapped[str] = mapped_column(sa.Text, default="")
    #: Workers to fund for a full term (e.g. 100,000 for GN Lingkaran).
    target_workers: Mapped[int]
    #: Months each new worker is funded for; BPJS counts a worker after 6.
    term_months: Mapped[int] = mapped_column(default=6)
    starts_on: Mapped[dt.date | None]
    ends_on: Mapped[dt.date | None]
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus), default=CampaignStatus.open
    )
    #: Comma-separated :class:`Designation` values the campaign accepts.
    designations_accepted: Mapped[str] = mapped_column(sa.String(60), default="zakat,infak,csr")
    #: Only mustahik workers may be funded, whatever the designation.
    mustahik_only: Mapped[bool] = mapped_column(default=False)
    #: The package funded: JKK + JKM, and JHT (2% of declared income) when true. Fixed once months are funded,
    #: so a worker's months are never partly one package and partly another.
    includes_jht: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Comma-separated occupations eligible for funding; empty means any.
    eligible_occupations: Mapped[str] = mapped_column(sa.Text, default="")
    #: File name of the cover image under ``instance/covers/`` (see ``services.campaigns.covers``).
    cover_image: Mapped[str | None] = mapped_column(sa.String(80))
    #: Bumped to take a row lock that serialises money moves within the campaign.
    lock_version: Mapped[int] = mapped_column(default=0)
    #: A random token replaced by each transaction that changes the campaign or its figures
    #: (``services.locks.lock_campaign``): what a cached copy of its figures is keyed by.
    figures_version: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    regions: Mapped[list["CampaignRegion"]] = relationship(
        back_populates="campaign", order_by="CampaignRegion.code", cascade="all, delete-orphan"
    )

    @property
    def designations(self) -> list[Designation]:
        """Return the accepted designations in a stable order."""
        chosen = {part.strip() for part in self.designations_accepted.split(",")}
        return [d for d in Designation if d.value in chosen]

    @property
    def programs(self) -> list[str]:
        """Return the BPJS programmes the campaign pays for, in the order BPJS lists them."""
        return ["jkk", "jkm", "jht"] if self.includes_jht else ["jkk", "jkm"]

    @property
    def occupations(self) -> list[str]:
        """Return the eligible occupations (empty: any)."""
        return [o.strip() for o in self.eligible_occupations.split(",") if o.strip()]

    def __repr__(self) -> str:
        return f"<Campaign {self.slug}>"


class CampaignRegion(db.Model):
    """A regency (kabupaten/kota) in which a campaign works, with an optional target."""

    __tablename__ = "campaign_regions"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "code"),
        sa.CheckConstraint("target_workers IS NULL OR target_workers > 0", name="target_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    #: Four-digit regency code from stdnum's ``id/loc`` data (e.g. 1402).
    code: Mapped[str] = mapped_column(sa.String(4))
    #: Workers to fund in this regency; ``None`` means no cap.
    target_workers: Mapped[int | None]

    campaign: Mapped[Campaign] = relationship(back_populates="regions")


class CampaignUpdate(db.Model):
    """A "Kabar terbaru" post by a manager: shown on the campaign page and emailed to its donors."""

    __tablename__ = "campaign_updates"
    __table_args__ = (sa.Index("ix_campaign_updates_campaign_created", "campaign_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Markdown, rendered through the sanitiser.
    body: Mapped[str] = mapped_column(sa.Text)
    #: File name of the optional image under ``instance/covers/``.
    image: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Donors the update was emailed to.
    emailed: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship()
