"""Late payments for months already funded extend a worker at most 12 months ahead; the rest goes to the pool."""

import html

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import Account, CoverageMonth, Designation, DonationKind
from donate.months import current_month
from donate.services import ledger
from donate.services.access.accounts import create_user
from donate.services.coverage.allocation import MAX_MONTHS_AHEAD
from donate.services.money.donations import (
    confirm_payment,
    create_donation,
    start_payment,
)
from tests.conftest import PREMIUM
from tests.manage_helpers import login


def late_sponsorship(campaign, worker, n: int, **fields):
    """Pay for three months of ``worker`` after the hold expired (no hold taken)."""
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.infak,
                               amount_idr=3 * PREMIUM, worker=worker, months=3,
                               donor_email=f"donor{n}@example.org", **fields)
    confirm_payment(start_payment(donation, "sandbox", f"sbx_late_{n}").id, now=clock.now(), today=clock.today())
    return donation


def test_twenty_four_late_payments_fund_a_worker_at_most_twelve_months_ahead(app, make):
    campaign = make.campaign()
    worker = make.worker(campaign)
    for n in range(24):
        late_sponsorship(campaign, worker, n)
    db.session.commit()
    months = db.session.scalars(sa.select(CoverageMonth.month).where(CoverageMonth.worker_id == worker.id)).all()
    assert len(months) == MAX_MONTHS_AHEAD == 12
    assert max(months) == current_month(clock.today()) + MAX_MONTHS_AHEAD - 1
    assert ledger.balance(campaign.id, Account.pool) == (24 * 3 - 12) * PREMIUM
    assert ledger.check_ledger() == []


def test_the_donors_page_says_where_the_rest_went(app, client, make):
    campaign = make.campaign()
    worker = make.worker(campaign)
    for n in range(4):
        late_sponsorship(campaign, worker, n)
    donor = create_user("late@example.org", "rahasia123")
    late = late_sponsorship(campaign, worker, 99, donor_id=donor.id)
    db.session.commit()
    login(client, donor)
    page = client.get("/donor/?lang=en").get_data(as_text=True)
    assert "Rp 50.400 of this gift went to the campaign's pool for other workers" in html.unescape(page)
    assert late.id
