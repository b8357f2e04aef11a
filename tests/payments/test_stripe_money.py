"""Every rupiah Stripe moves is booked once (issue 9): each case replayed as signed events in today's API shapes.

Charges carry no ``invoice`` in the API version the pinned ``stripe``
package speaks: a subscription month's charge is found through its
PaymentIntent's invoice payment. Disputes carry their money movements in
``balance_transactions``.
"""

import logging
import threading
import time

import pytest
import responses
import sqlalchemy as sa
from responses import matchers

from donate import clock
from donate.extensions import db
from donate.models import (
    Account,
    CoverageMonth,
    Designation,
    Donation,
    FlaggedEvent,
    Hold,
    Payment,
    PaymentState,
    Refund,
    RefundState,
    Role,
    Subscription,
    SubscriptionState,
)
from donate.months import current_month
from donate.payments.base import RefundRecord
from donate.services import ledger
from donate.services.coverage.allocation import allocate_pool
from donate.services.ledger import balance, check_ledger
from donate.services.money import refunds
from tests.conftest import PREMIUM
from tests.manage_helpers import login, staff_user
from tests.payments.test_stripe import (  # noqa: F401 (fixtures)
    API,
    SIX_MONTHS,
    api,
    campaign,
    charge_refunded,
    checkout_sponsorship,
    completed,
    dispute_obj,
    event,
    form,
    invoice,
    monthly,
    months_of,
    refund_obj,
    session_reply,
    signed,
    sponsor,
    stripe_app,
    stripe_list,
)


def give(client, campaign, amount, api, session="cs_test_1"):
    """Open a pool gift checkout at Stripe and return its payment."""
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply(session))
    client.post(f"/donor/campaigns/{campaign.slug}/give",
                data={"amount": str(amount), "designation": "infak", "donor_email": "a@example.com",
                      "donor_name": "Ani"})
    return db.session.scalar(sa.select(Payment).where(Payment.provider_ref == session))


def paid_session(payment, session, intent, *, event_id=None, amount=None, currency="idr"):
    """A ``checkout.session.completed`` for a one-off gift as Stripe sends it."""
    return event(event_id or f"evt_{session}", "checkout.session.completed", {
        "id": session, "object": "checkout.session", "mode": "payment", "status": "complete",
        "payment_status": "paid", "amount_total": (payment.amount_idr if amount is None else amount) * 100,
        "currency": currency, "client_reference_id": str(payment.id), "payment_intent": intent,
        "metadata": {"payment_id": str(payment.id)}})


def invoice_payment(invoice_id, intent, *, reason="subscription_cycle", expanded=True):
    """An invoice payment as ``GET /v1/invoice_payments`` lists it (``expand[]=data.invoice``)."""
    invoice_obj = {"id": invoice_id, "object": "invoice", "billing_reason": reason, "status": "paid",
                   "amount_paid": PREMIUM * 100, "currency": "idr",
                   "parent": {"type": "subscription_details",
                              "subscription_details": {"subscription": "sub_1", "metadata": {}}}}
    return {"id": f"inpay_{invoice_id}", "object": "invoice_payment", "amount_paid": PREMIUM * 100,
            "amount_requested": PREMIUM * 100, "currency": "idr", "is_default": True, "status": "paid",
            "invoice": invoice_obj if expanded else invoice_id,
            "payment": {"type": "payment_intent", "payment_intent": intent}}


def month_two(client, payment, api):
    """Pay month 1 through the checkout and month 2 through its invoice; return month 2's payment."""
    signed(client, completed(payment, session="cs_sub", mode="subscription", subscription="sub_1"))
    assert signed(client, invoice(payment, "in_2", "subscription_cycle")).json["outcome"] == "month funded"
    # From here on, PaymentIntents belong to no Checkout Session: look-ups go through invoice payments.
    api.replace(responses.GET, f"{API}/v1/checkout/sessions", json=stripe_list("/v1/checkout/sessions", []))
    return db.session.scalar(sa.select(Payment).where(Payment.provider_ref == "in_2"))


# 1. Refunds and disputes of a monthly sponsorship ------------------------------------------------

def test_a_refund_of_a_subscription_month_is_found_through_its_invoice_payment(monthly, client, api):
    worker, first = monthly
    second = month_two(client, first, api)
    assert months_of(worker) == [current_month(clock.today()), current_month(clock.today()) + 1]
    api.add(responses.GET, f"{API}/v1/invoice_payments", json=stripe_list(
        "/v1/invoice_payments", [invoice_payment("in_2", "pi_2")]))
    api.add(responses.GET, f"{API}/v1/refunds",
            json=stripe_list("/v1/refunds", [refund_obj("re_m2", PREMIUM, intent="pi_2")]))
    response = signed(client, charge_refunded("evt_m2_refund", PREMIUM, amount_idr=PREMIUM, intent="pi_2"))
    assert response.json["outcome"] == "refunded"
    asked = [c.request.url for c in api.calls if "/v1/invoice_payments" in c.request.url][-1]
    assert "payment%5Btype%5D=payment_intent" in asked and "payment%5Bpayment_intent%5D=pi_2" in asked
    db.session.refresh(second)
    assert (second.state, second.refunded_idr, second.money_ref) == (PaymentState.refunded, PREMIUM, "pi_2")
    assert months_of(worker) == [current_month(clock.today())]  # month 2 was not yet sent to BPJS: released
    assert check_ledger() == []


def test_a_dispute_of_a_subscription_month_takes_its_money(monthly, client, api):
    worker, first = monthly
    second = month_two(client, first, api)
    api.add(responses.GET, f"{API}/v1/invoice_payments", json=stripe_list(
        "/v1/invoice_payments", [invoice_payment("in_2", "pi_2")]))
    dispute = {**dispute_obj("needs_response", amount_idr=PREMIUM, withdrawn=True), "payment_intent": "pi_2"}
    response = signed(client, event("evt_m2_dp", "charge.dispute.funds_withdrawn", dispute))
    assert response.json["outcome"] == "funds withdrawn"
    db.session.refresh(second)
    assert (second.state, second.refunded_idr) == (PaymentState.disputed, PREMIUM)
    assert check_ledger() == []


def test_a_manager_refunds_month_one_of_a_subscription(monthly, client, api, app, campaign):
    worker, first = monthly
    signed(client, completed(first, session="cs_sub", mode="subscription", subscription="sub_1"))
    manager = staff_user("amil@example.org", Role.manager, campaign)
    db.session.commit()
    # The subscription-mode session has no PaymentIntent: the money is on its first invoice's payment.
    api.add(responses.GET, f"{API}/v1/checkout/sessions/cs_sub", json={
        **session_reply("cs_sub"), "mode": "subscription", "status": "complete", "payment_status": "paid",
        "amount_total": PREMIUM * 100, "currency": "idr", "payment_intent": None, "invoice": "in_1",
        "subscription": "sub_1"})
    api.add(responses.GET, f"{API}/v1/invoice_payments",
            json=stripe_list("/v1/invoice_payments", [invoice_payment("in_1", "pi_1", expanded=False)]),
            match=[matchers.query_param_matcher({"invoice": "in_1", "limit": "10"})])
    api.add(responses.POST, f"{API}/v1/refunds", json=refund_obj("re_m1", PREMIUM, refund_id_ours=1))
    staff = app.test_client()
    login(staff, manager)
    response = staff.post(f"/manage/campaigns/{campaign.slug}/gifts/{first.id}/refund",
                          data={"reason": "donor asked", "request_key": "form-1"})
    assert response.status_code == 302
    sent = [c for c in api.calls if c.request.method == "POST" and c.request.url.endswith("/v1/refunds")]
    assert form(sent[0].request)["payment_intent"] == "pi_1"
    refund = db.session.scalar(sa.select(Refund))
    assert sent[0].request.headers["Idempotency-Key"] == f"lindungi-refund-{refund.id}"
    db.session.refresh(first)
    assert (first.state, first.refunded_idr) == (PaymentState.refunded, PREMIUM)
    assert (refund.state, refund.provider_ref) == (RefundState.succeeded, "re_m1")
    assert check_ledger() == []


# 2. Money that leaves after it was spent ---------------------------------------------------------

def test_a_dashboard_refund_of_allocated_money_books_a_shortfall_repaid_first(stripe_app, client, campaign, make,
                                                                              api):
    make.workers(campaign, 3)
    payment = give(client, campaign, 300_000, api)
    signed(client, paid_session(payment, "cs_test_1", "pi_1"))
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    spent = ledger.balance(campaign.id, Account.allocated, Designation.infak)
    assert spent > 0
    db.session.commit()
    api.add(responses.GET, f"{API}/v1/refunds", json=stripe_list("/v1/refunds", [refund_obj("re_1", 300_000)]))
    response = signed(client, charge_refunded("evt_dash", 300_000, amount_idr=300_000))
    assert response.json["outcome"] == "refunded"
    db.session.refresh(payment)
    assert (payment.state, payment.refunded_idr) == (PaymentState.refunded, 300_000)
    assert balance(campaign.id, Account.refunded, Designation.infak) == 300_000
    owed = -balance(campaign.id, Account.shortfall, Designation.infak)
    assert owed == 300_000 - (300_000 - spent)  # what the pool still had paid first
    assert balance(campaign.id, Account.pool, Designation.infak) == 0
    assert check_ledger() == []
    # The next money of the same designation repays the shortfall before anything is allocated.
    make.paid_gift(campaign, 200_000)
    assert -balance(campaign.id, Account.shortfall, Designation.infak) == max(owed - 200_000, 0)
    assert balance(campaign.id, Account.pool, Designation.infak) == max(200_000 - owed, 0)
    make.paid_gift(campaign, 100_000, designation=Designation.zakat)  # another designation owes nothing
    assert balance(campaign.id, Account.pool, Designation.zakat) == 100_000
    assert check_ledger() == []
    manager = staff_user("amil@example.org", Role.manager, campaign)
    db.session.commit()
    staff = stripe_app.test_client()
    login(staff, manager)
    page = staff.get(f"/manage/campaigns/{campaign.slug}?lang=en").get_data(as_text=True)
    assert "Shortfall owed to the pool" in page


def test_a_refund_of_money_already_sent_to_bpjs_is_booked_at_once(stripe_app, client, campaign, make, api):
    from tests.services.money.test_donations import remit

    worker, payment = checkout_sponsorship(client, campaign, make, api)
    signed(client, completed(payment))
    remit(campaign, db.session.scalars(sa.select(CoverageMonth)).all())
    db.session.commit()
    api.add(responses.GET, f"{API}/v1/refunds", json=stripe_list("/v1/refunds", [refund_obj("re_1", 50_000)]))
    assert signed(client, charge_refunded("evt_r", 50_000, amount_idr=SIX_MONTHS)).json["outcome"] == "refunded"
    assert -balance(campaign.id, Account.shortfall, Designation.infak) == 50_000
    assert len(months_of(worker)) == 6  # premiums paid to BPJS stay paid
    assert check_ledger() == []


# 3. A refund is counted once, whoever reports it first -------------------------------------------

def test_a_manager_retry_after_a_timeout_sends_the_same_key_and_refunds_once(stripe_app, client, campaign, api,
                                                                             app):
    payment = give(client, campaign, 100_000, api)
    signed(client, paid_session(payment, "cs_test_1", "pi_1"))
    manager = staff_user("amil@example.org", Role.manager, campaign)
    db.session.commit()
    staff = app.test_client()
    login(staff, manager)
    url = f"/manage/campaigns/{campaign.slug}/gifts/{payment.id}/refund"
    api.add(responses.POST, f"{API}/v1/refunds", body=ConnectionError("read timed out"))
    first = staff.post(url, data={"amount_idr": "50000", "reason": "double", "request_key": "form-7"})
    assert first.status_code == 200 and "tidak menjawab" in first.get_data(as_text=True)
    refund = db.session.scalar(sa.select(Refund))
    assert refund.state == RefundState.requested and payment.refunded_idr == 0
    # Stripe did make it: its webhook books the row named in the refund's metadata.
    api.add(responses.GET, f"{API}/v1/refunds", json=stripe_list(
        "/v1/refunds", [refund_obj("re_1", 50_000, refund_id_ours=refund.id)]))
    assert signed(client, charge_refunded("evt_r", 50_000, amount_idr=100_000)).json["outcome"] == "refunded"
    # The manager sends the same form again: same row, nothing more is asked of Stripe or booked.
    api.replace(responses.POST, f"{API}/v1/refunds", json=refund_obj("re_1", 50_000, refund_id_ours=refund.id))
    again = staff.post(url, data={"amount_idr": "50000", "reason": "double", "request_key": "form-7"})
    assert again.status_code == 302
    keys = {c.request.headers["Idempotency-Key"] for c in api.calls if c.request.method == "POST"
            and c.request.url.endswith("/v1/refunds")}
    assert keys == {f"lindungi-refund-{refund.id}"}
    db.session.refresh(payment)
    assert payment.refunded_idr == 50_000
    assert balance(campaign.id, Account.refunded, Designation.infak) == 50_000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 1
    assert check_ledger() == []


@pytest.mark.parametrize("webhook_first", [True, False])
def test_the_webhook_and_the_managers_refund_interleaved_book_it_once(stripe_app, client, campaign, api, app,
                                                                      monkeypatch, webhook_first):
    """The race of issue 9 point 3, forced on two connections (on PostgreSQL, each its own transaction)."""
    payment = give(client, campaign, 100_000, api)
    signed(client, paid_session(payment, "cs_test_1", "pi_1"))
    manager = staff_user("amil@example.org", Role.manager, campaign)
    db.session.commit()
    payment_id, slug = payment.id, campaign.slug
    api.add(responses.GET, f"{API}/v1/refunds", json=stripe_list(
        "/v1/refunds", [refund_obj("re_1", 50_000, refund_id_ours=1)]))
    api.add(responses.POST, f"{API}/v1/refunds", json=refund_obj("re_1", 50_000, refund_id_ours=1))
    booked, webhook_done, outcomes = threading.Event(), threading.Event(), {}
    real_apply = refunds.apply_refund

    def webhook():
        with app.app_context():
            outcomes["webhook"] = signed(app.test_client(), charge_refunded("evt_race", 50_000,
                                                                            amount_idr=100_000)).json["outcome"]
            db.session.remove()
        webhook_done.set()

    def manager_books(payment, record, **kwargs):
        if webhook_first:
            # Stripe answered the manager's request; its webhook is processed before the manager books.
            thread = threading.Thread(target=webhook)
            thread.start()
            thread.join(timeout=60)
        outcome = real_apply(payment, record, **kwargs)
        if not webhook_first:
            # Booked, not yet committed: the webhook arrives now and must wait for this transaction.
            booked.set()
            time.sleep(0.5)
        return outcome

    monkeypatch.setattr(refunds, "apply_refund", manager_books)
    staff = app.test_client()
    login(staff, manager)
    if not webhook_first:
        later = threading.Thread(target=lambda: booked.wait(30) and webhook())
        later.start()
    response = staff.post(f"/manage/campaigns/{slug}/gifts/{payment_id}/refund",
                          data={"amount_idr": "50000", "reason": "double", "request_key": "race"})
    assert response.status_code == 302
    assert webhook_done.wait(60)
    db.session.expire_all()
    payment = db.session.get(Payment, payment_id)
    assert payment.refunded_idr == 50_000
    assert balance(campaign.id, Account.refunded, Designation.infak) == 50_000
    assert outcomes["webhook"] in ("refunded", "refund already recorded")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 1
    assert check_ledger() == []


# 4 and 5. What is trusted -------------------------------------------------------------------------

def test_a_session_the_site_did_not_open_cannot_take_over_a_payment(stripe_app, client, campaign, make, api, app):
    worker, payment = checkout_sponsorship(client, campaign, make, api)  # Rp 100,800, session cs_test_1
    foreign = paid_session(payment, "cs_foreign", "pi_foreign", amount=10_000)
    response = signed(client, foreign)
    assert response.status_code == 200 and response.json["outcome"] == "flagged"
    db.session.refresh(payment)
    assert payment.state == PaymentState.pending and months_of(worker) == []
    flag = db.session.scalar(sa.select(FlaggedEvent))
    assert (flag.problem, flag.provider_ref, flag.payment_id, flag.held_idr) == ("reference", "cs_foreign",
                                                                                 payment.id, 10_000)
    assert balance(campaign.id, Account.suspense, Designation.infak) == 10_000
    assert balance(campaign.id, Account.pool, Designation.infak) == 0
    # The donor's own session still confirms the gift, for its own amount.
    assert signed(client, paid_session(payment, "cs_test_1", "pi_1")).json["outcome"] == "confirmed"
    db.session.refresh(payment)
    assert payment.state == PaymentState.paid and len(months_of(worker)) == 6
    assert check_ledger() == []
    # A manager sees it, with Stripe's figures.
    manager = staff_user("amil@example.org", Role.manager, campaign)
    db.session.commit()
    staff = app.test_client()
    login(staff, manager)
    page = staff.get(f"/manage/campaigns/{campaign.slug}/flagged").get_data(as_text=True)
    assert "cs_foreign" in page and "1000000 idr" in page
    staff.post(f"/manage/campaigns/{campaign.slug}/flagged/{flag.id}", data={"note": "refunded at Stripe"})
    assert db.session.get(FlaggedEvent, flag.id).resolved_at is not None
    assert balance(campaign.id, Account.suspense, Designation.infak) == 0
    assert check_ledger() == []


@pytest.mark.parametrize(("amount", "currency", "held"), [(10_000 // 100, "usd", 0), (100, "idr", 100),
                                                          (100_000_000, "idr", 100_000_000)])
def test_an_amount_or_currency_that_disagrees_is_flagged_not_booked(stripe_app, client, campaign, api, amount,
                                                                    currency, held):
    payment = give(client, campaign, 100_000, api)
    response = signed(client, paid_session(payment, "cs_test_1", "pi_1", amount=amount, currency=currency))
    assert response.status_code == 200 and response.json["outcome"] == "flagged"
    db.session.refresh(payment)
    assert payment.state == PaymentState.pending
    flag = db.session.scalar(sa.select(FlaggedEvent))
    assert flag.problem == ("currency" if currency != "idr" else "amount")
    assert flag.provider_amount == f"{amount * 100} {currency}" and flag.held_idr == held
    assert balance(campaign.id, Account.pool, Designation.infak) == 0
    assert balance(campaign.id, Account.received, Designation.infak) == -held
    assert check_ledger() == []


@pytest.mark.parametrize("amount", [0, -500])
def test_an_amount_of_zero_or_less_is_answered_and_flagged(stripe_app, client, campaign, api, amount):
    payment = give(client, campaign, 100_000, api)
    for attempt in range(2):
        response = signed(client, paid_session(payment, "cs_test_1", "pi_1", amount=amount,
                                               event_id=f"evt_zero_{attempt}"))
        assert response.status_code == 200 and response.json["outcome"] == "flagged"
    assert db.session.scalar(sa.select(sa.func.sum(FlaggedEvent.held_idr))) == 0
    assert check_ledger() == []


# 6. Disputes ---------------------------------------------------------------------------------------

def test_an_inquiry_moves_no_money_and_no_months(stripe_app, client, campaign, make, api):
    worker, payment = checkout_sponsorship(client, campaign, make, api)
    signed(client, completed(payment))
    for number, status in enumerate(("warning_needs_response", "warning_under_review", "warning_closed")):
        kind = "charge.dispute.created" if number == 0 else ("charge.dispute.updated" if number == 1
                                                             else "charge.dispute.closed")
        assert signed(client, event(f"evt_inq{number}", kind, dispute_obj(status))).json["outcome"] \
            == "dispute recorded"
    db.session.refresh(payment)
    assert (payment.state, payment.refunded_idr) == (PaymentState.paid, 0)
    assert len(months_of(worker)) == 6
    assert balance(campaign.id, Account.refunded) == 0
    assert check_ledger() == []


def test_a_won_dispute_funds_the_same_worker_when_the_months_are_still_free(stripe_app, client, campaign, make,
                                                                            api):
    worker, payment = checkout_sponsorship(client, campaign, make, api)
    signed(client, completed(payment))
    before = months_of(worker)
    signed(client, event("evt_w", "charge.dispute.funds_withdrawn", dispute_obj("needs_response", withdrawn=True)))
    assert months_of(worker) == []
    # A late, older notice (fewer balance movements) changes nothing.
    signed(client, event("evt_old", "charge.dispute.created", dispute_obj("needs_response")))
    assert db.session.get(Payment, payment.id).refunded_idr == SIX_MONTHS
    signed(client, event("evt_r", "charge.dispute.funds_reinstated",
                         dispute_obj("won", withdrawn=True, reinstated=True)))
    assert months_of(worker) == before
    db.session.refresh(payment)
    assert (payment.state, payment.refunded_idr) == (PaymentState.paid, 0)
    assert check_ledger() == []


def test_a_dispute_for_a_charge_we_do_not_know_is_answered_and_ignored(stripe_app, client, api):
    api.add(responses.GET, f"{API}/v1/checkout/sessions", json=stripe_list("/v1/checkout/sessions", []))
    api.add(responses.GET, f"{API}/v1/invoice_payments", json=stripe_list("/v1/invoice_payments", []))
    response = signed(client, event("evt_x", "charge.dispute.created",
                                    {**dispute_obj("needs_response"), "payment_intent": "pi_unknown"}))
    assert response.status_code == 200 and response.json["outcome"] == "ignored"


def test_a_refund_that_failed_gives_the_money_back(stripe_app, client, campaign, api):
    payment = give(client, campaign, 100_000, api)
    signed(client, paid_session(payment, "cs_test_1", "pi_1"))
    assert signed(client, event("evt_rc", "refund.created", refund_obj("re_1", 100_000, status="pending"))) \
        .json["outcome"] == "refunded"
    db.session.refresh(payment)
    assert (payment.state, payment.refunded_idr) == (PaymentState.refunded, 100_000)
    assert signed(client, event("evt_rf", "refund.failed", refund_obj("re_1", 100_000, status="failed"))) \
        .json["outcome"] == "refund failed"
    # A late "pending" update after the failure changes nothing.
    assert signed(client, event("evt_ru", "refund.updated", refund_obj("re_1", 100_000, status="pending"))) \
        .json["outcome"] == "refund already recorded"
    db.session.refresh(payment)
    assert (payment.state, payment.refunded_idr) == (PaymentState.paid, 0)
    assert balance(campaign.id, Account.pool, Designation.infak) == 100_000
    assert check_ledger() == []


# 7. Provider errors ----------------------------------------------------------------------------------

def stripe_error(status, code, message, request_id="req_test_42"):
    return {"status": status, "headers": {"Request-Id": request_id},
            "json": {"error": {"type": "invalid_request_error", "code": code, "message": message}}}


def test_a_checkout_stripe_refuses_says_so_keeps_nothing_and_logs_the_request_id(stripe_app, client, campaign, make,
                                                                                 api, caplog):
    worker = make.worker(campaign)
    db.session.commit()
    api.add(responses.POST, f"{API}/v1/checkout/sessions",
            **stripe_error(400, "parameter_invalid_integer", "Invalid integer: expires_at"))
    with caplog.at_level(logging.WARNING):
        response = sponsor(client, campaign, worker)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "layanan pembayaran menolak" in page
    assert "req_test_42" in caplog.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Hold)) == 0


def test_a_refund_stripe_refuses_is_explained_and_books_nothing(stripe_app, client, campaign, api, app, caplog):
    payment = give(client, campaign, 100_000, api)
    signed(client, paid_session(payment, "cs_test_1", "pi_1"))
    manager = staff_user("amil@example.org", Role.manager, campaign)
    db.session.commit()
    api.add(responses.POST, f"{API}/v1/refunds",
            **stripe_error(400, "charge_already_refunded", "Charge ch_1 has already been refunded."))
    staff = app.test_client()
    login(staff, manager)
    with caplog.at_level(logging.WARNING):
        response = staff.post(f"/manage/campaigns/{campaign.slug}/gifts/{payment.id}/refund",
                              data={"reason": "double", "request_key": "f"})
    assert response.status_code == 200
    assert "Layanan pembayaran menolak pengembalian dana ini" in response.get_data(as_text=True)
    assert "req_test_42" in caplog.text
    db.session.refresh(payment)
    assert (payment.state, payment.refunded_idr) == (PaymentState.paid, 0)
    assert db.session.scalar(sa.select(Refund.state)) == RefundState.failed
    assert check_ledger() == []


def test_a_subscription_stripe_no_longer_has_is_still_cancelled_here(monthly, client, api):
    worker, payment = monthly
    signed(client, completed(payment, session="cs_sub", mode="subscription", subscription="sub_1"))
    subscription = db.session.scalar(sa.select(Subscription))
    api.add(responses.DELETE, f"{API}/v1/subscriptions/sub_1",
            **stripe_error(404, "resource_missing", "No such subscription: 'sub_1'"))
    response = client.post(f"/donor/subscriptions/{subscription.id}/cancel")
    assert response.status_code == 302
    db.session.refresh(subscription)
    assert subscription.state == SubscriptionState.cancelled


def test_a_cancel_while_stripe_is_down_says_so_and_changes_nothing(monthly, client, api):
    worker, payment = monthly
    signed(client, completed(payment, session="cs_sub", mode="subscription", subscription="sub_1"))
    subscription = db.session.scalar(sa.select(Subscription))
    api.add(responses.DELETE, f"{API}/v1/subscriptions/sub_1",
            status=503, json={"error": {"type": "api_error", "message": "Service unavailable"}})
    response = client.post(f"/donor/subscriptions/{subscription.id}/cancel", follow_redirects=True)
    assert "belum dihentikan" in response.get_data(as_text=True)
    db.session.refresh(subscription)
    assert subscription.state == SubscriptionState.active


# 9. expires_at ---------------------------------------------------------------------------------------

def test_a_named_worker_session_expires_with_a_margin_over_stripes_floor(stripe_app, client, campaign, make, api):
    worker = make.worker(campaign)
    db.session.commit()
    api.add(responses.POST, f"{API}/v1/checkout/sessions", json=session_reply())
    before = time.time()
    sponsor(client, campaign, worker)
    expires = int(form(api.calls[0].request)["expires_at"])
    assert expires - before >= 34 * 60  # Stripe refuses less than 30 minutes; clocks drift
    assert expires - before <= 24 * 3600


def test_the_refund_row_is_the_one_provider_record_converges_on(app, make):
    campaign = make.campaign()
    gift = make.paid_gift(campaign, 80_000)
    payment = gift.payments[0]
    refund = refunds.request_refund(payment, 30_000, user=None, request_key="k", today=clock.today())
    assert refunds.request_refund(payment, 30_000, user=None, request_key="k", today=clock.today()).id == refund.id
    record = RefundRecord(ref="sbx_re_1", amount_idr=30_000, status="succeeded", refund_id=refund.id)
    assert refunds.apply_refund(payment, record, today=clock.today()) == "refunded"
    assert refunds.apply_refund(payment, record, today=clock.today()) == "refund already recorded"
    assert payment.refunded_idr == 30_000 and check_ledger() == []


def test_a_reinstatement_that_overtakes_its_withdrawal_leaves_the_money_in_place(stripe_app, client, campaign,
                                                                                 make, api):
    worker, payment = checkout_sponsorship(client, campaign, make, api)
    signed(client, completed(payment))
    reinstated = event("evt_r", "charge.dispute.funds_reinstated", dispute_obj("won", withdrawn=True, reinstated=True))
    withdrawn = event("evt_w", "charge.dispute.funds_withdrawn", dispute_obj("needs_response", withdrawn=True))
    assert signed(client, reinstated).json["outcome"] == "dispute recorded"
    assert signed(client, withdrawn).json["outcome"] == "dispute already recorded"  # older news
    db.session.refresh(payment)
    assert (payment.state, payment.refunded_idr) == (PaymentState.paid, 0)
    assert len(months_of(worker)) == 6
    assert check_ledger() == []
