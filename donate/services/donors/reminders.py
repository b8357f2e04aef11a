"""Remind sponsors when a worker they paid for is about to lose cover."""

import datetime as dt

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from ...extensions import db
from ...models import (
    RECEIVED_STATES,
    Donation,
    DonationKind,
    Payment,
    RenewalReminder,
    Subscription,
    SubscriptionState,
    Worker,
)
from ...months import current_month
from ..coverage.waitlist import last_live_months
from ..locks import claim_once
from ..mail import external_url, mail_locale, send_mail


def queue_renewal_reminders(*, today: dt.date, now: dt.datetime) -> int:
    """Email each sponsor whose worker's cover ends this month, once per worker and month; return how many."""
    month = current_month(today)
    last = last_live_months()
    monthly = sa.exists().where(Subscription.worker_id == Donation.worker_id,
                                Subscription.donation_id == Donation.id,
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
