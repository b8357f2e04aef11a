"""``reconcile`` for Midtrans (each order's Core API status) and bank transfer (matched statement lines).

Midtrans is reached at its real sandbox address, intercepted by ``responses``
in the shape the Core API answers ``GET /v2/{order_id}/status``: every value
a string, ``gross_amount`` with two decimals, ``status_code`` "200"/"201"/"407"
in the body, a 404 for an order it never saw, ``refunds`` after a refund.
"""

import datetime as dt
import uuid

import pytest
import responses
import sqlalchemy as sa

from donate import clock, payments
from donate.extensions import db
from donate.models import Designation, DonationKind, Payment, PaymentState, StatementLine
from donate.payments.base import RefundRecord
from donate.payments.midtrans import signature
from donate.services.money.checkout import Donor, give_to_pool
from donate.services.money.donations import confirm_payment, create_donation, start_payment
from donate.services.money.reconcile import reconcile
from donate.services.money.refunds import apply_refund
from donate.services.money.transfers import upload_statement
from tests.conftest import NOW, PREMIUM, TODAY

#: Where ``midtransclient`` sends Core API calls in sandbox mode (no ``DONATE_MIDTRANS_API_BASE`` set).
CORE = "https://api.sandbox.midtrans.com"
SERVER_KEY = "SB-Mid-server-TEST-3sN1gZ0Yb6"
GIFT = 100_000


@pytest.fixture
def midtrans_bank_app(app):
    """Midtrans (sandbox) and bank transfer enabled together, as a foundation in Indonesia would run."""
    app.config.update(PAYMENT_PROVIDER="midtrans,bank_transfer", MIDTRANS_SERVER_KEY=SERVER_KEY,
                      MIDTRANS_CLIENT_KEY="SB-Mid-client-TEST", BANK_NAME="Bank Syariah Indonesia",
                      BANK_ACCOUNT_NUMBER="7123456789", BANK_ACCOUNT_NAME="Yayasan Lindungi Pekerja")
    payments.init_app(app)
    return app


@pytest.fixture
def core():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def campaign(midtrans_bank_app, make):
    campaign = make.campaign("gn-lingkaran")
    db.session.commit()
    return campaign


def order(campaign, amount=PREMIUM, *, method="qris", paid=True) -> Payment:
    """A Midtrans payment as a Snap checkout leaves it: our order id, pending, or paid through the settlement."""
    donation = create_donation(campaign, kind=DonationKind.pool, designation=Designation.infak, amount_idr=amount)
    payment = start_payment(donation, "midtrans")
    payment.provider_ref = f"LDG-{payment.id}-{uuid.uuid4().hex[:8]}"
    payment.method = method
    payment.state = PaymentState.pending
    db.session.flush()
    if paid:
        confirm_payment(payment.id, today=TODAY, now=NOW)
        db.session.refresh(payment)
    return payment


STATUS_CODES = {"settlement": "200", "capture": "200", "pending": "201", "expire": "407", "refund": "200",
                "partial_refund": "200", "cancel": "200", "deny": "202"}
PAYMENT_TYPES = {"qris": "qris", "gopay": "gopay", "bca_va": "bank_transfer", "card": "credit_card"}


def status(payment, transaction_status, *, gross=None, **extra) -> dict:
    """The Core API's answer for an order, as Midtrans writes it."""
    gross = f"{payment.amount_idr if gross is None else gross}.00"
    code = STATUS_CODES[transaction_status]
    payment_type = PAYMENT_TYPES[payment.method]
    body = {
        "status_code": code, "status_message": "Success, transaction is found",
        "transaction_id": str(uuid.UUID(int=payment.id)), "order_id": payment.provider_ref,
        "merchant_id": "G141532850", "gross_amount": gross, "currency": "IDR", "payment_type": payment_type,
        "transaction_time": "2018-03-15 16:00:05", "transaction_status": transaction_status,
        "fraud_status": "accept", "signature_key": signature(payment.provider_ref, code, gross, SERVER_KEY),
    }
    if transaction_status in ("settlement", "refund", "partial_refund"):
        body["settlement_time"] = "2018-03-15 16:01:12"
    if payment_type == "qris":
        body.update(acquirer="gopay", issuer="gopay", expiry_time="2018-03-15 16:15:05")
    if payment_type == "bank_transfer":
        body.update(va_numbers=[{"bank": "bca", "va_number": "70012345678901"}], payment_amounts=[],
                    expiry_time="2018-03-16 16:00:05")
    if payment_type == "credit_card":
        body.update(masked_card="48111111-1114", bank="bni", card_type="credit", channel_response_code="00",
                    channel_response_message="Approved", approval_code="1521104405393", eci="05")
    body.update(extra)
    return body


def answer(core, body, *, order_id=None):
    core.add(responses.GET, f"{CORE}/v2/{order_id or body['order_id']}/status", json=body)


def not_found(core, payment):
    core.add(responses.GET, f"{CORE}/v2/{payment.provider_ref}/status", status=404,
             json={"status_code": "404", "status_message": "Transaction doesn't exist.",
                   "id": str(uuid.uuid4())})


def lines(report) -> list[str]:
    return sorted(str(found) for found in report.differences)


# -- Midtrans -------------------------------------------------------------


def test_midtrans_orders_that_agree_reconcile_clean(campaign, core, runner, books_stay_sound):
    qris = order(campaign)
    va = order(campaign, 3 * PREMIUM, method="bca_va")
    card = order(campaign, 6 * PREMIUM, method="card")
    waiting = order(campaign, paid=False)
    left = order(campaign, paid=False)  # the donor closed Snap: Midtrans never saw the order
    refunded = order(campaign, method="gopay")
    apply_refund(refunded, RefundRecord(ref="lindungi-refund-1", amount_idr=PREMIUM, status="succeeded",
                                        refund_id=None), today=TODAY)
    db.session.commit()
    answer(core, status(qris, "settlement"))
    answer(core, status(va, "settlement"))
    answer(core, status(card, "capture"))
    answer(core, status(waiting, "pending"))
    not_found(core, left)
    answer(core, status(refunded, "refund", refund_amount=f"{PREMIUM}.00", refunds=[
        {"refund_chargeback_id": 81234, "refund_chargeback_uuid": str(uuid.uuid4()),
         "refund_amount": f"{PREMIUM}.00", "reason": "donor asked", "refund_key": "lindungi-refund-1",
         "refund_method": "", "created_at": "2018-03-16 09:00:00"}]))

    report = reconcile()
    assert report.checked == 6
    assert report.differences == [] and report.flagged == []
    asked = {call.request.url for call in core.calls}
    assert asked == {f"{CORE}/v2/{p.provider_ref}/status" for p in (qris, va, card, waiting, left, refunded)}

    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 0, result.output
    assert "6 payments agree" in result.output


def test_midtrans_settled_what_we_hold_as_pending_or_given_up(campaign, core, runner):
    pending = order(campaign, paid=False)
    expired = order(campaign, 3 * PREMIUM, method="bca_va", paid=False)
    expired.state = PaymentState.expired
    db.session.commit()
    answer(core, status(pending, "settlement"))
    answer(core, status(expired, "settlement"))

    found = lines(reconcile())
    assert len(found) == 2, found
    assert f"midtrans {pending.provider_ref} (payment {pending.id}): received: ledger Rp 0, provider Rp 16.800" \
        in found
    assert f"midtrans {expired.provider_ref} (payment {expired.id}): received: ledger Rp 0, provider Rp 50.400" \
        in found

    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 1
    assert pending.provider_ref in result.output and expired.provider_ref in result.output
    assert "2 differences in 2 payments" in result.output


def test_midtrans_amount_that_differs_is_reported(campaign, core):
    payment = order(campaign, 6 * PREMIUM)
    db.session.commit()
    answer(core, status(payment, "settlement", gross=PREMIUM))

    report = reconcile()
    assert [(d.payment_id, d.what, d.ours, d.theirs) for d in report.differences] == [
        (payment.id, "received", "Rp 100.800", "Rp 16.800")]


def test_midtrans_amount_that_is_not_whole_rupiah_is_reported(campaign, core):
    payment = order(campaign)
    db.session.commit()
    # Whatever Midtrans collected, it is not the whole rupiah we asked for.
    answer(core, status(payment, "settlement", gross_amount="16800.50"))

    report = reconcile()
    assert [(d.what, d.ours) for d in report.differences] == [("received", "Rp 16.800")]


def test_refund_made_at_midtrans_and_not_booked_here_is_reported(campaign, core, runner):
    full = order(campaign, method="gopay")
    part = order(campaign, 6 * PREMIUM, method="card")
    db.session.commit()
    answer(core, status(full, "refund", refund_amount=f"{PREMIUM}.00", refunds=[
        {"refund_chargeback_id": 90001, "refund_amount": f"{PREMIUM}.00", "reason": "dashboard",
         "refund_key": "a1b2c3", "refund_method": "", "created_at": "2018-03-16 10:00:00"}]))
    answer(core, status(part, "partial_refund", refund_amount="33600.00", refunds=[
        {"refund_chargeback_id": 90002, "refund_amount": "33600.00", "reason": "dashboard",
         "refund_key": "d4e5f6", "refund_method": "", "created_at": "2018-03-16 10:05:00"}]))

    report = reconcile()
    assert sorted((d.payment_id, d.what, d.ours, d.theirs) for d in report.differences) == sorted([
        (full.id, "refunded", "Rp 0", "Rp 16.800"), (part.id, "refunded", "Rp 0", "Rp 33.600")])
    assert runner.invoke(args=["reconcile"]).exit_code == 1


def test_a_paid_order_midtrans_does_not_know_is_reported(campaign, core, runner):
    payment = order(campaign, 3 * PREMIUM)
    db.session.commit()
    not_found(core, payment)

    report = reconcile()
    assert [(d.payment_id, d.what, d.ours, d.theirs) for d in report.differences] == [
        (payment.id, "the provider has no record of it", "Rp 50.400", "nothing")]
    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 1 and payment.provider_ref in result.output


def test_paid_here_but_expired_or_still_pending_at_midtrans_is_reported(campaign, core):
    expired = order(campaign, method="bca_va")
    pending = order(campaign, method="qris")
    db.session.commit()
    expire = status(expired, "expire")
    answer(core, expire)  # status_code "407" in a 200 answer: midtransclient does not raise for it
    answer(core, status(pending, "pending"))

    report = reconcile()
    assert sorted((d.payment_id, d.ours, d.theirs) for d in report.differences) == sorted([
        (expired.id, "Rp 16.800", "Rp 0"), (pending.id, "Rp 16.800", "Rp 0")])


def test_midtrans_down_stops_the_run_and_says_so(campaign, core, runner):
    payment = order(campaign)
    db.session.commit()
    core.add(responses.GET, f"{CORE}/v2/{payment.provider_ref}/status", status=503,
             json={"status_code": "503", "status_message": "Midtrans is under maintenance"})

    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 1
    assert "could not ask the provider" in result.output and "503" in result.output


# -- bank transfer ----------------------------------------------------------


def transfer(campaign, amount=GIFT) -> Payment:
    payment, _url = give_to_pool(campaign, amount, Designation.infak, Donor(name="Siti", email="siti@example.com"),
                                 lambda p: ("/ok", "/batal"), method="bank_transfer", now=clock.now())
    return payment


def generic_statement(*credits) -> str:
    rows = ["date,description,amount"]
    rows += [f"{day.isoformat()},{text},{amount}" for day, text, amount in credits]
    return "\n".join(rows) + "\n"


def wib_today() -> dt.date:
    from donate.models.base import utcnow

    return (utcnow() + dt.timedelta(hours=7)).date()


def test_transfers_matched_from_the_statement_reconcile_clean(campaign, runner, books_stay_sound):
    first, second = transfer(campaign), transfer(campaign, 2 * GIFT)
    waiting = transfer(campaign, 3 * GIFT)
    upload_statement(generic_statement((wib_today(), "TRSF SITI", first.amount_idr),
                                       (wib_today(), "TRSF BUDI", second.amount_idr)),
                     "generic", user=None, today=clock.today(), now=clock.now())
    db.session.commit()
    db.session.expire_all()
    assert (first.state, second.state, waiting.state) == (PaymentState.paid, PaymentState.paid,
                                                          PaymentState.pending)

    report = reconcile()
    assert report.checked == 3 and report.differences == []
    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 0, result.output


def test_a_statement_line_whose_amount_differs_from_its_payment_is_reported(campaign, runner):
    payment = transfer(campaign)
    upload_statement(generic_statement((wib_today(), "TRSF SITI", payment.amount_idr)), "generic", user=None,
                     now=clock.now(),
                     today=clock.today())
    db.session.commit()
    line = db.session.scalar(sa.select(StatementLine))
    # The line as a manager corrected it after a misread statement: the bank credited less than was booked.
    line.amount_idr = payment.amount_idr - 1_000
    db.session.commit()

    report = reconcile()
    assert [(d.provider, d.payment_id, d.what) for d in report.differences] == [
        ("bank_transfer", payment.id, "received")]
    assert report.differences[0].theirs == f"Rp {payment.amount_idr - 1_000:,}".replace(",", ".")
    assert runner.invoke(args=["reconcile"]).exit_code == 1


def test_a_paid_transfer_without_a_statement_line_is_reported(campaign, runner):
    payment = transfer(campaign)
    # Booked as paid without any credit on the statement (a manager's shortcut the books must not hide).
    confirm_payment(payment.id, today=TODAY, now=NOW)
    db.session.commit()

    report = reconcile()
    assert [(d.payment_id, d.what, d.theirs) for d in report.differences] == [
        (payment.id, "the provider has no record of it", "nothing")]
    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 1 and f"TRF-{payment.id}" in result.output


def test_midtrans_and_transfers_are_reconciled_in_one_run(campaign, core):
    qris = order(campaign)
    paid_transfer = transfer(campaign)
    upload_statement(generic_statement((wib_today(), "TRSF SITI", paid_transfer.amount_idr)), "generic", user=None,
                     now=clock.now(), today=clock.today())
    db.session.commit()
    answer(core, status(qris, "settlement", gross=2 * PREMIUM))

    report = reconcile()
    assert report.checked == 2
    assert [(d.provider, d.payment_id) for d in report.differences] == [("midtrans", qris.id)]


def test_money_sent_back_by_hand_is_not_a_difference_with_the_provider(campaign, core, runner, books_stay_sound):
    """A virtual account or a transfer is refunded by a manager's own transfer back: Midtrans and the bank
    statement's credits cannot know it, so it is compared with nothing but it still is the ledger's."""
    from donate.models import Role
    from donate.services.money.refunds import refund_gift
    from tests.manage_helpers import user

    manager = user("bendahara@example.org", Role.manager)
    va = order(campaign, GIFT, method="bca_va")
    paid_transfer = transfer(campaign)
    upload_statement(generic_statement((wib_today(), "TRSF SITI", paid_transfer.amount_idr)), "generic", user=None,
                     now=clock.now(), today=clock.today())
    db.session.commit()
    db.session.refresh(paid_transfer)
    refund_gift(va, 40_000, user=manager, reason="donor asked; sent back from BSI 7123456789", today=clock.today())
    refund_gift(paid_transfer, None, user=manager, reason="double transfer; sent back", today=clock.today())
    db.session.commit()
    assert (va.refunded_idr, paid_transfer.refunded_idr) == (40_000, paid_transfer.amount_idr)
    answer(core, status(va, "settlement"))

    report = reconcile()
    assert report.checked == 2 and report.differences == [], lines(report)
    assert runner.invoke(args=["reconcile"]).exit_code == 0
