"""Periodic upkeep run by ``flask tick``."""

import datetime as dt

import sqlalchemy as sa

from . import clock
from .extensions import db
from .models import Payment, PaymentState
from .months import current_month
from .services.coverage.holds import expire_holds
from .services.coverage.mandiri import queue_mandiri_notices
from .services.coverage.waitlist import ARREARS_MONTHS, last_live_months
from .services.donors.reminders import queue_monthly_reminders, queue_renewal_reminders
from .services.mail import retry_unsent
from .services.money.donations import fail_payment

#: An unpaid checkout older than this is given up (Stripe's sessions last 24 hours).
PAYMENT_TIMEOUT = dt.timedelta(hours=24)


def tick(*, now: dt.datetime | None = None, today: dt.date | None = None) -> dict[str, int]:
    """Expire holds and stale payments, remind sponsors (cover ending, a month to pay), tell workers whose cover
    ended how to go on alone, resend failed mail, count lapses.

    The edge of the periodic jobs: reads the clock unless a caller (a test) gives the moment.
    """
    now = now or clock.now()
    today = today or clock.today()
    month = current_month(today)
    holds = expire_holds(now=now)
    stale = db.session.scalars(
        sa.select(Payment).where(Payment.state.in_([PaymentState.created, PaymentState.pending]),
                                 Payment.provider != "manual",
                                 Payment.created_at < now - PAYMENT_TIMEOUT)
    ).all()
    expired = sum(fail_payment(payment, PaymentState.expired) for payment in stale)
    reminded, ended = queue_monthly_reminders(today=today, now=now)
    last = last_live_months()

    def count(condition) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(last).where(condition))

    return {
        "holds_expired": holds,
        "payments_expired": expired,
        "renewal_reminders_sent": queue_renewal_reminders(today=today, now=now),
        "monthly_reminders_sent": reminded,
        "monthly_sponsorships_ended": ended,
        "mandiri_notices_queued": queue_mandiri_notices(today=today, now=now),
        "failed_mail_resent": retry_unsent(now=now),
        "coverage_ending_this_month": count(last.c.last_month == month),
        "in_arrears": count(last.c.last_month.between(month - ARREARS_MONTHS, month - 1)),
        "lapsed": count(last.c.last_month < month - ARREARS_MONTHS),
    }
