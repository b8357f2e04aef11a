"""Midtrans: Snap checkout per method, signed notifications confirmed by the Core API status, refunds.

Snap and the Core API are mocked with ``responses`` in the shapes Midtrans
sends: Snap's ``{token, redirect_url}``, the status answer with
``gross_amount`` as a string with two decimals, ``va_numbers`` for BCA,
``fraud_status`` for cards, ``refunds`` after a refund.
"""

import hashlib
import json
import uuid

import pytest
import responses
import sqlalchemy as sa

from donate import clock
from donate import payments
from donate.extensions import db
from donate.models import (
    Account,
    AuditEvent,
    CoverageMonth,
    FlaggedEvent,
    Hold,
    Payment,
    PaymentState,
    ProcessedEvent,
    Receipt,
    Refund,
    Role,
)
from donate.payments.midtrans import signature
from donate.services import ledger
from donate.services.money.receipts import payment_token
from donate.services.money.refunds import RefundRefused, refund_gift
from donate.views.webhooks import receive
from tests.manage_helpers import user
from tests.services.test_concurrency import race

API = "https://api.midtrans.test"
SNAP = "https://app.midtrans.test/snap/v1"
SERVER_KEY = "SB-Mid-server-TEST-3sN1gZ0Yb6"
SIX_MONTHS = 6 * 16_800


@pytest.fixture
def midtrans_app(app):
    """Switch the app to Midtrans, pointed at intercepted addresses."""
    app.config.update(PAYMENT_PROVIDER="midtrans", MIDTRANS_SERVER_KEY=SERVER_KEY,
                      MIDTRANS_CLIENT_KEY="SB-Mid-client-TEST", MIDTRANS_API_BASE=API, MIDTRANS_SNAP_BASE=SNAP)
    payments.init_app(app)
    return app


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def campaign(midtrans_app, make):
    campaign = make.campaign("gn-lingkaran")
    db.session.commit()
    return campaign


def snap_reply(mock):
    token = str(uuid.uuid4())
    mock.add(responses.POST, f"{SNAP}/transactions", status=201,
             json={"token": token, "redirect_url": f"https://app.sandbox.midtrans.com/snap/v4/redirection/{token}"})
    return token


def sponsor(client, campaign, worker, method, months="6"):
    return client.post(f"/donor/campaigns/{campaign.slug}/workers/{worker.public_id}",
                       data={"months": months, "designation": "infak", "donor_name": "Siti Aminah",
                             "donor_email": "siti@example.com", "method": method})


def checkout(client, campaign, make, api, method):
    worker = make.worker(campaign)
    db.session.commit()
    snap_reply(api)
    response = sponsor(client, campaign, worker, method)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return worker, db.session.scalar(sa.select(Payment))


STATUS_CODES = {"settlement": "200", "capture": "200", "pending": "201", "deny": "202", "cancel": "202",
                "expire": "407", "refund": "200", "partial_refund": "200", "chargeback": "200", "failure": "202"}


def transaction(payment, status, payment_type, *, gross=None, currency="IDR", **extra) -> dict:
    """A Core API status answer (and notification body) in Midtrans's shape."""
    gross = f"{payment.amount_idr if gross is None else gross}.00"
    code = STATUS_CODES[status]
    body = {
        "status_code": code, "status_message": "Success, transaction is found",
        "transaction_id": str(uuid.UUID(int=payment.id)), "order_id": payment.provider_ref,
        "gross_amount": gross, "currency": currency, "payment_type": payment_type,
        "transaction_time": "2026-12-01 10:15:02", "transaction_status": status, "fraud_status": "accept",
        "merchant_id": "G141532850",
        "signature_key": signature(payment.provider_ref, code, gross, SERVER_KEY),
    }
    if status == "settlement":
        body["settlement_time"] = "2026-12-01 10:16:40"
    if payment_type == "bank_transfer":
        body.update(va_numbers=[{"bank": "bca", "va_number": "12345678901"}], payment_amounts=[],
                    expiry_time="2026-12-02 10:15:02")
    if payment_type == "qris":
        body.update(acquirer="gopay", issuer="gopay", expiry_time="2026-12-01 10:30:02")
    if payment_type == "credit_card":
        body.update(masked_card="48111111-1114", bank="bni", card_type="credit", channel_response_code="00",
                    channel_response_message="Approved", approval_code="1669867234531", eci="05")
    body.update(extra)
    return body


def status_is(api, body):
    """Make the Core API answer ``body`` for the order (replacing any earlier answer)."""
    url = f"{API}/v2/{body['order_id']}/status"
    api.remove(responses.GET, url)
    api.add(responses.GET, url, json=body)


def notify(client, body, *, key=SERVER_KEY):
    """Post a notification signed as Midtrans signs it (with ``key``)."""
    body = dict(body, signature_key=signature(body["order_id"], body["status_code"], body["gross_amount"], key))
    return client.post("/webhooks/midtrans", data=json.dumps(body), content_type="application/json")


def status_calls(api) -> int:
    return sum(1 for call in api.calls if call.request.method == "GET" and "/status" in call.request.url)


def months_of(worker):
    return db.session.scalar(sa.select(sa.func.count()).select_from(CoverageMonth)
                             .where(CoverageMonth.worker_id == worker.id))


def test_snap_transaction_asks_for_exactly_the_chosen_method_for_as_long_as_the_hold(client, campaign, make, api):
    worker, payment = checkout(client, campaign, make, api, "bca_va")
    sent = json.loads(api.calls[0].request.body)
    assert (payment.provider, payment.method, payment.state) == ("midtrans", "bca_va", PaymentState.pending)
    assert sent["transaction_details"] == {"order_id": payment.provider_ref, "gross_amount": SIX_MONTHS}
    assert isinstance(sent["transaction_details"]["gross_amount"], int)
    assert sent["enabled_payments"] == ["bca_va"]
    assert sum(i["price"] * i["quantity"] for i in sent["item_details"]) == SIX_MONTHS
    assert all(len(i["name"]) <= 50 for i in sent["item_details"])
    assert sent["customer_details"] == {"first_name": "Siti Aminah", "email": "siti@example.com"}
    assert sent["expiry"]["unit"] == "minute" and sent["expiry"]["start_time"].endswith("+0700")
    hold = db.session.scalar(sa.select(Hold))
    assert hold.expires_at == payment.expires_at
    assert abs(sent["expiry"]["duration"] - 24 * 60) <= 1
    assert sent["callbacks"]["finish"].startswith("http") and payment_token(payment) in sent["callbacks"]["finish"]
    assert api.calls[0].request.headers["Authorization"].startswith("Basic ")

    snap_reply(api)
    qris_worker = make.worker(campaign)
    db.session.commit()
    sponsor(client, campaign, qris_worker, "qris")
    assert json.loads(api.calls[-1].request.body)["enabled_payments"] == ["other_qris"]
    assert json.loads(api.calls[-1].request.body)["expiry"]["duration"] == 30


def test_wrong_signature_is_refused_and_nothing_changes(client, campaign, make, api):
    worker, payment = checkout(client, campaign, make, api, "qris")
    body = transaction(payment, "settlement", "qris")
    status_is(api, body)
    assert notify(client, body, key="SB-Mid-server-SOMEONE-ELSE").status_code == 400
    forged = dict(body, gross_amount="1.00")  # signature of the real amount, body of another
    assert client.post("/webhooks/midtrans", data=json.dumps(forged),
                       content_type="application/json").status_code == 400
    assert client.post("/webhooks/midtrans", data=b"not json", content_type="application/json").status_code == 400
    db.session.expire_all()
    assert payment.state == PaymentState.pending and months_of(worker) == 0
    assert status_calls(api) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessedEvent)) == 0


def test_a_signed_settlement_that_the_status_api_calls_pending_does_not_pay(client, campaign, make, api):
    worker, payment = checkout(client, campaign, make, api, "bca_va")
    status_is(api, transaction(payment, "pending", "bank_transfer"))
    response = notify(client, transaction(payment, "settlement", "bank_transfer"))
    assert response.status_code == 200
    db.session.expire_all()
    assert payment.state == PaymentState.pending and months_of(worker) == 0
    assert ledger.balance(payment.donation.campaign_id, Account.received) == 0

    # The donor's page shows the virtual account to pay, with instructions in Indonesian.
    page = client.get(f"/donor/thanks/{payment_token(payment)}").get_data(as_text=True)
    assert "12345678901" in page and "BCA" in page and "virtual account" in page.lower()


def test_qris_settlement_pays_once_however_often_and_in_whatever_order(client, campaign, make, api):
    worker, payment = checkout(client, campaign, make, api, "qris")
    settled = transaction(payment, "settlement", "qris")
    status_is(api, settled)
    assert notify(client, settled).json["outcome"] == "confirmed"
    assert notify(client, settled).json["outcome"] == "duplicate"
    # A late "pending" notification: the status API says settled, so nothing new.
    assert notify(client, transaction(payment, "pending", "qris")).json["outcome"] == "duplicate"
    db.session.expire_all()
    assert payment.state == PaymentState.paid and months_of(worker) == 6
    assert ledger.balance(payment.donation.campaign_id, Account.received) == -SIX_MONTHS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 1
    assert ledger.check_ledger() == []


def test_gopay_pool_gift_settles(client, campaign, api):
    snap_reply(api)
    client.post(f"/donor/campaigns/{campaign.slug}/give",
                data={"amount": "250000", "designation": "infak", "donor_name": "Budi",
                      "donor_email": "budi@example.com", "method": "gopay"})
    payment = db.session.scalar(sa.select(Payment))
    assert json.loads(api.calls[0].request.body)["enabled_payments"] == ["gopay"]
    status_is(api, transaction(payment, "settlement", "gopay"))
    assert notify(client, transaction(payment, "settlement", "gopay")).status_code == 200
    db.session.expire_all()
    assert payment.state == PaymentState.paid
    assert ledger.balance(payment.donation.campaign_id, Account.pool) == 250_000


def test_card_capture_in_challenge_waits_and_settles_once_accepted(client, campaign, make, api):
    worker, payment = checkout(client, campaign, make, api, "card")
    challenged = transaction(payment, "capture", "credit_card", fraud_status="challenge")
    status_is(api, challenged)
    assert notify(client, challenged).status_code == 200
    db.session.expire_all()
    assert payment.state == PaymentState.pending and months_of(worker) == 0
    accepted = transaction(payment, "capture", "credit_card")
    status_is(api, accepted)
    assert notify(client, accepted).json["outcome"] == "confirmed"
    db.session.expire_all()
    assert payment.state == PaymentState.paid and months_of(worker) == 6


def test_expired_virtual_account_frees_the_worker(client, campaign, make, api):
    worker, payment = checkout(client, campaign, make, api, "bca_va")
    expired = transaction(payment, "expire", "bank_transfer")
    status_is(api, expired)
    assert notify(client, expired).status_code == 200
    db.session.expire_all()
    assert payment.state == PaymentState.expired
    assert db.session.scalar(sa.select(Hold)) is None


@pytest.mark.parametrize("change", [{"gross": 16_800}, {"currency": "USD"}])
def test_status_with_another_amount_or_currency_is_flagged_not_funded(client, campaign, make, api, change):
    worker, payment = checkout(client, campaign, make, api, "qris")
    wrong = transaction(payment, "settlement", "qris", **change)
    status_is(api, wrong)
    assert notify(client, wrong).status_code == 200
    db.session.expire_all()
    assert payment.state == PaymentState.pending and months_of(worker) == 0
    flag = db.session.scalar(sa.select(FlaggedEvent))
    assert flag.provider == "midtrans" and flag.payment_id == payment.id
    assert ledger.balance(payment.donation.campaign_id, Account.pool) == 0


def test_status_api_down_answers_503_so_midtrans_retries(client, campaign, make, api):
    _, payment = checkout(client, campaign, make, api, "qris")
    api.add(responses.GET, f"{API}/v2/{payment.provider_ref}/status", status=503,
            json={"status_code": "503", "status_message": "Midtrans is under maintenance"})
    response = notify(client, transaction(payment, "settlement", "qris"))
    assert response.status_code == 503
    db.session.expire_all()
    assert payment.state == PaymentState.pending
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessedEvent)) == 0


def test_notification_for_an_order_midtrans_does_not_know_is_answered_and_ignored(client, campaign, api):
    api.add(responses.GET, f"{API}/v2/dashboard-test/status", status=404,
            json={"status_code": "404", "status_message": "Transaction doesn't exist."})
    body = {"order_id": "dashboard-test", "status_code": "200", "gross_amount": "10000.00",
            "transaction_status": "settlement"}
    assert notify(client, body).status_code == 200


def test_qris_refund_goes_through_the_core_api_and_the_notification_books_it_once(client, campaign, make, api):
    worker, payment = checkout(client, campaign, make, api, "qris")
    status_is(api, transaction(payment, "settlement", "qris"))
    notify(client, transaction(payment, "settlement", "qris"))
    manager = user("bendahara@example.org", Role.admin)
    api.add(responses.POST, f"{API}/v2/{payment.provider_ref}/refund", json={
        "status_code": "200", "status_message": "Success, refund request is approved",
        "transaction_id": str(uuid.UUID(int=payment.id)), "order_id": payment.provider_ref,
        "gross_amount": f"{SIX_MONTHS}.00", "currency": "IDR", "payment_type": "qris",
        "transaction_time": "2026-12-01 10:15:02", "transaction_status": "partial_refund",
        "refund_chargeback_id": 4321, "refund_amount": "16800.00", "refund_key": "lindungi-refund-1"})
    refund = refund_gift(db.session.get(Payment, payment.id), 16_800, user=manager, reason="donor asked",
                         today=clock.today())
    db.session.commit()
    sent = json.loads([c for c in api.calls if c.request.url.endswith("/refund")][0].request.body)
    assert sent == {"refund_key": refund.idempotency_key, "amount": 16_800, "reason": "donor asked"}
    db.session.expire_all()
    assert payment.refunded_idr == 16_800

    refunded = transaction(payment, "partial_refund", "qris", refund_amount="16800.00", refunds=[
        {"refund_chargeback_id": 4321, "refund_amount": "16800.00", "created_at": "2026-12-01 11:00:00",
         "reason": "donor asked", "refund_key": refund.idempotency_key, "refund_method": ""}])
    status_is(api, refunded)
    assert notify(client, refunded).status_code == 200
    assert notify(client, refunded).json["outcome"] == "duplicate"
    db.session.expire_all()
    assert payment.refunded_idr == 16_800
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 1
    assert ledger.check_ledger() == []


def test_virtual_account_refund_is_a_manual_transfer_back_with_a_reason(client, campaign, make, api):
    _, payment = checkout(client, campaign, make, api, "bca_va")
    status_is(api, transaction(payment, "settlement", "bank_transfer"))
    notify(client, transaction(payment, "settlement", "bank_transfer"))
    manager = user("bendahara@example.org", Role.admin)
    db.session.commit()
    with pytest.raises(RefundRefused, match="transfer kembali uangnya sendiri"):
        refund_gift(db.session.get(Payment, payment.id), 16_800, user=manager, today=clock.today())
    db.session.rollback()
    refund_gift(db.session.get(Payment, payment.id), 16_800, user=manager, reason="ditransfer balik ke BCA 123",
                today=clock.today())
    db.session.commit()
    assert not [c for c in api.calls if c.request.url.endswith("/refund")]
    db.session.expire_all()
    assert payment.refunded_idr == 16_800
    params = db.session.scalar(sa.select(AuditEvent.params).where(AuditEvent.action == "payment.refund"))
    assert params["reason"] == "ditransfer balik ke BCA 123"
    refund = db.session.scalar(sa.select(Refund))
    assert refund.provider_ref == f"manual-refund-{refund.id}" and refund.reason == "ditransfer balik ke BCA 123"


def test_twenty_deliveries_of_one_settlement_at_once_book_one_payment(midtrans_app, campaign, make, api):
    worker = make.worker(campaign)
    db.session.commit()
    snap_reply(api)
    client = midtrans_app.test_client()
    sponsor(client, campaign, worker, "gopay")
    payment = db.session.scalar(sa.select(Payment))
    settled = transaction(payment, "settlement", "gopay")
    status_is(api, settled)
    body = json.dumps(settled).encode()
    results = race(midtrans_app, lambda i: receive("midtrans", body, {"Content-Type": "application/json"}))
    assert sorted(results, key=str) == ["confirmed"] + ["duplicate"] * 19
    assert sum(1 for r in results if r == "confirmed") == 1
    db.session.expire_all()
    assert payment.state == PaymentState.paid and months_of(worker) == 6
    assert ledger.balance(payment.donation.campaign_id, Account.received) == -payment.amount_idr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 1


def test_signature_is_sha512_of_order_status_amount_and_key():
    expected = hashlib.sha512(b"LDG-1-ab200100800.00" + SERVER_KEY.encode()).hexdigest()
    assert signature("LDG-1-ab", "200", "100800.00", SERVER_KEY) == expected
