"""Stripe: outgoing calls intercepted with ``responses``, webhooks signed as Stripe signs them."""

import json
import threading
import time
import urllib.parse

import pytest
import responses
import sqlalchemy as sa
import stripe

from donate import clock
from donate import payments
from donate.extensions import db
from donate.models import (
    Account,
    CoverageMonth,
    Designation,
    Donation,
    Hold,
    Payment,
    PaymentState,
    ProcessedEvent,
    Receipt,
    Subscription,
    SubscriptionState,
)
from donate.months import current_month
from donate.services.access.accounts import create_user
from donate.services.ledger import balance, check_ledger

API = "https://stripe.test"
SECRET = "whsec_test_secret"
SIX_MONTHS = 6 * 16_800


@pytest.fixture
def stripe_app(app):
    """Switch the app to the Stripe provider, pointed at an intercepted API base."""
    app.config.update(PAYMENT_PROVIDER="stripe", STRIPE_SECRET_KEY="sk_test_123",
                      STRIPE_WEBHOOK_SECRET=SECRET, STRIPE_API_BASE=API)
    payments.init_app(app)
    payments.provider().client  # built once
    return app


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def campaign(make):
    campaign = make.campaign("gn-lingkaran")
    db.session.commit()
    return campaign


def form(request) -> dict:
    """Decode a Stripe API request's form body."""
    return dict(urllib.parse.parse_qsl(request.body if isinstance(request.body, str) else request.body.decode()))


def session_reply(session_id="cs_test_1"):
    return {"id": session_id, "object": "checkout.session", "url": f"https://checkout.stripe.test/{session_id}"}


def stripe_list(url, items, has_more=False):
    """Return a Stripe list object as the API sends it."""
    return {"object": "list", "data": items, "has_more": has_more, "url": url}


def refund_obj(refund_id, amount_idr, *, status="succeeded", intent="pi_1", refund_id_ours=None, created=1_764_000_000):
    metadata = {"refund_id": str(refund_id_ours)} if refund_id_ours else {}
    return {"id": refund_id, "object": "refund", "amount": amount_idr * 100, "currency": "idr",
            "charge": "ch_1", "payment_intent": intent, "status": status, "metadata": metadata,
            "created": created, "reason": "requested_by_customer"}


def charge_refunded(event_id, amount_refunded_idr, *, amount_idr, intent="pi_1"):
    """A ``charge.refunded`` event as today's API sends it: the running total, no invoice, no refunds list."""
    return event(event_id, "charge.refunded", {
        "id": "ch_1", "object": "charge", "amount": amount_idr * 100, "amount_captured": amount_idr * 100,
        "amount_refunded": amount_refunded_idr * 100, "currency": "idr", "payment_intent": intent,
        "refunded": amount_refunded_idr == amount_idr, "status": "succeeded", "metadata": {}})


def signed(client, event: dict, *, secret=SECRET, timestamp=None):
    """Post an event to the webhook signed as Stripe would."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": header,
                                                                 "Content-Type": "application/json"})


def event(event_id, kind, obj):
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}


def checkout_sponsorship(client, campaign, make, api):
    """Open a Stripe checkout sponsoring a new worker; return the worker and the payment."""
    worker = make.worker(campaign)
    db.session.commit()
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply())
    sponsor(client, campaign, worker)
    return worker, db.session.scalar(sa.select(Payment))


def completed(payment, *, session="cs_test_1", status="paid", event_id="evt_completed", mode="payment",
              subscription=None):
    return event(event_id, "checkout.session.completed", {
        "id": session, "object": "checkout.session", "payment_status": status, "status": "complete",
        "amount_total": payment.amount_idr * 100, "currency": "idr", "client_reference_id": str(payment.id),
        "mode": mode,
        "metadata": {"payment_id": str(payment.id)}, "subscription": subscription,
        "payment_intent": "pi_1" if mode == "payment" else None,
    })


def sponsor(client, campaign, worker, months="6"):
    return client.post(f"/donor/campaigns/{campaign.slug}/workers/{worker.public_id}",
                       data={"months": months, "designation": "infak", "donor_name": "Siti",
                             "donor_email": "siti@example.com"})


def months_of(worker):
    return db.session.scalars(sa.select(CoverageMonth.month).where(CoverageMonth.worker_id == worker.id)
                              .order_by(CoverageMonth.month)).all()


def test_checkout_session_in_two_decimal_idr_with_idempotency_key_and_metadata(stripe_app, client, campaign,
                                                                                make, api):
    worker = make.worker(campaign)
    db.session.commit()
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply())
    response = sponsor(client, campaign, worker)
    assert response.headers["Location"] == "https://checkout.stripe.test/cs_test_1"
    payment = db.session.scalar(sa.select(Payment))
    assert (payment.provider, payment.provider_ref, payment.state) == ("stripe", "cs_test_1", PaymentState.pending)
    (call,) = api.calls
    sent = form(call.request)
    assert sent["line_items[0][price_data][unit_amount]"] == "10080000"  # Rp 100,800
    assert sent["line_items[0][price_data][currency]"] == "idr"
    assert sent["mode"] == "payment"
    assert sent["client_reference_id"] == str(payment.id)
    assert sent["metadata[payment_id]"] == str(payment.id)
    assert sent["payment_intent_data[metadata][payment_id]"] == str(payment.id)
    assert sent["customer_email"] == "siti@example.com"
    assert sent["success_url"].startswith("http://lindungi.test/donor/thanks/")
    assert int(sent["expires_at"]) > time.time() + 29 * 60
    assert call.request.headers["Idempotency-Key"] == f"lindungi-checkout-{payment.id}"
    assert call.request.headers["Authorization"] == "Bearer sk_test_123"


def test_pool_gift_amount_is_converted_at_the_boundary(stripe_app, client, campaign, api):
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply("cs_pool"))
    client.post(f"/donor/campaigns/{campaign.slug}/give",
                data={"amount": "250000", "designation": "zakat", "donor_email": "a@example.com",
                      "is_anonymous": "y"})
    sent = form(api.calls[0].request)
    assert sent["line_items[0][price_data][unit_amount]"] == "25000000"
    assert sent["metadata[designation]"] == "zakat" and "expires_at" not in sent


def test_completed_session_confirms_once_and_duplicates_are_harmless(stripe_app, client, campaign, make, api):
    worker, payment = checkout_sponsorship(client, campaign, make, api)
    first = signed(client, completed(payment))
    assert first.status_code == 200 and first.json["outcome"] == "confirmed"
    again = signed(client, completed(payment))
    assert again.json["outcome"] == "duplicate"
    other_id = signed(client, completed(payment, event_id="evt_other"))
    assert other_id.json["outcome"] == "already paid"
    assert len(months_of(worker)) == 6
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Hold)) == 0
    assert check_ledger() == []


def test_unpaid_completion_waits_for_the_async_result(stripe_app, client, campaign, make, api):
    worker, payment = checkout_sponsorship(client, campaign, make, api)
    assert signed(client, completed(payment, status="unpaid")).json["outcome"] == "ignored"
    assert months_of(worker) == []
    failed = event("evt_failed", "checkout.session.async_payment_failed",
                   {"id": "cs_test_1", "metadata": {"payment_id": str(payment.id)}})
    assert signed(client, failed).json["outcome"] == "failed"
    db.session.refresh(payment)
    assert payment.state == PaymentState.failed and months_of(worker) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Hold)) == 0
    # Money that arrives after all is still taken.
    succeeded = event("evt_ok", "checkout.session.async_payment_succeeded",
                      {"id": "cs_test_1", "payment_status": "paid", "amount_total": SIX_MONTHS * 100,
                       "currency": "idr",
                       "metadata": {"payment_id": str(payment.id)}})
    assert signed(client, succeeded).json["outcome"] == "confirmed"
    assert len(months_of(worker)) == 6
    assert check_ledger() == []


def test_expired_session_frees_the_worker(stripe_app, client, campaign, make, api):
    worker = make.worker(campaign)
    db.session.commit()
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply())
    sponsor(client, campaign, worker)
    expired = event("evt_exp", "checkout.session.expired", {"id": "cs_test_1", "status": "expired"})
    assert signed(client, expired).json["outcome"] == "expired"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Hold)) == 0
    assert db.session.scalar(sa.select(Payment.state)) == PaymentState.expired


def test_bad_and_stale_signatures_are_refused(stripe_app, client, campaign, make, api):
    worker, payment = checkout_sponsorship(client, campaign, make, api)
    assert signed(client, completed(payment), secret="whsec_wrong").status_code == 400
    assert signed(client, completed(payment), timestamp=int(time.time()) - 3600).status_code == 400
    assert client.post("/webhooks/stripe", data=b"{}").status_code == 400
    assert months_of(worker) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessedEvent)) == 0


def test_events_we_do_not_handle_get_200(stripe_app, client):
    response = signed(client, event("evt_x", "customer.created", {"id": "cus_1"}))
    assert response.status_code == 200 and response.json["outcome"] == "ignored"


def test_success_page_asks_stripe_rather_than_trusting_the_redirect(stripe_app, client, campaign, make, api):
    worker, payment = checkout_sponsorship(client, campaign, make, api)
    from donate.services.money.receipts import payment_token

    thanks = f"/donor/thanks/{payment_token(payment)}"
    reply = {**session_reply(), "amount_total": SIX_MONTHS * 100, "currency": "idr", "payment_intent": "pi_1"}
    api.add(responses.GET, f"{API}/v1/checkout/sessions/cs_test_1",
            json={**reply, "status": "open", "payment_status": "unpaid"})
    assert "Menunggu pembayaran" in client.get(thanks).get_data(as_text=True)
    assert months_of(worker) == []
    api.replace(responses.GET, f"{API}/v1/checkout/sessions/cs_test_1",
                json={**reply, "status": "complete", "payment_status": "paid"})
    assert "Terima kasih" in client.get(thanks).get_data(as_text=True)
    assert len(months_of(worker)) == 6
    # The webhook that follows finds the work done.
    assert signed(client, completed(payment)).json["outcome"] == "already paid"
    assert len(months_of(worker)) == 6
    assert check_ledger() == []


def test_partial_then_full_refund_from_stripe(stripe_app, client, campaign, make, api):
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply())
    client.post(f"/donor/campaigns/{campaign.slug}/give",
                data={"amount": "200000", "designation": "infak", "donor_email": "a@example.com",
                      "donor_name": "Ani"})
    payment = db.session.scalar(sa.select(Payment))
    signed(client, completed(payment))
    api.add(responses.GET, f"{API}/v1/refunds", json=stripe_list("/v1/refunds", [refund_obj("re_1", 50_000)]))
    partial = signed(client, charge_refunded("evt_r1", 50_000, amount_idr=200_000))
    assert partial.json["outcome"] == "refunded"
    assert "payment_intent=pi_1" in api.calls[-1].request.url
    db.session.refresh(payment)
    assert (payment.refunded_idr, payment.state) == (50_000, PaymentState.paid)
    assert balance(campaign.id, Account.pool, Designation.infak) == 150_000
    # A retried or repeated notice about the same refund changes nothing.
    assert signed(client, charge_refunded("evt_r1b", 50_000, amount_idr=200_000)).json["outcome"] \
        == "refund already recorded"
    api.replace(responses.GET, f"{API}/v1/refunds", json=stripe_list(
        "/v1/refunds", [refund_obj("re_2", 150_000), refund_obj("re_1", 50_000)]))
    full = signed(client, charge_refunded("evt_r2", 200_000, amount_idr=200_000))
    assert full.json["outcome"] == "refunded"
    db.session.refresh(payment)
    assert (payment.refunded_idr, payment.state) == (200_000, PaymentState.refunded)
    assert check_ledger() == []


def test_refund_found_through_the_payment_intent(stripe_app, client, campaign, api):
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply())
    client.post(f"/donor/campaigns/{campaign.slug}/give",
                data={"amount": "100000", "designation": "infak", "donor_email": "a@example.com",
                      "donor_name": "Ani"})
    payment = db.session.scalar(sa.select(Payment))
    signed(client, completed(payment))
    payment.money_ref = None  # as for a payment booked before its PaymentIntent was kept
    db.session.commit()
    api.add(responses.GET, f"{API}/v1/checkout/sessions",
            json=stripe_list("/v1/checkout/sessions", [session_reply()]))
    api.add(responses.GET, f"{API}/v1/refunds", json=stripe_list("/v1/refunds", [refund_obj("re_1", 30_000)]))
    response = signed(client, charge_refunded("evt_r", 30_000, amount_idr=100_000))
    assert response.json["outcome"] == "refunded"
    assert any("payment_intent=pi_1" in call.request.url and "/v1/checkout/sessions" in call.request.url
               for call in api.calls)
    assert db.session.scalar(sa.select(Payment.refunded_idr)) == 30_000
    assert db.session.scalar(sa.select(Payment.money_ref)) == "pi_1"


def test_refund_before_the_payment_is_retried_later(stripe_app, client, campaign, api):
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply())
    client.post(f"/donor/campaigns/{campaign.slug}/give",
                data={"amount": "100000", "designation": "infak", "donor_email": "a@example.com",
                      "donor_name": "Ani"})
    payment = db.session.scalar(sa.select(Payment))
    api.add(responses.GET, f"{API}/v1/checkout/sessions",
            json=stripe_list("/v1/checkout/sessions", [session_reply()]))
    api.add(responses.GET, f"{API}/v1/refunds", json=stripe_list("/v1/refunds", [refund_obj("re_1", 100_000)]))
    refund = charge_refunded("evt_early", 100_000, amount_idr=100_000)
    assert signed(client, refund).status_code == 503
    signed(client, completed(payment))
    assert signed(client, refund).json["outcome"] == "refunded"  # the retry, accepted now
    assert check_ledger() == []


def dispute_obj(status, *, amount_idr=SIX_MONTHS, withdrawn=False, reinstated=False, charge="ch_1"):
    """A dispute as today's API sends it: money movements in ``balance_transactions``."""
    transactions = []
    if withdrawn:
        transactions.append({"id": "txn_w", "object": "balance_transaction", "amount": -amount_idr * 100,
                             "currency": "idr", "fee": 1_500_000, "type": "adjustment",
                             "reporting_category": "dispute"})
    if reinstated:
        transactions.append({"id": "txn_r", "object": "balance_transaction", "amount": amount_idr * 100,
                             "currency": "idr", "fee": 0, "type": "adjustment",
                             "reporting_category": "dispute_reversal"})
    return {"id": "dp_1", "object": "dispute", "amount": amount_idr * 100, "currency": "idr", "charge": charge,
            "payment_intent": "pi_1", "status": status, "reason": "fraudulent",
            "balance_transactions": transactions, "is_charge_refundable": False}


def test_dispute_marks_the_payment_and_takes_the_money_out_when_stripe_withdraws_it(stripe_app, client, campaign,
                                                                                   make, api):
    worker, payment = checkout_sponsorship(client, campaign, make, api)
    signed(client, completed(payment))
    assert len(months_of(worker)) == 6
    created = event("evt_dp", "charge.dispute.created", dispute_obj("needs_response"))
    assert signed(client, created).json["outcome"] == "dispute recorded"
    db.session.refresh(payment)
    assert payment.state == PaymentState.disputed and payment.refunded_idr == 0
    assert len(months_of(worker)) == 6  # nothing moved yet
    withdrawn = event("evt_dpw", "charge.dispute.funds_withdrawn", dispute_obj("needs_response", withdrawn=True))
    assert signed(client, withdrawn).json["outcome"] == "funds withdrawn"
    db.session.refresh(payment)
    assert payment.state == PaymentState.disputed and payment.refunded_idr == SIX_MONTHS
    assert months_of(worker) == []  # not yet sent to BPJS, so released
    assert signed(client, {**withdrawn, "id": "evt_dpw2"}).json["outcome"] == "dispute recorded"
    db.session.refresh(payment)
    assert payment.refunded_idr == SIX_MONTHS
    assert check_ledger() == []


def test_concurrent_deliveries_of_one_event_fulfil_once(stripe_app, campaign, make, api):
    worker = make.worker(campaign)
    db.session.commit()
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply())
    sponsor(stripe_app.test_client(), campaign, worker)
    payment = db.session.scalar(sa.select(Payment))
    body = json.dumps(completed(payment))
    worker_id = worker.id
    db.session.commit()
    db.session.close()
    outcomes, start = [], threading.Barrier(6)

    def deliver():
        header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
        with stripe_app.app_context():
            start.wait()
            response = stripe_app.test_client().post("/webhooks/stripe", data=body,
                                                     headers={"Stripe-Signature": header})
            outcomes.append((response.status_code, response.json["outcome"]))
            db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [(200, "confirmed")] + [(200, "duplicate")] * 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageMonth)
                             .where(CoverageMonth.worker_id == worker_id)) == 6
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 1
    assert check_ledger() == []


# -- monthly sponsorships ---------------------------------------------------

def invoice(payment, invoice_id, reason, *, subscription="sub_1", event_id=None, new_shape=True):
    obj = {"id": invoice_id, "object": "invoice", "amount_paid": 1_680_000, "currency": "idr",
           "billing_reason": reason, "status": "paid"}
    metadata = {"payment_id": str(payment.id)}
    if new_shape:
        obj["parent"] = {"subscription_details": {"subscription": subscription, "metadata": metadata}}
    else:
        obj.update(subscription=subscription, subscription_details={"metadata": metadata})
    return event(event_id or f"evt_{invoice_id}", "invoice.paid", obj)


@pytest.fixture
def monthly(stripe_app, client, campaign, make, api):
    # The first invoice names its subscription; Stripe says which checkout started that subscription.
    api.add(responses.GET, f"{API}/v1/checkout/sessions",
            json=stripe_list("/v1/checkout/sessions", [session_reply("cs_sub")]))
    """A logged-in donor who has opened a monthly sponsorship checkout."""
    create_user("rina@example.com", "rahasia123", name="Rina")
    worker = make.worker(campaign)
    db.session.commit()
    client.post("/auth/login", data={"email": "rina@example.com", "password": "rahasia123"})
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply("cs_sub"))
    response = sponsor(client, campaign, worker, months="monthly")
    assert response.headers["Location"] == "https://checkout.stripe.test/cs_sub"
    return worker, db.session.scalar(sa.select(Payment))


def test_monthly_sponsorship_opens_a_subscription_checkout(monthly, api):
    worker, payment = monthly
    sent = form(api.calls[0].request)
    assert sent["mode"] == "subscription"
    assert sent["line_items[0][price_data][recurring][interval]"] == "month"
    assert sent["line_items[0][price_data][unit_amount]"] == "1680000"
    assert sent["subscription_data[metadata][payment_id]"] == str(payment.id)
    assert api.calls[0].request.headers["Idempotency-Key"] == f"lindungi-subscription-{payment.id}"
    subscription = db.session.scalar(sa.select(Subscription))
    assert subscription.state == SubscriptionState.pending and subscription.worker_id == worker.id


def test_each_paid_invoice_funds_the_next_month_even_before_checkout_completes(monthly, client):
    worker, payment = monthly
    month = current_month(clock.today())
    # invoice.paid for the first month arrives before checkout.session.completed.
    assert signed(client, invoice(payment, "in_1", "subscription_create")).json["outcome"] == "confirmed"
    assert months_of(worker) == [month]
    subscription = db.session.scalar(sa.select(Subscription))
    assert (subscription.state, subscription.provider_ref) == (SubscriptionState.active, "sub_1")
    late = completed(payment, session="cs_sub", mode="subscription", subscription="sub_1")
    assert signed(client, late).json["outcome"] == "already paid"
    assert months_of(worker) == [month]
    # Later invoices: one month each, once each (older API shape too).
    assert signed(client, invoice(payment, "in_2", "subscription_cycle")).json["outcome"] == "month funded"
    assert signed(client, invoice(payment, "in_2", "subscription_cycle", event_id="evt_again")).json["outcome"] \
        == "month funded"
    assert signed(client, invoice(payment, "in_3", "subscription_cycle", new_shape=False)).json["outcome"] \
        == "month funded"
    assert months_of(worker) == [month, month + 1, month + 2]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 3
    assert check_ledger() == []


def test_donor_cancels_a_monthly_sponsorship(monthly, client, api):
    worker, payment = monthly
    signed(client, completed(payment, session="cs_sub", mode="subscription", subscription="sub_1"))
    html = client.get("/donor/").get_data(as_text=True)
    assert "Hentikan donasi bulanan" in html
    subscription = db.session.scalar(sa.select(Subscription))
    api.add(responses.DELETE, f"{API}/v1/subscriptions/sub_1", json={"id": "sub_1", "object": "subscription",
                                                                     "status": "canceled"})
    response = client.post(f"/donor/subscriptions/{subscription.id}/cancel")
    assert response.status_code == 302
    assert api.calls[-1].request.headers["Idempotency-Key"] == "lindungi-cancel-sub_1"
    db.session.refresh(subscription)
    assert subscription.state == SubscriptionState.cancelled
    assert len(months_of(worker)) == 1  # the paid month stays funded
    # Stripe's own notice of the cancellation is harmless.
    deleted = event("evt_del", "customer.subscription.deleted", {"id": "sub_1", "object": "subscription"})
    assert signed(client, deleted).json["outcome"] == "subscription ended"


def test_someone_else_cannot_cancel_a_sponsorship(monthly, client):
    subscription = db.session.scalar(sa.select(Subscription))
    client.post("/auth/logout")
    create_user("other@example.com", "rahasia123")
    db.session.commit()
    client.post("/auth/login", data={"email": "other@example.com", "password": "rahasia123"})
    assert client.post(f"/donor/subscriptions/{subscription.id}/cancel").status_code == 404


def test_subscription_deleted_by_stripe_stops_it(monthly, client):
    worker, payment = monthly
    signed(client, invoice(payment, "in_1", "subscription_create"))
    deleted = event("evt_del", "customer.subscription.deleted", {"id": "sub_1", "object": "subscription"})
    assert signed(client, deleted).json["outcome"] == "subscription ended"
    assert db.session.scalar(sa.select(Subscription.state)) == SubscriptionState.cancelled


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_closed_dispute_settles_the_payment(stripe_app, client, campaign, make, api, outcome):
    worker, payment = checkout_sponsorship(client, campaign, make, api)
    signed(client, completed(payment))
    signed(client, event("evt_dpw", "charge.dispute.funds_withdrawn", dispute_obj("needs_response", withdrawn=True)))
    pool_while_disputed = ledger_pool(campaign)
    if outcome == "won":
        reinstated = event("evt_dpr", "charge.dispute.funds_reinstated",
                           dispute_obj("won", withdrawn=True, reinstated=True))
        assert signed(client, reinstated).json["outcome"] == "funds reinstated"
    closed = event("evt_dp_closed", "charge.dispute.closed",
                   dispute_obj(outcome, withdrawn=True, reinstated=outcome == "won"))
    assert signed(client, closed).json["outcome"] == "dispute recorded"
    assert signed(client, {**closed, "id": "evt_dp_closed_again"}).json["outcome"] == "dispute recorded"
    db.session.refresh(payment)
    if outcome == "won":
        assert (payment.state, payment.refunded_idr) == (PaymentState.paid, 0)
        # The months released when the money left are back for the same worker.
        assert len(months_of(worker)) == 6
        assert ledger_pool(campaign) == pool_while_disputed
    else:
        assert (payment.state, payment.refunded_idr) == (PaymentState.refunded, SIX_MONTHS)
        assert ledger_pool(campaign) == pool_while_disputed
        assert months_of(worker) == []
    assert check_ledger() == []


def ledger_pool(campaign):
    return balance(campaign.id, Account.pool)
