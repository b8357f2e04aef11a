"""Remind sponsors: when a worker they paid for is about to lose cover, and each month of a sponsorship by reminder."""

import datetime as dt

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from ...extensions import db
from ...models import (
    RECEIVED_STATES,
    Donation,
    DonationKind,
    EndReason,
    MonthlyReminder,
    Payment,
    RenewalReminder,
    Subscription,
    SubscriptionState,
    Worker,
)
from ...formatting import month_name
from ...months import current_month, month_end
from ..coverage.waitlist import last_live_month, last_live_months
from ..locks import claim_once
from ..mail import external_url, mail_locale, send_mail
from ..money.subscriptions import end_subscription, monthly_offer, sponsorship_token

#: Reminders in a row without a payment after which a sponsorship by reminder ends.
UNANSWERED_LIMIT = 3


def queue_renewal_reminders(*, today: dt.date, now: dt.datetime) -> int:
    """Email each sponsor whose worker's cover ends this month, once per worker and month; return how many."""
    month = current_month(today)
    last = last_live_months()
    # A worker sponsored every month is looked after by that sponsorship (and its own reminders).
    monthly = sa.exists().where(Subscription.worker_id == Donation.worker_id,
                                sa.or_(Subscription.donation_id == Donation.id,
                                       Subscription.id == Donation.subscription_id),
                                Subscription.state == SubscriptionState.active)
    due = db.session.execute(
        sa.select(Donation.donor_email, Worker, Donation.locale).distinct()
        .join(Payment, Payment.donation_id == Donation.id)
        .join(Worker, Worker.id == Donation.worker_id)
        .join(last, last.c.worker_id == Donation.worker_id)
        .where(Donation.kind == DonationKind.worker, Donation.donor_email.is_not(None),
               Payment.state.in_(RECEIVED_STATES), last.c.last_month == month, ~monthly)
    ).all()
    sent = 0
    for email, worker, locale in due:
        if not claim_once(RenewalReminder, worker_id=worker.id, donor_email=email, month=month,
                          sent_at=now):
            continue
        with force_locale(mail_locale(locale)):
            send_mail(email, _("%(worker)s is protected only until the end of this month", worker=worker.display_name),
                      "renewal_reminder", worker=worker, month=month,
                      link=external_url("donor.home"))
        sent += 1
    return sent


def reminder_date(subscription: Subscription, month: int) -> dt.date:
    """Return the day a sponsorship's reminder is due in ``month``: its day, or the month's last day if shorter."""
    end = month_end(month)
    return end.replace(day=min(subscription.reminder_day or 1, end.day))


def next_reminder_on(subscription: Subscription, *, today: dt.date) -> dt.date | None:
    """Return when the sponsorship's next reminder is due (``None``: it sends none, or not yet started).

    Months in which the worker is covered already (by other gifts) need no
    reminder, so the next one comes in the first month after that cover.
    """
    if not subscription.by_reminder or subscription.state != SubscriptionState.active:
        return None
    month = current_month(today)
    due = month if (subscription.reminded_month or month) < month else month + 1
    last = last_live_month(subscription.worker_id)
    if last is not None and last >= due:
        due = last + 1
    return max(reminder_date(subscription, due), today)


def queue_monthly_reminders(*, today: dt.date, now: dt.datetime) -> tuple[int, int]:
    """Send each sponsorship by reminder due today its month's reminder, once; end the unanswered ones.

    A reminder goes out on the sponsorship's day of the month, at most once
    per sponsorship and month (the ``monthly_reminders`` unique constraint,
    whatever the number of ``tick`` runs); after three unanswered ones the
    sponsorship ends with a kind email, and so it does when its worker can
    no longer be funded. Return (reminders sent, sponsorships ended).
    """
    month = current_month(today)
    day_due = Subscription.reminder_day <= today.day
    if today == month_end(month):
        day_due = sa.true()  # the 29th, 30th and 31st come on the last day of a shorter month
    due = db.session.scalars(
        sa.select(Subscription).where(Subscription.by_reminder.is_(True),
                                      Subscription.state == SubscriptionState.active,
                                      Subscription.reminded_month < month, day_due)
        .order_by(Subscription.id)
    ).all()
    sent = ended = 0
    for subscription in due:
        outcome = _remind(subscription, today=today, now=now)
        sent += outcome == "sent"
        ended += outcome == "ended"
    return sent, ended


def _remind(subscription: Subscription, *, today: dt.date, now: dt.datetime) -> str:
    """Look after one sponsorship's month: remind, end it, or let it be (the worker is covered); say which."""
    month = current_month(today)
    offer = monthly_offer(subscription, today=today)
    if offer.state == "unavailable":
        return _end(subscription, EndReason.worker, now=now)
    if offer.state != "due":
        # Covered this month by other gifts: nothing to ask, and nothing counted against the donor.
        subscription.reminded_month = month
        db.session.flush()
        return "covered"
    if subscription.unanswered_reminders >= UNANSWERED_LIMIT:
        return _end(subscription, EndReason.unanswered, now=now)
    if not claim_once(MonthlyReminder, subscription_id=subscription.id, month=month, for_month=offer.month,
                      sent_at=now):
        return "already sent"
    db.session.execute(sa.update(Subscription).where(Subscription.id == subscription.id)
                       .values(unanswered_reminders=Subscription.unanswered_reminders + 1, reminded_month=month)
                       .execution_options(synchronize_session=False))
    db.session.refresh(subscription)
    first = subscription.donation
    if first.donor_email:
        with force_locale(mail_locale(first.locale)):
            send_mail(first.donor_email, _("Time to protect %(worker)s for %(month)s",
                                           worker=subscription.worker.display_name, month=month_name(offer.month)),
                      "monthly_reminder", worker=subscription.worker, month=offer.month, amount=offer.amount_idr,
                      last=subscription.unanswered_reminders >= UNANSWERED_LIMIT,
                      link=external_url("donor.monthly", token=sponsorship_token(subscription)))
    return "sent"


def _end(subscription: Subscription, reason: EndReason, *, now: dt.datetime) -> str:
    """End a sponsorship by reminder and tell the donor kindly, once."""
    if not end_subscription(subscription, reason=reason, now=now):
        return "already ended"
    first = subscription.donation
    if first.donor_email:
        campaign = subscription.worker.campaign
        with force_locale(mail_locale(first.locale)):
            send_mail(first.donor_email, _("Thank you for protecting %(worker)s",
                                           worker=subscription.worker.display_name),
                      "monthly_ended", subscription=subscription, worker=subscription.worker,
                      reason=reason.value, last_month=last_live_month(subscription.worker_id),
                      pool_link=external_url("donor.give", slug=campaign.slug),
                      workers_link=external_url("donor.workers", slug=campaign.slug))
    return "ended"


