"""The sandbox mimics the method chosen: a QRIS code to scan, a virtual account number, a card."""

import re

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import Hold, Payment, PaymentState
from donate.services.money.receipts import payment_token


@pytest.fixture
def campaign(make):
    campaign = make.campaign("gn-lingkaran")
    db.session.commit()
    return campaign


def sponsor(client, campaign, worker, method):
    return client.post(f"/donor/campaigns/{campaign.slug}/workers/{worker.public_id}",
                       data={"months": "6", "designation": "infak", "donor_name": "Siti",
                             "donor_email": "siti@example.com", "method": method})


def test_every_gift_form_offers_the_methods_qris_first_and_no_bank_transfer_unless_enabled(client, campaign, make):
    worker = make.worker(campaign)
    db.session.commit()
    for path in (f"/donor/campaigns/{campaign.slug}/give", f"/donor/campaigns/{campaign.slug}/fund",
                 f"/donor/campaigns/{campaign.slug}/workers/{worker.public_id}"):
        page = client.get(path).get_data(as_text=True)
        methods = re.findall(r'name="method" (?:required )?type="radio" value="(\w+)"', page)
        assert methods == ["qris", "gopay", "shopeepay", "bca_va", "bni_va", "bri_va", "mandiri_va",
                           "permata_va", "card"], path
        assert 'class="method-tile"' in page


def test_a_method_no_provider_offers_is_refused(client, campaign, make):
    worker = make.worker(campaign)
    db.session.commit()
    response = sponsor(client, campaign, worker, "bank_transfer")
    assert response.status_code == 200 and db.session.scalar(sa.select(Payment)) is None


def test_qris_shows_a_code_and_paying_settles_through_the_signed_webhook(client, campaign, make):
    worker = make.worker(campaign)
    db.session.commit()
    checkout = sponsor(client, campaign, worker, "qris").headers["Location"]
    payment = db.session.scalar(sa.select(Payment))
    assert (payment.provider, payment.method) == ("sandbox", "qris")
    page = client.get(checkout).get_data(as_text=True)
    assert "<svg" in page and "QRIS" in page
    assert 'value="pay"' in page and "Bayar dengan QRIS yang dipindai" in page
    thanks = client.get(client.post(checkout, data={"outcome": "pay"}).headers["Location"])
    db.session.expire_all()
    assert payment.state == PaymentState.paid
    assert "Terima kasih" in thanks.get_data(as_text=True)


def test_virtual_account_shows_a_number_and_the_hold_lasts_as_long_as_it(app, client, campaign, make):
    worker = make.worker(campaign)
    db.session.commit()
    checkout = sponsor(client, campaign, worker, "bca_va").headers["Location"]
    payment = db.session.scalar(sa.select(Payment))
    hold = db.session.scalar(sa.select(Hold))
    assert (hold.expires_at - payment.created_at).total_seconds() >= app.config["VA_HOURS"] * 3600 - 5
    assert hold.expires_at == payment.expires_at
    page = client.get(checkout).get_data(as_text=True)
    number = re.search(r'data-testid="va-number">(\d+)<', page).group(1)
    assert number.startswith("39358") and len(number) == 16
    # The donor's own page shows the same number while it waits.
    assert number in client.get(f"/donor/thanks/{payment_token(payment)}").get_data(as_text=True)
    client.post(checkout, data={"outcome": "pay"})
    db.session.expire_all()
    assert payment.state == PaymentState.paid and db.session.scalar(sa.select(Hold)) is None
