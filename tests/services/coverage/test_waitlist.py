"""Every page that counts waiting workers agrees with the allocator, on a campaign with eligibility rules."""

import re

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import CoverageMonth, Designation, Role
from donate.months import current_month
from donate.services.coverage.allocation import allocate_pool
from donate.services.coverage.waitlist import (
    is_fundable,
    last_live_month,
    next_fundable_month,
    waiting_count,
)
from tests.manage_helpers import login, staff_user


def _ruled_campaign(make):
    """A mustahik-only campaign for ojek drivers, with workers on both sides of every rule."""
    campaign = make.campaign("ojek-mustahik", eligible_occupations="ojek", mustahik_only=True)
    fundable = [make.worker(campaign, occupation="ojek", mustahik=True) for _ in range(2)]
    make.worker(campaign, occupation="ojek", mustahik=False)  # the campaign takes only mustahik
    make.worker(campaign, occupation="nelayan", mustahik=True)  # not an occupation the campaign covers
    make.worker(campaign, occupation="ojek", mustahik=True, verified=False)  # not verified yet
    make.worker(campaign, occupation="ojek", mustahik=True, consent=False)  # no consent
    return campaign, fundable


def _number(pattern: str, html: str) -> int:
    found = re.search(pattern, html)
    assert found, pattern
    return int(found.group(1).replace(".", "").replace(",", ""))


def test_api_browse_page_dashboard_and_allocator_agree_on_who_is_waiting(app, client, make):
    campaign, fundable = _ruled_campaign(make)
    manager = staff_user("m@example.org", Role.manager, campaign)
    db.session.commit()

    api = client.get("/api/v1/campaigns/ojek-mustahik").get_json()["workers_waiting"]
    browse = client.get("/donor/campaigns/ojek-mustahik/workers").get_data(as_text=True)
    browse_count = _number(r"menunggu didanai di kampanye ini: ([\d.]+)", browse)
    listed = browse.count("/donor/campaigns/ojek-mustahik/workers/")
    fund = client.get("/donor/campaigns/ojek-mustahik/fund").get_data(as_text=True)
    fund_counts = [int(n) for n in re.findall(r"(\d+) pekerja</li>", fund)]
    login(client, manager)
    dashboard = client.get("/manage/campaigns/ojek-mustahik").get_data(as_text=True)
    dashboard_count = _number(r"Menunggu donatur</dt><dd>([\d.]+)</dd>", dashboard)
    allocation = client.get("/manage/campaigns/ojek-mustahik/allocation").get_data(as_text=True)
    waitlist_count = _number(r"<p>([\d.]+) pekerja sudah diverifikasi", allocation)

    make.paid_gift(campaign, 10 * 6 * 16_800, designation=Designation.infak)
    allocate_pool(campaign, today=clock.today(), now=clock.now())
    funded = set(db.session.scalars(sa.select(CoverageMonth.worker_id).distinct()))

    assert funded == {w.id for w in fundable}
    assert api == browse_count == listed == dashboard_count == waitlist_count == len(funded) == 2
    assert fund_counts and set(fund_counts) == {2}


def test_zakat_waits_only_for_mustahik_and_the_python_twin_agrees(app, make):
    campaign = make.campaign("umum", eligible_occupations="ojek,nelayan")
    mustahik = make.worker(campaign, mustahik=True)
    other = make.worker(campaign, mustahik=False, occupation="nelayan")
    outside = make.worker(campaign, occupation="petani")
    today = clock.today()
    assert waiting_count(campaign, Designation.zakat, today=today) == 1
    assert waiting_count(campaign, Designation.infak, today=today) == 2
    assert waiting_count(campaign, today=today) == 2
    assert [is_fundable(w, Designation.zakat, campaign) for w in (mustahik, other, outside)] == [True, False, False]
    assert [is_fundable(w, None, campaign) for w in (mustahik, other, outside)] == [True, True, False]


def test_last_live_month_and_where_the_next_payment_starts(app, make):
    campaign = make.campaign()
    worker = make.worker(campaign)
    month = current_month(clock.today())
    assert last_live_month(worker.id) is None
    assert next_fundable_month(worker.id, month) == month
    make.paid_gift(campaign, 6 * 16_800)
    allocate_pool(campaign, today=clock.today(), now=clock.now())
    assert last_live_month(worker.id) == month + 5
    assert next_fundable_month(worker.id, month) == month + 6
    # Out for longer than the arrears window: a new payment starts afresh.
    assert next_fundable_month(worker.id, month + 10) == month + 10
    assert waiting_count(campaign, today=clock.today()) == 0
