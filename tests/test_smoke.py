from donate import clock
from donate.models import Designation
from donate.services import ledger
from donate.services.campaigns.progress import campaign_progress
from donate.services.coverage.allocation import allocate_pool


def test_pool_gift_funds_waiting_workers(app, make):
    campaign = make.campaign()
    make.workers(campaign, 3)
    make.paid_gift(campaign, 2 * 6 * 16_800 + 500, designation=Designation.csr)
    runs = allocate_pool(campaign, now=clock.now(), today=clock.today())
    assert [(r.workers, r.months, r.amount_idr) for r in runs] == [(2, 12, 201_600)]
    progress = campaign_progress(campaign, today=clock.today())
    assert progress["workers_funded"] == 2
    assert progress["pool_balance_idr"] == 500
    assert ledger.check_ledger() == []
