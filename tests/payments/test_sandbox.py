"""The sandbox provider: a local checkout whose buttons go through the real webhook path."""

import json
import time

import pytest
import sqlalchemy as sa

from donate import clock
from donate import create_app
from donate.extensions import db
from donate.models import (
    Account,
    CoverageMonth,
    Designation,
    DonationKind,
    Hold,
    Journal,
    Payment,
    PaymentState,
    ProcessedEvent,
)
from donate.payments import provider
from donate.payments.sandbox import SIGNATURE_HEADER, TOLERANCE_SECONDS, SandboxProvider
from donate.services import ledger
from donate.services.coverage.holds import hold_worker
from donate.services.money.donations import create_donation, start_payment


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def sponsorship(make, months: int = 6):
    """Return a sponsored worker and its payment at the sandbox checkout, with the worker held."""
    campaign = make.campaign()
    worker = make.worker(campaign)
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.infak,
                               amount_idr=months * 16_800, worker=worker, months=months,
                               donor_email="donor@example.org")
    hold_worker(donation, now=clock.now(), today=clock.today())
    payment = start_payment(donation, "sandbox")
    url = provider("sandbox").create_checkout(payment, success_url="/terima-kasih", cancel_url="/batal")
    db.session.commit()
    return worker, payment, url


def test_checkout_page_offers_pay_fail_cancel(client, make):
    _, payment, url = sponsorship(make)
    assert payment.provider_ref.startswith("sbx_")
    assert f"/sandbox/checkout/{payment.provider_ref}" in url
    response = client.get(url + "&lang=en")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for outcome, label in (("pay", "Pay"), ("fail", "Fail"), ("cancel", "Cancel")):
        assert f'name="outcome" value="{outcome}">{label}</button>' in text
    assert "Rp 100.800" in text


def test_unknown_checkout_is_404(client):
    assert client.get("/sandbox/checkout/sbx_nowhere").status_code == 404
    assert client.post("/sandbox/checkout/sbx_nowhere", data={"outcome": "pay"}).status_code == 404


def test_pay_confirms_through_the_webhook_and_funds_the_worker(client, make):
    worker, payment, url = sponsorship(make, months=6)
    response = client.post(url, data={"outcome": "pay"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/terima-kasih"

    db.session.expire_all()
    assert payment.state == PaymentState.paid
    assert payment.paid_at is not None
    assert count(ProcessedEvent, ProcessedEvent.provider == "sandbox") == 1
    received = db.session.scalar(sa.select(Journal).where(Journal.payment_id == payment.id))
    assert received.kind == "payment_received"
    assert {p.account: p.amount_idr for p in received.postings} == {
        Account.received: -100_800, Account.pool: 100_800}
    campaign_id = payment.donation.campaign_id
    assert ledger.balance(campaign_id, Account.received) == -100_800
    assert ledger.balance(campaign_id, Account.allocated) == 100_800
    assert ledger.balance(campaign_id, Account.pool) == 0
    assert ledger.check_ledger() == []
    assert count(CoverageMonth, CoverageMonth.worker_id == worker.id) == 6
    assert count(Hold) == 0

    # The page now says it is settled, and a second click changes nothing.
    assert b'value="pay"' not in client.get(url).data
    client.post(url, data={"outcome": "pay"})
    db.session.expire_all()
    assert count(CoverageMonth) == 6
    assert ledger.balance(campaign_id, Account.received) == -100_800
    assert ledger.check_ledger() == []


@pytest.mark.parametrize("outcome, state", [("fail", PaymentState.failed), ("cancel", PaymentState.expired)])
def test_fail_or_cancel_funds_nothing_and_releases_the_hold(client, make, outcome, state):
    _, payment, url = sponsorship(make)
    assert count(Hold) == 1
    response = client.post(url, data={"outcome": outcome})
    assert response.status_code == 302
    assert response.headers["Location"] == "/batal"

    db.session.expire_all()
    assert payment.state == state
    assert count(Hold) == 0
    assert count(CoverageMonth) == 0
    assert count(Journal) == 0
    assert ledger.check_ledger() == []
    assert b'value="pay"' not in client.get(url).data


def test_unknown_outcome_is_refused(client, make):
    _, payment, url = sponsorship(make)
    assert client.post(url, data={"outcome": "steal"}).status_code == 400
    db.session.expire_all()
    assert payment.state == PaymentState.created


def test_redirects_stay_on_the_site(client, make):
    _, payment, _ = sponsorship(make)
    url = f"/sandbox/checkout/{payment.provider_ref}?next=//evil.example/&cancel=https://evil.example/"
    response = client.post(url, data={"outcome": "fail"})
    assert response.headers["Location"] == "/campaigns/test-campaign"


def event(payment: Payment, state: str = "paid", event_id: str = "evt_1") -> bytes:
    return json.dumps({"id": event_id, "type": f"payment.{state}", "payment_ref": payment.provider_ref,
                       "amount_idr": payment.amount_idr}).encode()


def post_webhook(client, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return client.post("/webhooks/sandbox", data=body, headers=headers)


def test_signed_webhook_is_applied_once(client, make):
    worker, payment, _ = sponsorship(make, months=3)
    body = event(payment)
    sandbox = provider("sandbox")
    assert isinstance(sandbox, SandboxProvider)

    first = post_webhook(client, body, sandbox.sign(body))
    assert first.status_code == 200
    assert first.get_json() == {"outcome": "confirmed"}
    again = post_webhook(client, body, sandbox.sign(body))
    assert again.status_code == 200
    assert again.get_json() == {"outcome": "duplicate"}
    other = event(payment, event_id="evt_2")
    assert post_webhook(client, other, sandbox.sign(other)).get_json() == {"outcome": "already paid"}

    db.session.expire_all()
    assert payment.state == PaymentState.paid
    assert count(CoverageMonth, CoverageMonth.worker_id == worker.id) == 3
    assert count(Journal, Journal.kind == "payment_received") == 1
    assert ledger.check_ledger() == []


def test_webhook_for_a_failed_payment(client, make):
    _, payment, _ = sponsorship(make)
    body = event(payment, "failed")
    response = post_webhook(client, body, provider("sandbox").sign(body))
    assert response.get_json() == {"outcome": "failed"}
    db.session.expire_all()
    assert payment.state == PaymentState.failed
    assert count(Hold) == 0


def test_webhook_for_an_unknown_payment_is_flagged_not_booked(client, app):
    body = json.dumps({"id": "evt_x", "type": "payment.paid", "payment_ref": "sbx_nobody",
                       "amount_idr": 16_800}).encode()
    response = post_webhook(client, body, provider("sandbox").sign(body))
    assert response.status_code == 200
    assert response.get_json() == {"outcome": "flagged"}


def test_untrusted_webhooks_are_refused(client, make):
    _, payment, _ = sponsorship(make)
    sandbox = provider("sandbox")
    body = event(payment)
    tampered = body.replace(b"evt_1", b"evt_9")
    stale = int(time.time()) - TOLERANCE_SECONDS - 5
    other_key = SandboxProvider(type("App", (), {"config": {"SECRET_KEY": "another-key", "ENV": "test"}})())
    for sent, signature in [
        (tampered, sandbox.sign(body)),                   # body changed after signing
        (body, sandbox.sign(body).replace("v1=", "v1=0")),  # signature mangled
        (body, other_key.sign(body)),                     # signed with another key
        (body, sandbox.sign(body, stale)),                # older than five minutes
        (body, "garbage"),
        (body, None),
    ]:
        assert post_webhook(client, sent, signature).status_code == 400, signature
    unreadable = b"not json"
    assert post_webhook(client, unreadable, sandbox.sign(unreadable)).status_code == 400

    db.session.expire_all()
    assert payment.state == PaymentState.created
    assert count(ProcessedEvent) == 0
    assert count(CoverageMonth) == 0


def test_recent_timestamp_within_tolerance_is_accepted(client, make):
    _, payment, _ = sponsorship(make)
    body = event(payment)
    signature = provider("sandbox").sign(body, int(time.time()) - TOLERANCE_SECONDS + 30)
    assert post_webhook(client, body, signature).status_code == 200


def production_config(tmp_path, **overrides) -> dict:
    return {
        "TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "INSTANCE_PATH": str(tmp_path / "prod"), "SECRET_KEY": "k", "ENCRYPTION_KEY": "e",
        "ENV": "production", **overrides,
    }


@pytest.mark.parametrize("chosen", ["sandbox", ""])
def test_sandbox_refuses_to_run_in_production(app, tmp_path, chosen):
    with pytest.raises(RuntimeError, match="production"):
        create_app(production_config(tmp_path, PAYMENT_PROVIDER=chosen))


@pytest.mark.parametrize(("reported", "held"), [(1, 1), (50_000 * 1000, 0), (0, 0), (-5, 0)])
def test_a_sandbox_event_for_another_amount_is_flagged_not_booked(client, make, reported, held):
    """Issue 9: ``amount_idr=1`` once confirmed Rp 50,000 as Rp 1, and ×1000 as Rp 50,000,000."""
    from donate.models import FlaggedEvent
    from donate.services.ledger import check_ledger

    campaign = make.campaign("pool-gifts")
    db.session.commit()
    client.post(f"/donor/campaigns/{campaign.slug}/give",
                data={"amount": "50000", "designation": "infak", "donor_email": "a@example.com", "donor_name": "Ani"})
    payment = db.session.scalar(sa.select(Payment))
    if held == 0 and reported > 0:
        # The same reference already reported Rp 1: what it collected is held once, not once per notice.
        first = json.dumps({"id": "evt_one", "type": "payment.paid", "payment_ref": payment.provider_ref,
                            "amount_idr": 1}).encode()
        post_webhook(client, first, provider("sandbox").sign(first))
    body = json.dumps({"id": "evt_forged", "type": "payment.paid", "payment_ref": payment.provider_ref,
                       "amount_idr": reported}).encode()
    response = post_webhook(client, body, provider("sandbox").sign(body))
    assert response.status_code == 200 and response.get_json() == {"outcome": "flagged"}
    db.session.refresh(payment)
    assert payment.state == PaymentState.pending
    flag = db.session.scalar(sa.select(FlaggedEvent).where(FlaggedEvent.event_id == "evt_forged"))
    assert (flag.problem, flag.expected_idr, flag.held_idr) == ("amount", 50_000, held)
    assert check_ledger() == []
