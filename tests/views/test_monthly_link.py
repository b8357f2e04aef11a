"""The reminder's link on a phone: no login, pay the next month by bank transfer, matched from the statement."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa
import time_machine

from donate import payments
from donate.extensions import db
from donate.maintenance import tick
from donate.models import BankTransfer, CoverageMonth, OutboxMessage, Payment, PaymentState, Subscription
from donate.months import month_index
from donate.services.donors.reminders import next_reminder_on
from donate.services.money.transfers import upload_statement


@pytest.fixture
def campaign(app, make):
    app.config.update(PAYMENT_PROVIDER="sandbox,bank_transfer", BANK_NAME="Bank Syariah Indonesia",
                      BANK_ACCOUNT_NUMBER="7123456789", BANK_ACCOUNT_NAME="Yayasan Lindungi Pekerja")
    payments.init_app(app)
    campaign = make.campaign("gn-lingkaran")
    db.session.commit()
    return campaign


def path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def at(day: dt.date, hour: int = 3) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def months_of(worker) -> list[int]:
    return list(db.session.scalars(sa.select(CoverageMonth.month).where(CoverageMonth.worker_id == worker.id)
                                   .order_by(CoverageMonth.month)))


def test_a_sponsor_pays_each_month_by_qris_then_by_transfer_from_the_link(client, campaign, make, books_stay_sound):
    worker = make.worker(campaign)
    db.session.commit()
    started = dt.date(2018, 1, 31)
    with time_machine.travel(at(started), tick=False):
        response = client.post(f"/donor/campaigns/{campaign.slug}/workers/{worker.public_id}", data={
            "months": "monthly", "designation": "infak", "donor_name": "Siti", "donor_email": "siti@example.com",
            "method": "qris"})
        assert response.status_code == 302 and "/sandbox/checkout/" in response.headers["Location"]
        paid = client.post(path(response.headers["Location"]), data={"outcome": "pay"})
        thanks = client.get(path(paid.headers["Location"])).get_data(as_text=True)
    assert "Terima kasih" in thanks and "tanggal 31" in thanks  # when the reminders will come
    subscription = db.session.scalar(sa.select(Subscription))
    assert subscription.by_reminder and subscription.reminder_day == 31
    assert months_of(worker) == [month_index(started)]
    due = next_reminder_on(subscription, today=started)
    assert due == dt.date(2018, 2, 28)

    with time_machine.travel(at(due), tick=False):
        assert tick()["monthly_reminders_sent"] == 1
        db.session.commit()
        mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "monthly_reminder"))
        link = path(re.search(r"https?://\S+/donor/monthly/\S+", mail.body).group(0))
        page = client.get(link, headers={"User-Agent": "Mozilla/5.0 (Linux; Android 13) Mobile"})
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and 'name="method"' in html and "Februari 2018" in html
        assert 'value="bank_transfer"' in html and 'value="qris"' in html
        response = client.post(link, data={"method": "bank_transfer"})
        assert response.status_code == 302
        page = client.get(path(response.headers["Location"])).get_data(as_text=True)
        payment = db.session.scalar(sa.select(Payment).order_by(Payment.id.desc()))
        transfer = db.session.scalar(sa.select(BankTransfer).where(BankTransfer.payment_id == payment.id))
        assert payment.donation.subscription_id == subscription.id and payment.state == PaymentState.pending
        assert "7123456789" in page and f"{transfer.amount_due_idr:,}".replace(",", ".") in page

        statement = f"date,description,amount\n{due.isoformat()},TRSF SITI,{transfer.amount_due_idr}\n"
        report = upload_statement(statement, "generic", user=None, today=due, now=at(due, 5).replace(tzinfo=None))
        db.session.commit()
    assert len(report.matched) == 1
    db.session.refresh(payment)
    db.session.refresh(subscription)
    assert payment.state == PaymentState.paid
    assert months_of(worker) == [month_index(started), month_index(due)]
    assert subscription.unanswered_reminders == 0
    assert next_reminder_on(subscription, today=due) == dt.date(2018, 3, 31)
