"""The embeddable progress widget and the transparency page."""

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import Account, CoverageMonth, CoverageState, Designation
from donate.services import ledger
from donate.services.campaigns.transparency import campaign_transparency
from donate.services.coverage.allocation import allocate_pool
from donate.services.money.donations import record_funding
from donate.services.money.refunds import refund_payment
from tests.conftest import PREMIUM


def test_widget_can_be_framed_by_partners(client, make):
    campaign = make.campaign("riau", name="Pekerja Rentan Riau", target_workers=10)
    make.workers(campaign, 2)
    make.paid_gift(campaign, 6 * PREMIUM)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    db.session.commit()

    response = client.get("/embed/campaigns/riau?lang=en")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors *")
    page = response.get_data(as_text=True)
    assert "Pekerja Rentan Riau" in page
    assert "1 of 10 workers funded" in page
    assert 'target="_blank"' in page and "http://lindungi.test/campaigns/riau" in page
    assert "<script" not in page
    assert client.get("/embed/campaigns/nothing").status_code == 404


def test_status_pages_cannot_be_framed(client):
    assert client.get("/status/").headers["X-Frame-Options"] == "DENY"


def _remit(worker_ids):
    """Move funded months to remitted as a remittance batch would, through the ledger."""
    months = db.session.scalars(sa.select(CoverageMonth).where(CoverageMonth.worker_id.in_(worker_ids))).all()
    total = sum(m.premium_idr for m in months)
    for month in months:
        month.state = CoverageState.accepted
    ledger.post_entry(months[0].campaign_id, "remittance",
                      [(Account.allocated, Designation.csr, -total), (Account.remitted, Designation.csr, total)])
    return total


def test_transparency_reads_money_in_and_out_from_the_ledger(client, make):
    campaign = make.campaign("riau", name="Pekerja Rentan Riau", target_workers=10)
    workers = make.workers(campaign, 3)
    record_funding(campaign, 2 * 6 * PREMIUM, funder="DBH Sawit Riau", designation=Designation.csr, reference="T-1",
                   now=clock.now(), today=clock.today())
    online = make.paid_gift(campaign, 50_000, designation=Designation.infak, donor_name="Ahmad")
    make.paid_gift(campaign, 30_000, designation=Designation.infak, is_anonymous=True)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    remitted = _remit([workers[0].id])
    refund_payment(online.payments[0], 10_000, today=clock.today())
    db.session.commit()

    books = campaign_transparency(campaign, today=clock.today())
    csr = next(row for row in books["designations"] if row["designation"] == "csr")
    infak = next(row for row in books["designations"] if row["designation"] == "infak")
    assert csr == {"designation": "csr", "received_idr": 201_600, "refunded_idr": 0, "pool_idr": 0,
                   "allocated_idr": 201_600 - remitted, "remitted_idr": remitted, "shortfall_idr": 0,
                   "suspense_idr": 0}
    assert infak["received_idr"] == 80_000 and infak["refunded_idr"] == 10_000 and infak["pool_idr"] == 70_000
    assert books["balanced"]
    assert books["funders"] == [
        {"designation": "csr", "funder": "DBH Sawit Riau", "gifts": 1, "received_idr": 201_600},
        {"designation": "infak", "funder": None, "gifts": 2, "received_idr": 80_000},
    ]
    assert books["progress"]["workers_funded"] == 2 and books["progress"]["workers_protected"] == 1

    page = client.get("/transparency/riau?lang=en").get_data(as_text=True)
    assert "DBH Sawit Riau" in page and "Online donors" in page
    assert "Ahmad" not in page  # individual donors are not listed
    assert "Rp 201,600" in page or "Rp 201.600" in page
    assert "/embed/campaigns/riau" in page
    assert client.get("/transparency/nothing").status_code == 404


def test_pages_lead_to_the_status_check_and_the_transparency_page(client, make):
    make.campaign("riau")
    db.session.commit()
    page = client.get("/campaigns/riau").get_data(as_text=True)
    assert 'href="/transparency/riau"' in page
    assert 'href="/status/"' in page
