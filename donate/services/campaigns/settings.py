"""Create and edit campaigns, their regions and eligibility; open, pause and close them."""

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import lazy_gettext
from stdnum import numdb

from ...extensions import db
from ...labels import label
from ...models import Campaign, CampaignRegion, CampaignStatus, CoverageMonth, Designation, User
from ...regions import regency
from ..access import audit
from ..errors import DomainError, FieldError

#: Which status each status may move to.
STATUS_TRANSITIONS = {
    CampaignStatus.draft: {CampaignStatus.open, CampaignStatus.closed},
    CampaignStatus.open: {CampaignStatus.paused, CampaignStatus.closed},
    CampaignStatus.paused: {CampaignStatus.open, CampaignStatus.closed},
    CampaignStatus.closed: {CampaignStatus.open},
}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


#: More workers than a campaign could ever target (Indonesia has some 60 million informal workers).
MAX_TARGET_WORKERS = 100_000_000
#: Campaign dates outside these years are typing errors.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


class CampaignInvalid(FieldError):
    """Campaign settings that break a rule; ``field`` names the field at fault."""

    fields = {"name": lazy_gettext("name"), "slug": lazy_gettext("slug"), "includes_jht": "JHT",
              "target_workers": lazy_gettext("target workers"), "term_months": lazy_gettext("term"),
              "ends_on": lazy_gettext("end date"), "designations": lazy_gettext("designations"),
              "regions": lazy_gettext("regions")}


class StatusChangeRefused(DomainError):
    """A campaign asked to move to a status its current status does not lead to."""


@dataclass
class CampaignSettings:
    """What a manager may set on a campaign."""

    name: str
    target_workers: int
    term_months: int
    story: str = ""
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    designations: list[Designation] = field(default_factory=lambda: list(Designation))
    mustahik_only: bool = False
    #: Fund JHT too (2% of declared income); fixed once the campaign has funded months.
    includes_jht: bool = False
    occupations: list[str] = field(default_factory=list)
    #: (regency code, target or None)
    regions: list[tuple[str, int | None]] = field(default_factory=list)


def parse_regions(text: str) -> list[tuple[str, int | None]]:
    """Read lines of ``CODE`` or ``CODE: TARGET``; a 2-digit province code stands for all its regencies."""
    found: dict[str, int | None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        code, target_text = _split_region_line(line)
        target = None
        if target_text:
            digits = re.sub(r"[.\s]", "", target_text)
            if not (digits.isascii() and digits.isdigit()) or int(digits[:20]) <= 0:
                raise CampaignInvalid("regions", lazy_gettext("line %(line)s: the target must be a positive whole number"),
                                      line=number)
            if len(digits) > len(str(MAX_TARGET_WORKERS)) or int(digits) > MAX_TARGET_WORKERS:
                raise CampaignInvalid("regions", lazy_gettext("line %(line)s: a target is at most %(limit)s workers"),
                                      line=number, limit=MAX_TARGET_WORKERS)
            target = int(digits)
        if len(code) == 2 and code.isdigit():
            regencies = province_regencies(code)
            if not regencies:
                raise CampaignInvalid("regions", lazy_gettext("line %(line)s: unknown province code %(code)s"), line=number, code=code)
            if target is not None:
                raise CampaignInvalid("regions", lazy_gettext("line %(line)s: give targets per regency, not per province"), line=number)
            for regency_code, _ in regencies:
                found.setdefault(regency_code, None)
            continue
        if regency(code) is None:
            raise CampaignInvalid("regions", lazy_gettext("line %(line)s: unknown regency code %(code)s"), line=number, code=repr(code))
        found[code] = target
    return sorted(found.items())


def _split_region_line(line: str) -> tuple[str, str]:
    """Split "1402: 1.041" into its code and target text."""
    match = re.match(r"^(\d+)\s*[:=,;]?\s*(.*)$", line)
    if not match:
        return line, ""
    return match.group(1), match.group(2).strip()


@lru_cache(maxsize=1)
def provinces() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Return (code, name, [(regency code, regency name)]) for every province in stdnum's data."""
    result = []
    for _, code, _, info, children in numdb.get("id/loc").prefixes:
        if "name_id" not in info:
            continue
        regencies = [(code + child_code, child_info["name_id"].title())
                     for _, child_code, _, child_info, _ in children if "name_id" in child_info]
        result.append((code, info["name_id"], regencies))
    return result


def province_regencies(code: str) -> list[tuple[str, str]]:
    """Return the (code, name) of every regency in a province."""
    return next((regencies for p_code, _, regencies in provinces() if p_code == code), [])


def _check(settings: CampaignSettings) -> None:
    """Raise :class:`CampaignInvalid` for settings that cannot work."""
    if not settings.name.strip():
        raise CampaignInvalid("name", lazy_gettext("is required"))
    if settings.target_workers <= 0:
        raise CampaignInvalid("target_workers", lazy_gettext("must be at least 1"))
    if settings.target_workers > MAX_TARGET_WORKERS:
        raise CampaignInvalid("target_workers", lazy_gettext("at most %(limit)s workers"), limit=MAX_TARGET_WORKERS)
    for day, name in ((settings.starts_on, "starts_on"), (settings.ends_on, "ends_on")):
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise CampaignInvalid(name, lazy_gettext("must be between %(first)s and %(last)s"),
                                  first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat())
    if not 1 <= settings.term_months <= 12:
        raise CampaignInvalid("term_months", lazy_gettext("must be 1 to 12 months"))
    if settings.starts_on and settings.ends_on and settings.ends_on < settings.starts_on:
        raise CampaignInvalid("ends_on", lazy_gettext("is before the start"))
    if not settings.designations:
        raise CampaignInvalid("designations", lazy_gettext("accept at least one designation"))


def _apply(campaign: Campaign, settings: CampaignSettings) -> None:
    """Copy settings onto the campaign, replacing its regions."""
    campaign.name = settings.name.strip()
    campaign.story = settings.story.strip()
    campaign.target_workers = settings.target_workers
    campaign.term_months = settings.term_months
    campaign.starts_on = settings.starts_on
    campaign.ends_on = settings.ends_on
    campaign.designations_accepted = ",".join(d.value for d in Designation if d in settings.designations)
    campaign.mustahik_only = settings.mustahik_only
    campaign.includes_jht = settings.includes_jht
    campaign.eligible_occupations = ",".join(
        sorted({" ".join(o.split()).lower() for o in settings.occupations if o.strip()}))
    existing = {region.code: region for region in campaign.regions}
    wanted = dict(settings.regions)
    campaign.regions = [
        existing.get(code) or CampaignRegion(code=code) for code in sorted(wanted)
    ]
    for region in campaign.regions:
        region.target_workers = wanted[region.code]


def create_campaign(slug: str, settings: CampaignSettings, *, user: User | None) -> Campaign:
    """Create a campaign as a draft; the manager who creates it is assigned to it."""
    slug = slug.strip().lower()
    if not _SLUG.match(slug) or len(slug) > 80:
        raise CampaignInvalid("slug", lazy_gettext("use lower-case letters, digits and hyphens"))
    if db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == slug)) is not None:
        raise CampaignInvalid("slug", lazy_gettext("is taken by another campaign"))
    _check(settings)
    campaign = Campaign(slug=slug, status=CampaignStatus.draft, name="", target_workers=1)
    _apply(campaign, settings)
    db.session.add(campaign)
    db.session.flush()
    if user is not None:
        from ..access.staff import assign_staff

        assign_staff(campaign, user, actor=None)
    audit.record_action("campaign.create", user=user, campaign=campaign, subject=campaign.slug,
                        params={"campaign": campaign.slug, "target_workers": campaign.target_workers,
                                "term_months": campaign.term_months})
    return campaign


def update_campaign(campaign: Campaign, settings: CampaignSettings, *, user: User | None) -> Campaign:
    """Change a campaign's settings and regions; the package (JHT or not) only until months are funded."""
    _check(settings)
    if settings.includes_jht != campaign.includes_jht and db.session.scalar(
            sa.select(CoverageMonth.id).where(CoverageMonth.campaign_id == campaign.id).limit(1)) is not None:
        raise CampaignInvalid("includes_jht", lazy_gettext(
            "cannot change once months are funded: a worker's months are never partly one package and partly another"))
    _apply(campaign, settings)
    db.session.flush()
    audit.record_action("campaign.edit", user=user, campaign=campaign, subject=campaign.slug,
                        params={"campaign": campaign.slug, "target_workers": campaign.target_workers,
                                "term_months": campaign.term_months, "regions": len(campaign.regions)})
    return campaign


def change_status(campaign: Campaign, status: CampaignStatus, *, user: User | None) -> None:
    """Open, pause or close a campaign."""
    if status not in STATUS_TRANSITIONS[campaign.status]:
        raise StatusChangeRefused(lazy_gettext("a campaign that is %(old)s cannot become %(new)s"), old=label(campaign.status), new=label(status))
    before = campaign.status
    campaign.status = status
    db.session.flush()
    audit.record_action("campaign.status", user=user, campaign=campaign, subject=campaign.slug,
                        params={"campaign": campaign.slug, "before": before.value, "after": status.value})
