"""Donor journeys through the sandbox: choose, pay, see the impact, print the receipt."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import (
    CoverageMonth,
    Designation,
    Donation,
    DonationKind,
    Hold,
    OutboxMessage,
    Payment,
    PaymentState,
    Receipt,
    Subscription,
)
from donate.months import current_month
from donate.services.access.accounts import create_user
from donate.services.ledger import check_ledger
from donate.services.money.checkout import Donor, sponsor_worker
from donate.services.money.receipts import payment_token
from tests.conftest import NOW, PREMIUM, TODAY

SIX_MONTHS = 6 * 16_800


@pytest.fixture
def campaign(make):
    campaign = make.campaign("gn-lingkaran", target_workers=100)
    db.session.commit()
    return campaign


def months_of(worker) -> list[int]:
    return db.session.scalars(sa.select(CoverageMonth.month).where(CoverageMonth.worker_id == worker.id)
                              .order_by(CoverageMonth.month)).all()


def path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def sponsor(client, campaign, worker, **data):
    form = {"months": "6", "designation": "infak", "donor_name": "Siti Aminah",
            "donor_email": "siti@example.com", **data}
    return client.post(f"/donor/campaigns/{campaign.slug}/workers/{worker.public_id}", data=form)


def sandbox(client, checkout_url: str, outcome: str):
    """Press a button on the sandbox checkout; return the page the donor lands on."""
    response = client.post(path(checkout_url), data={"outcome": outcome})
    assert response.status_code == 302
    return client.get(path(response.headers["Location"]))


def test_browse_lists_consenting_waiting_workers_with_filters_and_pages(client, campaign, make):
    shown = make.worker(campaign, regency_code="1471", occupation="ojek", full_name="Budi Santoso")
    fisher = make.worker(campaign, regency_code="1402", occupation="nelayan", full_name="Joko Susilo")
    hidden = make.worker(campaign, full_name="Wati Rahayu")
    hidden.public_profile = False
    unverified = make.worker(campaign, verified=False, full_name="Agus Salim")
    make.workers(campaign, 25, regency_code="1402", occupation="nelayan")
    db.session.commit()

    html = client.get(f"/donor/campaigns/{campaign.slug}/workers").get_data(as_text=True)
    assert shown.display_name in html and fisher.display_name in html
    assert hidden.display_name not in html and unverified.display_name not in html
    assert "page=2" in html and "Indragiri Hulu" in html
    assert shown.full_name not in html  # only the pseudonymous name

    html = client.get(f"/donor/campaigns/{campaign.slug}/workers?regency=1471").get_data(as_text=True)
    assert shown.display_name in html and fisher.display_name not in html
    html = client.get(f"/donor/campaigns/{campaign.slug}/workers?occupation=nelayan&page=2").get_data(as_text=True)
    assert shown.display_name not in html and "nelayan" in html and "page=1" in html


def test_sponsor_a_worker_for_six_months_through_the_sandbox(client, campaign, make):
    worker = make.worker(campaign)
    db.session.commit()
    response = sponsor(client, campaign, worker)
    assert response.status_code == 302 and "/sandbox/checkout/" in response.headers["Location"]
    donation = db.session.scalar(sa.select(Donation))
    assert (donation.kind, donation.months, donation.amount_idr) == (DonationKind.worker, 6, SIX_MONTHS)
    assert db.session.scalar(sa.select(Hold.worker_id)) == worker.id

    page = sandbox(client, response.headers["Location"], "pay")
    html = page.get_data(as_text=True)
    assert "Terima kasih" in html and "LDG-" in html
    month = current_month(clock.today())
    assert months_of(worker) == list(range(month, month + 6))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Hold)) == 0
    receipt = db.session.scalar(sa.select(Receipt))
    mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "receipt"))
    assert mail.to_email == "siti@example.com" and receipt.number in mail.body
    assert check_ledger() == []


def test_a_held_worker_cannot_be_sponsored_by_a_second_donor(client, campaign, make):
    worker = make.worker(campaign)
    db.session.commit()
    assert sponsor(client, campaign, worker).status_code == 302
    html = client.get(f"/donor/campaigns/{campaign.slug}/workers").get_data(as_text=True)
    assert worker.display_name not in html
    second = sponsor(client, campaign, worker, donor_email="budi@example.com")
    assert second.headers["Location"].endswith(f"/donor/campaigns/{campaign.slug}/workers")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 1


@pytest.mark.parametrize("outcome", ["fail", "cancel"])
def test_failed_or_cancelled_payment_funds_nothing_and_frees_the_worker(client, campaign, make, outcome):
    worker = make.worker(campaign)
    db.session.commit()
    response = sponsor(client, campaign, worker)
    html = sandbox(client, response.headers["Location"], outcome).get_data(as_text=True)
    assert "Pembayaran tidak berhasil" in html
    assert months_of(worker) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Hold)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 0
    assert worker.display_name in client.get(f"/donor/campaigns/{campaign.slug}/workers").get_data(as_text=True)
    assert check_ledger() == []


def test_success_page_does_not_trust_the_redirect(client, campaign, make):
    worker = make.worker(campaign)
    db.session.commit()
    sponsor(client, campaign, worker)
    payment = db.session.scalar(sa.select(Payment))
    html = client.get(f"/donor/thanks/{payment_token(payment)}").get_data(as_text=True)
    assert "Menunggu pembayaran" in html
    assert months_of(worker) == []
    assert client.get("/donor/thanks/forged-token").status_code == 404


def test_zakat_is_offered_only_for_mustahik_workers_and_accepting_campaigns(client, campaign, make):
    mustahik = make.worker(campaign, mustahik=True)
    other = make.worker(campaign, mustahik=False)
    db.session.commit()
    assert 'value="zakat"' in client.get(f"/donor/campaigns/{campaign.slug}/workers/{mustahik.public_id}").get_data(as_text=True)
    assert 'value="zakat"' not in client.get(f"/donor/campaigns/{campaign.slug}/workers/{other.public_id}").get_data(as_text=True)
    assert sponsor(client, campaign, other, designation="zakat").status_code == 200
    campaign.designations_accepted = "infak"
    db.session.commit()
    html = client.get(f"/donor/campaigns/{campaign.slug}/give").get_data(as_text=True)
    assert 'value="infak"' in html and 'value="csr"' not in html and 'value="zakat"' not in html


def test_give_to_the_pool_with_a_preset_or_a_free_amount(client, campaign, make):
    html = client.get(f"/donor/campaigns/{campaign.slug}/give").get_data(as_text=True)
    assert "Rp 100.800" in html  # 1 worker × 6 months
    too_small = client.post(f"/donor/campaigns/{campaign.slug}/give",
                            data={"amount": "5000", "designation": "infak", "donor_email": "a@example.com",
                                  "is_anonymous": "y"})
    assert too_small.status_code == 200 and "Rp 10.000" in too_small.get_data(as_text=True)
    response = client.post(f"/donor/campaigns/{campaign.slug}/give",
                           data={"preset": str(SIX_MONTHS), "amount": "Rp 250.000", "designation": "csr",
                                 "donor_email": "a@example.com", "is_anonymous": "y", "message": "Semoga berkah"})
    assert response.status_code == 302
    sandbox(client, response.headers["Location"], "pay")
    donation = db.session.scalar(sa.select(Donation))
    assert donation.amount_idr == 250_000 and donation.kind == DonationKind.pool and donation.is_anonymous
    html = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    supporters = html.split('class="supporters"')[1].split("</ul>")[0]
    assert "Hamba Allah" in supporters and "Semoga berkah" in supporters  # anonymous, never unnamed-away
    make.paid_gift(campaign, 50_000, donor_name="Haji Ahmad", message="Untuk para nelayan")
    db.session.commit()
    html = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Haji Ahmad" in html and "Untuk para nelayan" in html
    assert check_ledger() == []


def test_a_company_funds_n_workers_for_m_months_at_once(client, campaign, make):
    workers = make.workers(campaign, 4)
    db.session.commit()
    too_many = client.post(f"/donor/campaigns/{campaign.slug}/fund",
                           data={"workers": "5", "months": "6", "designation": "csr",
                                 "donor_name": "PT Sawit Makmur", "donor_email": "csr@sawit.example"})
    assert too_many.status_code == 200 and "4" in too_many.get_data(as_text=True)
    response = client.post(f"/donor/campaigns/{campaign.slug}/fund",
                           data={"workers": "3", "months": "6", "designation": "csr", "npwp": "01.234.567.8-901.000",
                                 "donor_name": "PT Sawit Makmur", "donor_email": "csr@sawit.example"})
    assert response.status_code == 302
    sandbox(client, response.headers["Location"], "pay")
    donation = db.session.scalar(sa.select(Donation))
    assert (donation.amount_idr, donation.workers_count, donation.npwp) == (3 * SIX_MONTHS, 3, "012345678901000")
    assert [len(months_of(w)) for w in workers] == [6, 6, 6, 0]
    assert check_ledger() == []


def test_donor_page_shows_gifts_workers_and_renewal(app, client, campaign, make):
    user = create_user("rina@example.com", "rahasia123", name="Rina")
    worker = make.worker(campaign)
    db.session.commit()
    client.post("/auth/login", data={"email": "rina@example.com", "password": "rahasia123"})
    response = sponsor(client, campaign, worker, months="1", donor_name="", donor_email="")
    sandbox(client, response.headers["Location"], "pay")
    donation = db.session.scalar(sa.select(Donation))
    assert donation.donor_id == user.id and donation.donor_email == "rina@example.com"

    html = client.get("/donor/").get_data(as_text=True)
    assert worker.display_name in html and "Lunas" in html and "LDG-" in html
    assert "Perpanjang" in html  # one month bought: it ends this month
    choice = client.post(f"/donor/workers/{worker.public_id}/renew")  # the page's button asks how to pay
    assert choice.status_code == 200 and 'value="qris"' in choice.get_data(as_text=True)
    renew = client.post(f"/donor/workers/{worker.public_id}/renew", data={"method": "gopay"})
    assert "/sandbox/checkout/" in renew.headers["Location"]
    assert db.session.scalars(sa.select(Payment.method).order_by(Payment.id)).all() == ["qris", "gopay"]
    sandbox(client, renew.headers["Location"], "pay")
    month = current_month(clock.today())
    assert months_of(worker) == [month, month + 1]
    assert check_ledger() == []


def test_donor_page_needs_a_login(client):
    response = client.get("/donor/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_zakat_receipt_is_a_bukti_setor_zakat_with_npwp(client, campaign, make):
    worker = make.worker(campaign, mustahik=True)
    db.session.commit()
    response = sponsor(client, campaign, worker, designation="zakat", npwp="012345678901000")
    page = sandbox(client, response.headers["Location"], "pay")
    payment = db.session.scalar(sa.select(Payment))
    html = client.get(f"/donor/receipts/{payment_token(payment)}").get_data(as_text=True)
    assert "Bukti setor zakat" in html and "012345678901000" in html and "Siti Aminah" in html
    assert "Rp 100.800" in html and "Lindungi" in html
    assert page.status_code == 200
    assert client.get("/donor/receipts/forged").status_code == 404


def test_payment_after_an_expired_hold_extends_the_worker_instead_of_being_lost(client, campaign, make):
    worker = make.worker(campaign)
    db.session.commit()
    first = sponsor(client, campaign, worker)
    # The hold lapses and another donor funds the worker meanwhile.
    db.session.execute(sa.update(Hold).values(expires_at=dt.datetime(2000, 1, 1)))
    db.session.commit()
    second = sponsor(client, campaign, worker, donor_email="budi@example.com")
    sandbox(client, second.headers["Location"], "pay")
    sandbox(client, first.headers["Location"], "pay")
    month = current_month(clock.today())
    assert months_of(worker) == list(range(month, month + 12))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)
                             .where(Payment.state == PaymentState.paid)) == 2
    assert check_ledger() == []


def test_campaign_page_links_to_every_way_of_giving(client, campaign):
    html = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    for target in ("/workers", "/give", "/fund"):
        assert f"/donor/campaigns/{campaign.slug}{target}" in html
    assert "wa.me" in html


def test_donor_pages_in_english(app, client, campaign, make):
    make.worker(campaign)
    db.session.commit()
    with app.app_context():
        html = client.get(f"/donor/campaigns/{campaign.slug}/workers?lang=en").get_data(as_text=True)
    assert "Sponsor a worker" in html
    with app.app_context():
        html = client.get(f"/donor/campaigns/{campaign.slug}/give").get_data(as_text=True)
    assert "Rp 100.800" in html and "protects a worker for 6 months" in html


def test_monthly_is_offered_with_every_provider(app, client, make):
    """The sandbox cannot charge each month by itself: monthly is still offered, paid after a monthly reminder."""
    campaign = make.campaign("monthly")
    worker = make.worker(campaign)
    db.session.commit()
    page = client.get(f"/donor/campaigns/{campaign.slug}/workers/{worker.public_id}").get_data(as_text=True)
    assert 'name="months"' in page
    assert 'value="monthly"' in page
    payment, _url = sponsor_worker(campaign, worker, "monthly", Designation.infak,
                                   Donor(name="A", email="a@example.org"), lambda payment: ("/ok", "/cancel"),
                                   method="qris", today=TODAY, now=NOW)
    subscription = db.session.scalar(sa.select(Subscription))
    assert (subscription.by_reminder, subscription.donation_id, subscription.worker_id) == (
        True, payment.donation_id, worker.id)
    assert payment.method == "qris" and payment.amount_idr == subscription.amount_idr == PREMIUM
