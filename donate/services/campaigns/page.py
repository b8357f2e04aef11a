"""Everything the public campaign page shows, read in one place: money, workers, time, story, news, doa."""

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup

from ...formatting import bar_permille
from ...models import Campaign
from ..coverage.claims import recent_impact
from ..donors.doa import Prayer, prayers
from ..donors.gifts import recent_supporters
from ..money.checkout import pool_presets
from .figures import public_funders
from .progress import campaign_progress
from .story import plain_summary, render_markdown
from .updates import latest_updates

@dataclass(frozen=True)
class CampaignPage:
    campaign: Campaign
    #: The figures of the JSON API (``campaign_progress``).
    progress: dict
    #: Target workers × term × today's premium.
    money_target_idr: int
    #: Days until the campaign ends (0 on its last day), ``None`` without an end date or once ended.
    days_left: int | None
    story_html: Markup
    summary: str
    updates: list
    prayers: list[Prayer]
    more_prayers: bool
    doa_page: int
    supporters: list
    funders: list
    #: (workers, months, amount) tiles for a pool gift.
    presets: list[tuple[int, int, int]]
    #: The latest claims BPJS paid, as lines that name nobody.
    impact: list[str]

    @property
    def money_permille(self) -> int:
        return bar_permille(self.progress["raised_idr"], self.money_target_idr)


def days_left(campaign: Campaign, today: dt.date) -> int | None:
    """Return the days left until ``campaign.ends_on`` (``None`` without an end or after it)."""
    if campaign.ends_on is None or campaign.ends_on < today:
        return None
    return (campaign.ends_on - today).days


def campaign_page(campaign: Campaign, *, today: dt.date, doa_page: int = 1,
                  visitor_id: str | None = None) -> CampaignPage:
    """Return what the campaign page shows."""
    progress = campaign_progress(campaign, today=today)
    page_of_prayers, more = prayers(campaign, page=doa_page, visitor_id=visitor_id)
    return CampaignPage(
        campaign=campaign, progress=progress,
        money_target_idr=campaign.target_workers * campaign.term_months * progress["premium_idr"],
        days_left=days_left(campaign, today),
        story_html=render_markdown(campaign.story), summary=plain_summary(campaign.story),
        updates=latest_updates(campaign), prayers=page_of_prayers, more_prayers=more, doa_page=max(doa_page, 1),
        supporters=recent_supporters(campaign), funders=public_funders(campaign, today=today),
        presets=pool_presets(campaign, today=today),
        impact=recent_impact(campaign) if progress["claims_paid"] else [],
    )
