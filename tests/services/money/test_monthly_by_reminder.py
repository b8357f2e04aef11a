"""Monthly sponsorship without cards: a reminder each month, a link that pays the next month, three unanswered end it.

Every date is fixed (the 15th, the 31st, the last day of February), never
the real one: ``tick`` and the services get ``today``/``now``.
"""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.maintenance import tick
from donate.models import (
    CoverageMonth,
    Designation,
    EndReason,
    MonthlyReminder,
    OutboxMessage,
    Payment,
    PaymentState,
    Subscription,
    SubscriptionState,
    Verification,
)
from donate.months import month_index
from donate.payments.base import Verdict
from donate.services.access.accounts import create_user
from donate.services.donors.reminders import next_reminder_on, queue_monthly_reminders
from donate.services.money.checkout import Donor, pay_sponsorship_month, sponsor_worker
from donate.services.money.donations import DonationRefused
from donate.services.money.settlement import settle_payment
from donate.services.money.subscriptions import (
    cancel_subscription,
    monthly_offer,
    sponsorship_token,
    subscription_for_token,
)
from tests.conftest import PREMIUM

URLS = lambda payment: ("/ok", "/cancel")  # noqa: E731 - the services only pass these on to the provider


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def pay(payment: Payment, day: dt.date) -> str:
    """Settle a payment as its provider reports it paid, through the one settlement."""
    verdict = Verdict(state=PaymentState.paid, amount_idr=payment.amount_idr, currency="idr",
                      payment_ref=payment.provider_ref, provider_amount=f"{payment.amount_idr} idr")
    return settle_payment(payment, verdict, today=day, now=at(day, 10))


@pytest.fixture
def campaign(make):
    campaign = make.campaign("gn-lingkaran")
    db.session.commit()
    return campaign


def start(campaign, worker, day: dt.date, *, method="qris", email="siti@example.com", locale="id"):
    """Sponsor ``worker`` every month from ``day``, paying the first month by ``method``; return the sponsorship."""
    payment, _url = sponsor_worker(campaign, worker, "monthly", Designation.infak,
                                   Donor(name="Siti", email=email, locale=locale), URLS, method=method,
                                   today=day, now=at(day))
    assert pay(payment, day) == "confirmed"
    db.session.commit()
    return db.session.scalar(sa.select(Subscription).where(Subscription.donation_id == payment.donation_id))


def months_of(worker) -> list[int]:
    return list(db.session.scalars(sa.select(CoverageMonth.month).where(CoverageMonth.worker_id == worker.id)
                                   .order_by(CoverageMonth.month)))


def reminders_to(email) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_email == email,
                                                                  OutboxMessage.kind == "monthly_reminder")
                                   .order_by(OutboxMessage.id)))


def run_tick(day: dt.date) -> dict:
    summary = tick(today=day, now=at(day, 1))
    db.session.commit()
    return summary


def test_the_first_month_paid_by_qris_starts_the_reminders_on_its_day(campaign, make, books_stay_sound):
    worker = make.worker(campaign)
    subscription = start(campaign, worker, dt.date(2018, 3, 15))
    assert (subscription.state, subscription.by_reminder) == (SubscriptionState.active, True)
    assert subscription.reminder_day == 15 and subscription.reminded_month == month_index(dt.date(2018, 3, 1))
    assert months_of(worker) == [month_index(dt.date(2018, 3, 1))]
    assert next_reminder_on(subscription, today=dt.date(2018, 3, 15)) == dt.date(2018, 4, 15)
    # Nothing is asked in the month it started, however often tick runs.
    assert run_tick(dt.date(2018, 3, 31))["monthly_reminders_sent"] == 0


def test_a_reminder_goes_once_per_sponsorship_and_month_however_often_tick_runs(campaign, make, books_stay_sound):
    worker = make.worker(campaign)
    subscription = start(campaign, worker, dt.date(2018, 3, 15))
    assert run_tick(dt.date(2018, 4, 14))["monthly_reminders_sent"] == 0  # not its day yet
    assert run_tick(dt.date(2018, 4, 15))["monthly_reminders_sent"] == 1
    for day in (dt.date(2018, 4, 15), dt.date(2018, 4, 16), dt.date(2018, 4, 30)):
        assert run_tick(day)["monthly_reminders_sent"] == 0
    # Even with the sponsorship's own bookkeeping set back, the constraint refuses a second one for April.
    subscription.reminded_month = month_index(dt.date(2018, 3, 1))
    db.session.flush()
    assert queue_monthly_reminders(today=dt.date(2018, 4, 20), now=at(dt.date(2018, 4, 20))) == (0, 0)
    db.session.rollback()
    (mail,) = reminders_to("siti@example.com")
    assert worker.display_name in mail.subject and "April 2018" in mail.subject
    assert "Rp 16.800" in mail.body and "QRIS" in mail.body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MonthlyReminder)) == 1
    db.session.refresh(subscription)
    assert subscription.unanswered_reminders == 1
    assert next_reminder_on(subscription, today=dt.date(2018, 4, 15)) == dt.date(2018, 5, 15)


def test_the_link_pays_exactly_the_next_month_for_the_same_worker_by_any_method(campaign, make, books_stay_sound):
    worker = make.worker(campaign)
    subscription = start(campaign, worker, dt.date(2018, 3, 15))
    run_tick(dt.date(2018, 4, 15))
    (mail,) = reminders_to("siti@example.com")
    token = re.search(r"/donor/monthly/(\S+)", mail.body).group(1)
    assert subscription_for_token(token) == subscription
    assert subscription_for_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]) is None

    april = dt.date(2018, 4, 16)
    offer = monthly_offer(subscription, today=april)
    assert (offer.state, offer.month, offer.amount_idr) == ("due", month_index(april), PREMIUM)
    payment, _url = pay_sponsorship_month(subscription, URLS, method="bca_va", today=april, now=at(april))
    assert payment.method == "bca_va" and payment.amount_idr == PREMIUM
    donation = payment.donation
    assert (donation.worker_id, donation.months, donation.subscription_id) == (worker.id, 1, subscription.id)
    assert donation.donor_email == "siti@example.com" and donation.designation == Designation.infak
    assert pay(payment, april) == "confirmed"
    db.session.commit()

    assert months_of(worker) == [month_index(dt.date(2018, 3, 1)), month_index(april)]
    db.session.refresh(subscription)
    assert subscription.unanswered_reminders == 0
    assert db.session.scalar(sa.select(MonthlyReminder.paid_at)) is not None
    # April is paid: the link has nothing more to take this month, so nothing is funded twice.
    assert monthly_offer(subscription, today=april).state == "covered"
    with pytest.raises(DonationRefused):
        pay_sponsorship_month(subscription, URLS, method="qris", today=april, now=at(april))
    assert run_tick(dt.date(2018, 5, 15))["monthly_reminders_sent"] == 1
    assert "Mei 2018" in reminders_to("siti@example.com")[-1].subject


def test_a_worker_covered_by_someone_else_is_not_funded_twice(campaign, make, books_stay_sound):
    worker = make.worker(campaign)
    subscription = start(campaign, worker, dt.date(2018, 3, 15))
    april = dt.date(2018, 4, 10)
    # Another donor sponsors the same worker for three months before the reminder comes.
    other, _url = sponsor_worker(campaign, worker, 3, Designation.infak, Donor(name="Budi", email="b@example.com"),
                                 URLS, method="qris", today=april, now=at(april))
    pay(other, april)
    db.session.commit()
    assert months_of(worker)[-1] == month_index(dt.date(2018, 6, 1))

    assert run_tick(dt.date(2018, 4, 15))["monthly_reminders_sent"] == 0
    assert reminders_to("siti@example.com") == []
    offer = monthly_offer(subscription, today=dt.date(2018, 4, 15))
    assert offer.state == "covered" and offer.covered_until == month_index(dt.date(2018, 6, 1))
    assert next_reminder_on(subscription, today=dt.date(2018, 4, 15)) == dt.date(2018, 7, 15)
    # Covered months count nothing against the donor; July asks for July.
    assert run_tick(dt.date(2018, 7, 15))["monthly_reminders_sent"] == 1
    db.session.refresh(subscription)
    assert subscription.unanswered_reminders == 1


def test_a_worker_who_can_no_longer_be_funded_ends_it_kindly_and_offers_the_pool(campaign, make, books_stay_sound):
    worker = make.worker(campaign)
    subscription = start(campaign, worker, dt.date(2018, 3, 15))
    worker.verification = Verification.rejected
    worker.flag_reason = "meninggal dunia"
    db.session.commit()
    assert monthly_offer(subscription, today=dt.date(2018, 4, 1)).state == "unavailable"
    with pytest.raises(DonationRefused):
        pay_sponsorship_month(subscription, URLS, method="qris", today=dt.date(2018, 4, 1),
                              now=at(dt.date(2018, 4, 1)))

    summary = run_tick(dt.date(2018, 4, 15))
    assert (summary["monthly_reminders_sent"], summary["monthly_sponsorships_ended"]) == (0, 1)
    db.session.refresh(subscription)
    assert (subscription.state, subscription.end_reason) == (SubscriptionState.ended, EndReason.worker)
    ended = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "monthly_ended"))
    assert "/donor/campaigns/gn-lingkaran/give" in ended.body and "/donor/campaigns/gn-lingkaran/workers" in ended.body
    assert months_of(worker) == [month_index(dt.date(2018, 3, 1))]  # the month paid stays funded
    assert run_tick(dt.date(2018, 5, 15))["monthly_sponsorships_ended"] == 0


def test_three_unanswered_reminders_end_the_sponsorship_with_a_polite_mail(campaign, make, books_stay_sound):
    worker = make.worker(campaign)
    subscription = start(campaign, worker, dt.date(2018, 3, 15), email="en@example.com", locale="en")
    for day in (dt.date(2018, 4, 15), dt.date(2018, 5, 15), dt.date(2018, 6, 15)):
        assert run_tick(day)["monthly_reminders_sent"] == 1
    reminders = reminders_to("en@example.com")
    assert len(reminders) == 3
    assert "third reminder" in reminders[-1].body and "third reminder" not in reminders[0].body
    db.session.refresh(subscription)
    assert subscription.state == SubscriptionState.active and subscription.unanswered_reminders == 3

    summary = run_tick(dt.date(2018, 7, 15))
    assert (summary["monthly_reminders_sent"], summary["monthly_sponsorships_ended"]) == (0, 1)
    db.session.refresh(subscription)
    assert (subscription.state, subscription.end_reason) == (SubscriptionState.ended, EndReason.unanswered)
    assert subscription.cancelled_at == at(dt.date(2018, 7, 15), 1)
    (ended,) = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "monthly_ended")).all()
    assert ended.to_email == "en@example.com" and "Thank you" in ended.subject
    assert "three monthly reminders" in ended.body and "stay funded" in ended.body
    assert monthly_offer(subscription, today=dt.date(2018, 7, 15)).state == "ended"
    for day in (dt.date(2018, 7, 16), dt.date(2018, 8, 15)):
        summary = run_tick(day)
        assert (summary["monthly_reminders_sent"], summary["monthly_sponsorships_ended"]) == (0, 0)


def test_a_payment_resets_the_unanswered_count(campaign, make, books_stay_sound):
    worker = make.worker(campaign)
    subscription = start(campaign, worker, dt.date(2018, 3, 15))
    run_tick(dt.date(2018, 4, 15))
    run_tick(dt.date(2018, 5, 15))  # April went unpaid: May asks for April first (arrears are paid first)
    may = dt.date(2018, 5, 20)
    assert monthly_offer(subscription, today=may).month == month_index(dt.date(2018, 4, 1))
    payment, _url = pay_sponsorship_month(subscription, URLS, method="gopay", today=may, now=at(may))
    pay(payment, may)
    db.session.commit()
    db.session.refresh(subscription)
    assert subscription.unanswered_reminders == 0
    assert months_of(worker) == [month_index(dt.date(2018, 3, 1)), month_index(dt.date(2018, 4, 1))]
    # May is still due: the same link pays it next.
    assert monthly_offer(subscription, today=may).month == month_index(may)


def test_a_cancelled_sponsorship_gets_no_reminders(campaign, make, books_stay_sound):
    worker = make.worker(campaign)
    subscription = start(campaign, worker, dt.date(2018, 3, 15))
    cancel_subscription(subscription, now=at(dt.date(2018, 3, 20)))
    db.session.commit()
    assert (subscription.state, subscription.end_reason) == (SubscriptionState.cancelled, EndReason.donor)
    assert next_reminder_on(subscription, today=dt.date(2018, 3, 20)) is None
    for day in (dt.date(2018, 4, 15), dt.date(2018, 5, 15), dt.date(2018, 6, 15), dt.date(2018, 7, 15)):
        summary = run_tick(day)
        assert (summary["monthly_reminders_sent"], summary["monthly_sponsorships_ended"]) == (0, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind.in_(["monthly_reminder", "monthly_ended"]))) == 0


@pytest.mark.parametrize(("started", "reminders"), [
    # Started on the 31st: the last day of each shorter month, the 31st again when there is one.
    (dt.date(2018, 1, 31), [dt.date(2018, 2, 28), dt.date(2018, 3, 31), dt.date(2018, 4, 30)]),
    # Started on the last day of February: the 28th of each month after, not the month's end.
    (dt.date(2018, 2, 28), [dt.date(2018, 3, 28), dt.date(2018, 4, 28), dt.date(2018, 5, 28)]),
    # A leap year's 29 February, and the year's turn.
    (dt.date(2019, 12, 31), [dt.date(2020, 1, 31), dt.date(2020, 2, 29), dt.date(2020, 3, 31)]),
])
def test_reminders_come_on_the_sponsorships_day_across_month_boundaries(campaign, make, started, reminders):
    worker = make.worker(campaign)
    subscription = start(campaign, worker, started)
    assert months_of(worker) == [month_index(started)]
    assert next_reminder_on(subscription, today=started) == reminders[0]
    for index, due in enumerate(reminders):
        assert run_tick(due - dt.timedelta(days=1))["monthly_reminders_sent"] == 0, due
        assert run_tick(due)["monthly_reminders_sent"] == 1, due
        assert monthly_offer(subscription, today=due).month == month_index(due)
        # Paid from the link, it funds that month; the next reminder comes on the day after it.
        payment, _url = pay_sponsorship_month(subscription, URLS, method="qris", today=due, now=at(due))
        pay(payment, due)
        db.session.commit()
        assert months_of(worker)[-1] == month_index(due)
        db.session.refresh(subscription)
        if index + 1 < len(reminders):
            assert next_reminder_on(subscription, today=due) == reminders[index + 1]
    assert months_of(worker) == [month_index(started) + n for n in range(len(reminders) + 1)]


def test_the_account_page_shows_the_next_reminder_and_stops_it(app, client, campaign, make):
    from tests.manage_helpers import login

    user = create_user("siti@example.com", "kata-sandi-panjang-1", name="Siti")
    worker = make.worker(campaign)
    payment, _url = sponsor_worker(campaign, worker, "monthly", Designation.infak,
                                   Donor(name="Siti", email=user.email, user_id=user.id), URLS,
                                   method="qris", today=dt.date(2018, 3, 15), now=at(dt.date(2018, 3, 15)))
    pay(payment, dt.date(2018, 3, 15))
    db.session.commit()
    subscription = db.session.scalar(sa.select(Subscription))
    login(client, user)
    page = client.get("/donor/").get_data(as_text=True)
    assert worker.display_name in page and f"/donor/monthly/{sponsorship_token(subscription)}" in page
    assert "pengingat" in page  # its next reminder, said in Indonesian
    response = client.post(f"/donor/subscriptions/{subscription.id}/cancel")
    assert response.status_code == 302
    db.session.refresh(subscription)
    assert (subscription.state, subscription.end_reason) == (SubscriptionState.cancelled, EndReason.donor)


def test_the_link_opens_without_login_and_can_stop_the_sponsorship(client, campaign, make):
    worker = make.worker(campaign)
    subscription = start(campaign, worker, dt.date(2018, 3, 15))
    token = sponsorship_token(subscription)
    assert client.get("/donor/monthly/not-a-token").status_code == 404
    page = client.get(f"/donor/monthly/{token}").get_data(as_text=True)
    assert worker.display_name in page and 'name="method"' in page
    response = client.post(f"/donor/monthly/{token}/stop")
    assert response.status_code == 302
    db.session.refresh(subscription)
    assert subscription.state == SubscriptionState.cancelled
    page = client.get(f"/donor/monthly/{token}").get_data(as_text=True)
    assert 'name="method"' not in page and "/donor/campaigns/gn-lingkaran/give" in page


def test_ticks_racing_on_the_same_day_send_one_reminder(app, campaign, make):
    """On PostgreSQL the threads race for real; the unique (sponsorship, month) row lets one of them send."""
    from tests.services.test_concurrency import race

    worker = make.worker(campaign)
    subscription = start(campaign, worker, dt.date(2018, 3, 15))
    day = dt.date(2018, 4, 15)
    results = race(app, lambda i: queue_monthly_reminders(today=day, now=at(day)), count=8)
    assert sorted(results) == [(0, 0)] * 7 + [(1, 0)], results
    assert len(reminders_to("siti@example.com")) == 1
    db.session.refresh(subscription)
    assert subscription.unanswered_reminders == 1


def test_a_sponsorship_whose_first_payment_failed_is_not_shown_and_never_reminds(campaign, make):
    from donate.services.donors.gifts import subscriptions_of
    from donate.services.money.donations import fail_payment

    user = create_user("siti@example.com", "kata-sandi-panjang-1", name="Siti")
    day = dt.date(2018, 3, 15)
    payment, _url = sponsor_worker(campaign, make.worker(campaign), "monthly", Designation.infak,
                                   Donor(name="Siti", email=user.email, user_id=user.id), URLS, method="qris",
                                   today=day, now=at(day))
    assert [m.subscription.state for m in subscriptions_of(user, today=day)] == [SubscriptionState.pending]
    fail_payment(payment, PaymentState.expired)
    db.session.commit()
    assert subscriptions_of(user, today=day) == []
    assert run_tick(dt.date(2018, 4, 15))["monthly_reminders_sent"] == 0
