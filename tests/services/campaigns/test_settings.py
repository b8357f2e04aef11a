"""Campaign settings, regions from stdnum's data, and status changes."""

import datetime as dt

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import AuditEvent, CampaignStatus, Designation, Role
from donate.services.access.staff import can_manage
from donate.services.campaigns.settings import (
    CampaignInvalid,
    CampaignSettings,
    StatusChangeRefused,
    change_status,
    create_campaign,
    parse_regions,
    province_regencies,
    update_campaign,
)
from tests.manage_helpers import user


def settings(**overrides) -> CampaignSettings:
    values = dict(name="BAZNAS Riau 2026", target_workers=1041, term_months=6,
                  starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31),
                  designations=[Designation.zakat, Designation.infak], mustahik_only=True,
                  occupations=["Nelayan ", "ojek"], regions=[("1402", 1041)])
    values.update(overrides)
    return CampaignSettings(**values)


def test_regions_are_read_from_codes_and_provinces():
    assert parse_regions("1402: 1.041\n1471\n# komentar\n\n") == [("1402", 1041), ("1471", None)]
    riau = parse_regions("14")
    assert ("1471", None) in riau and len(riau) == len(province_regencies("14")) > 10
    for bad in ("9999", "1402: -3", "99", "14: 100"):
        with pytest.raises(CampaignInvalid):
            parse_regions(bad)


def test_a_manager_creates_a_draft_and_is_assigned(app):
    manager = user("amil@example.org", Role.manager)
    campaign = create_campaign("baznas-riau-2026", settings(), user=manager)
    assert campaign.status == CampaignStatus.draft
    assert campaign.designations == [Designation.zakat, Designation.infak]
    assert campaign.occupations == ["nelayan", "ojek"]
    assert [(r.code, r.target_workers) for r in campaign.regions] == [("1402", 1041)]
    assert can_manage(manager, campaign)
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.campaign_id == campaign.id)) \
        == "campaign.create"


@pytest.mark.parametrize("field, overrides", [
    ("name", {"name": " "}), ("target_workers", {"target_workers": 0}), ("term_months", {"term_months": 13}),
    ("ends_on", {"ends_on": dt.date(2025, 1, 1)}), ("designations", {"designations": []}),
])
def test_settings_that_cannot_work_are_refused(app, field, overrides):
    with pytest.raises(CampaignInvalid) as caught:
        create_campaign("x", settings(**overrides), user=None)
    assert caught.value.field == field


def test_slugs_are_unique_and_plain(app, make):
    make.campaign("taken")
    for slug in ("taken", "Not Plain", ""):
        with pytest.raises(CampaignInvalid):
            create_campaign(slug, settings(), user=None)


def test_editing_replaces_regions_and_keeps_targets(app, make):
    campaign = make.campaign(regions=(("1402", 10), ("1471", None)))
    update_campaign(campaign, settings(regions=[("1471", 50), ("6171", None)]), user=None)
    assert [(r.code, r.target_workers) for r in campaign.regions] == [("1471", 50), ("6171", None)]
    assert campaign.mustahik_only


def test_status_moves_only_along_its_transitions(app, make):
    campaign = make.campaign()
    change_status(campaign, CampaignStatus.paused, user=None)
    change_status(campaign, CampaignStatus.open, user=None)
    change_status(campaign, CampaignStatus.closed, user=None)
    with pytest.raises(StatusChangeRefused):
        change_status(campaign, CampaignStatus.paused, user=None)
    events = db.session.scalars(sa.select(AuditEvent.params).where(AuditEvent.action == "campaign.status")
                                .order_by(AuditEvent.id)).all()
    assert [(e["before"], e["after"]) for e in events] == [("open", "paused"), ("paused", "open"), ("open", "closed")]
