"""``reconcile``: every payment against the provider's own record, Stripe's paged lists mocked with ``responses``."""

import pytest
import responses
import sqlalchemy as sa
from responses import matchers

from donate import clock
from donate import payments
from donate.extensions import db
from donate.models import Designation, DonationKind, Payment, SandboxRecord
from donate.payments.base import RefundRecord
from donate.services.money.donations import (
    confirm_payment,
    create_donation,
    start_payment,
)
from donate.services.money.reconcile import reconcile
from donate.services.money.refunds import apply_refund

API = "https://stripe.test"


@pytest.fixture
def stripe_app(app):
    app.config.update(PAYMENT_PROVIDER="stripe", STRIPE_SECRET_KEY="sk_test_123",
                      STRIPE_WEBHOOK_SECRET="whsec_x", STRIPE_API_BASE=API)
    payments.init_app(app)
    return app


def paid(campaign, ref, amount, *, money_ref=None):
    donation = create_donation(campaign, kind=DonationKind.pool, designation=Designation.infak, amount_idr=amount)
    payment = start_payment(donation, "stripe", ref)
    payment.money_ref = money_ref
    confirm_payment(payment.id, now=clock.now(), today=clock.today())
    db.session.refresh(payment)
    return payment


def page(url, items, has_more=False):
    return {"object": "list", "url": url, "has_more": has_more, "data": items}


def session(ref, amount, intent, created=1_764_000_000):
    return {"id": ref, "object": "checkout.session", "mode": "payment", "status": "complete",
            "payment_status": "paid", "amount_total": amount * 100, "currency": "idr", "payment_intent": intent,
            "created": created, "metadata": {}, "client_reference_id": None}


def refund(ref, amount, intent):
    return {"id": ref, "object": "refund", "amount": amount * 100, "currency": "idr", "payment_intent": intent,
            "charge": f"ch_{intent}", "status": "succeeded", "metadata": {}}


def query(**params):
    return [matchers.query_param_matcher({k: str(v) for k, v in params.items()})]


@pytest.fixture
def stripe_books(stripe_app, make):
    """Three payments and Stripe's records of them, refunds and the session list in two pages each."""
    campaign = make.campaign("riau")
    a = paid(campaign, "cs_a", 100_000, money_ref="pi_a")
    for ref, amount in (("re_a1", 20_000), ("re_a2", 10_000)):
        apply_refund(a, RefundRecord(ref=ref, amount_idr=amount, status="succeeded"), today=clock.today())
    paid(campaign, "cs_b", 50_000, money_ref="pi_b")
    paid(campaign, "in_3", 16_800)
    db.session.commit()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.add(responses.GET, f"{API}/v1/checkout/sessions/cs_a", json=session("cs_a", 100_000, "pi_a"))
        api.add(responses.GET, f"{API}/v1/checkout/sessions/cs_b", json=session("cs_b", 50_000, "pi_b"))
        api.add(responses.GET, f"{API}/v1/invoices/in_3", json={
            "id": "in_3", "object": "invoice", "status": "paid", "amount_paid": 1_680_000, "currency": "idr",
            "billing_reason": "subscription_cycle"})
        api.add(responses.GET, f"{API}/v1/invoice_payments", match=query(invoice="in_3", limit=10), json=page(
            "/v1/invoice_payments", [{"id": "inpay_3", "object": "invoice_payment", "invoice": "in_3",
                                      "status": "paid", "payment": {"type": "payment_intent",
                                                                    "payment_intent": "pi_3"}}]))
        # pi_a's refunds come in two pages.
        api.add(responses.GET, f"{API}/v1/refunds", match=query(payment_intent="pi_a", limit=100),
                json=page("/v1/refunds", [refund("re_a1", 20_000, "pi_a")], has_more=True))
        api.add(responses.GET, f"{API}/v1/refunds", match=query(payment_intent="pi_a", limit=100,
                                                                 starting_after="re_a1"),
                json=page("/v1/refunds", [refund("re_a2", 10_000, "pi_a")]))
        # Someone refunded cs_b in Stripe's dashboard, and its webhook never arrived.
        api.add(responses.GET, f"{API}/v1/refunds", match=query(payment_intent="pi_b", limit=100),
                json=page("/v1/refunds", [refund("re_b1", 40_000, "pi_b")]))
        api.add(responses.GET, f"{API}/v1/refunds", match=query(payment_intent="pi_3", limit=100),
                json=page("/v1/refunds", []))
        for intent in ("pi_a", "pi_b", "pi_3"):
            api.add(responses.GET, f"{API}/v1/disputes", match=query(payment_intent=intent, limit=100),
                    json=page("/v1/disputes", []))
        api.add(responses.GET, f"{API}/v1/checkout/sessions", match=query(limit=100),
                json=page("/v1/checkout/sessions", [session("cs_a", 100_000, "pi_a"),
                                                    session("cs_b", 50_000, "pi_b")], has_more=True))
        api.add(responses.GET, f"{API}/v1/checkout/sessions", match=query(limit=100, starting_after="cs_b"),
                json=page("/v1/checkout/sessions", [session("cs_x", 75_000, "pi_x")]))
        api.add(responses.GET, f"{API}/v1/invoices", match=query(limit=100, status="paid"), json=page(
            "/v1/invoices", [{"id": "in_3", "object": "invoice", "status": "paid", "amount_paid": 1_680_000,
                              "currency": "idr", "billing_reason": "subscription_cycle"}]))
        yield campaign, api


def test_reconcile_reports_each_difference_with_the_payments_reference(stripe_books):
    campaign, api = stripe_books
    report = reconcile()
    assert report.checked == 3
    found = sorted(str(d) for d in report.differences)
    assert len(found) == 2, found
    assert "stripe cs_b" in found[0] and "refunded: ledger Rp" in found[0] and "40.000" in found[0]
    assert "stripe cs_x (no payment): collected by the provider but no payment here" in found[1]
    # Both pages of each list were read.
    urls = [call.request.url for call in api.calls]
    assert any("starting_after=re_a1" in url for url in urls)
    assert any("starting_after=cs_b" in url for url in urls)


def test_reconcile_command_prints_the_differences_and_exits_1(stripe_books, runner):
    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 1
    assert "cs_b" in result.output and "cs_x" in result.output
    assert "2 differences in 3 payments" in result.output


def test_reconcile_of_one_campaign_since_a_date(stripe_books, runner, make):
    campaign, api = stripe_books
    result = runner.invoke(args=["reconcile", campaign.slug, "--since", "2000-01-01"])
    assert result.exit_code == 1 and "cs_b" in result.output and "cs_x" not in result.output
    assert runner.invoke(args=["reconcile", campaign.slug, "--since", "2999-01-01"]).exit_code == 0
    assert runner.invoke(args=["reconcile", "nowhere"]).exit_code != 0


def test_the_sandbox_is_reconciled_against_its_own_book(app, client, make, runner):
    campaign = make.campaign("riau")
    db.session.commit()
    client.post(f"/donor/campaigns/{campaign.slug}/give",
                data={"amount": "50000", "designation": "infak", "donor_email": "a@example.com", "donor_name": "Ani"})
    payment = db.session.scalar(sa.select(Payment))
    client.post(f"/sandbox/checkout/{payment.provider_ref}", data={"outcome": "pay"})
    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 0, result.output
    assert "1 payment agree" in result.output
    # A payment booked without the sandbox ever taking the money is a difference.
    make.paid_gift(campaign, 20_000)
    db.session.commit()
    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 1 and "the provider has no record of it" in result.output
    record = db.session.get(SandboxRecord, payment.provider_ref)
    assert record.amount_idr == 50_000
