"""Bank transfers with a unique code: reserve the exact amount, match statement credits, confirm.

The donor transfers gift + a code of 1–999 rupiah that no other open
transfer holds, so the credit on the bank statement says whose it is. The
code is part of the gift: it goes to the pool with the rest. A manager
uploads the statement; each credit is matched by exact amount and date
window, and a matched one is confirmed through the same settlement as every
provider's payment. A line is stored once (by its fingerprint), so uploading
the same statement again, or an overlapping one, matches nothing twice.
"""

import datetime as dt
import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext

from ...extensions import db
from ...models import BankTransfer, LineState, Payment, PaymentState, StatementLine, User
from ..access import audit
from ..errors import Rupiah
from ..locks import claim_once
from ...payments.base import Verdict
from .donations import DonationRefused
from .settlement import settle_payment
from .statements import parse_statement

#: Codes a transfer may carry: 1 to 999 rupiah.
CODES = range(1, 1000)
#: Bank statements are dated in Jakarta time.
WIB = dt.timedelta(hours=7)
#: A credit booked up to this many days after the transfer expired still matches (evening and weekend bookings).
LATE_DAYS = 1
#: Payments a statement credit may still confirm (money that arrives is never refused).
UNPAID = (PaymentState.created, PaymentState.pending, PaymentState.expired, PaymentState.failed)


class TransfersFull(DonationRefused):
    """All 999 codes are held by open transfers."""


def open_transfer(payment: Payment, *, minutes: int, now: dt.datetime) -> BankTransfer:
    """Give a bank-transfer payment a code no open transfer holds, and raise its amount by that code."""
    release_expired_codes(now=now)  # tick expires the payments themselves
    gift = payment.amount_idr
    for _attempt in range(5):
        taken = db.session.execute(sa.select(BankTransfer.open_code, BankTransfer.amount_due_idr)
                                   .where(BankTransfer.open_code.is_not(None))).all()
        codes = {code for code, _ in taken}
        amounts = {amount for _, amount in taken}
        # Another open transfer's exact amount would make the statement line ambiguous; skip those codes too.
        free = [code for code in CODES if code not in codes and gift + code not in amounts]
        if not free:
            raise TransfersFull(lazy_gettext("too many bank transfers are waiting right now; choose another way to pay"))
        code = secrets.choice(free)
        transfer = BankTransfer(payment_id=payment.id, code=code, open_code=code, amount_due_idr=gift + code,
                                created_at=now, expires_at=now + dt.timedelta(minutes=minutes))
        try:
            with db.session.begin_nested():
                db.session.add(transfer)
        except sa.exc.IntegrityError:
            continue  # a concurrent donor took the same code: draw again
        payment.amount_idr = gift + code
        payment.expires_at = transfer.expires_at
        db.session.flush()
        return transfer
    raise TransfersFull(lazy_gettext("bank transfers are busy right now; try again in a moment"))


def release_expired_codes(*, now: dt.datetime) -> int:
    """Free the codes of transfers past their time; return how many."""
    return db.session.execute(
        sa.update(BankTransfer).where(BankTransfer.open_code.is_not(None), BankTransfer.expires_at <= now)
        .values(open_code=None).execution_options(synchronize_session=False)).rowcount


# -- statements ----------------------------------------------------------------


@dataclass
class UploadReport:
    """What an upload did, for the manager's page and the audit log."""

    credits: int = 0
    #: Lines seen in an earlier upload, left as they were.
    repeated: int = 0
    matched: list[StatementLine] = field(default_factory=list)
    unmatched: list[StatementLine] = field(default_factory=list)
    ambiguous: list[StatementLine] = field(default_factory=list)


def _fingerprint(bank: str, credit, rank: int) -> str:
    key = f"{bank}|{credit.booked_on.isoformat()}|{credit.amount_idr}|{' '.join(credit.description.split())}|{rank}"
    return hashlib.sha256(key.encode()).hexdigest()


def candidates(amount_idr: int, booked_on: dt.date) -> list[Payment]:
    """Return the unpaid bank transfers of exactly this amount whose window covers the booking date."""
    transfers = db.session.scalars(
        sa.select(BankTransfer).join(Payment, Payment.id == BankTransfer.payment_id)
        .where(BankTransfer.amount_due_idr == amount_idr, Payment.state.in_(UNPAID),
               ~sa.exists().where(StatementLine.payment_id == Payment.id))
        .order_by(BankTransfer.id)
        # The manager's page names each candidate's donor: load payment and gift with the transfer.
        .options(sa.orm.contains_eager(BankTransfer.payment).joinedload(Payment.donation))
    ).all()
    return [t.payment for t in transfers
            if (t.created_at + WIB).date() <= booked_on <= (t.expires_at + WIB).date() + dt.timedelta(days=LATE_DAYS)]


def upload_statement(data: bytes | str, bank: str, *, user: User | None,
                     today: dt.date, now: dt.datetime) -> UploadReport:
    """Store a statement's new credits, confirm the ones that match one transfer, list the rest; audited.

    Raises ``StatementUnreadable`` (naming the line) before storing anything if a line cannot be read.
    """
    credits = parse_statement(data, bank)
    report = UploadReport(credits=len(credits))
    ranks: Counter = Counter()
    for credit in sorted(credits, key=lambda c: (c.booked_on, c.line)):
        key = (credit.booked_on, credit.amount_idr, " ".join(credit.description.split()))
        fingerprint = _fingerprint(bank, credit, ranks[key])
        ranks[key] += 1
        if not claim_once(StatementLine, fingerprint=fingerprint, bank=bank, booked_on=credit.booked_on,
                          description=credit.description, amount_idr=credit.amount_idr,
                          state=LineState.unmatched, uploaded_by_id=user.id if user else None,
                          uploaded_at=now):
            report.repeated += 1
            continue
        line = db.session.scalar(sa.select(StatementLine).where(StatementLine.fingerprint == fingerprint))
        found = candidates(credit.amount_idr, credit.booked_on)
        if len(found) == 1:
            _match(line, found[0], today=today, now=now)
            report.matched.append(line)
        elif found:
            line.state = LineState.ambiguous
            report.ambiguous.append(line)
        else:
            report.unmatched.append(line)
    db.session.flush()
    audit.record_action("bank_statement.upload", user=user, subject=f"{bank} statement",
                        params={"bank": bank, "credits": report.credits, "matched": len(report.matched),
                                "unmatched": len(report.unmatched), "ambiguous": len(report.ambiguous),
                                "repeated": report.repeated})
    return report


def _match(line: StatementLine, payment: Payment, *, today: dt.date, now: dt.datetime) -> None:
    """Tie the line to the payment and confirm it; the unique ``payment_id`` refuses a second line."""
    line.payment_id = payment.id
    line.state = LineState.matched
    db.session.flush()
    db.session.execute(sa.update(BankTransfer).where(BankTransfer.payment_id == payment.id)
                       .values(open_code=None).execution_options(synchronize_session=False))
    _settle(payment, line, today=today, now=now)


def _settle(payment: Payment, line: StatementLine, *, today: dt.date, now: dt.datetime) -> str:
    """Book the transfer as paid for the line's amount, through the settlement every provider's payment goes through."""
    verdict = Verdict(state=PaymentState.paid, amount_idr=line.amount_idr, currency="idr",
                      payment_ref=payment.provider_ref, provider_amount=f"{line.amount_idr} idr",
                      money_ref=f"line-{line.id}")
    return settle_payment(payment, verdict, event_id=f"statement-line-{line.id}", event_type="statement line",
                          today=today, now=now)


def assign_line(line: StatementLine, payment_id: int, *, user: User, today: dt.date, now: dt.datetime) -> Payment:
    """Let a manager say which transfer an unmatched or ambiguous credit pays; audited. Return the payment."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise DonationRefused(lazy_gettext("no payment has the number %(id)s"), id=payment_id)
    if line.state == LineState.matched:
        raise DonationRefused(lazy_gettext("this statement line already confirmed a payment"))
    if payment.provider != "bank_transfer" or payment.state not in UNPAID:
        raise DonationRefused(lazy_gettext("choose a bank transfer that is not paid yet"))
    if db.session.scalar(sa.select(StatementLine.id).where(StatementLine.payment_id == payment.id)):
        raise DonationRefused(lazy_gettext("another statement line already paid this transfer"))
    if line.amount_idr != payment.amount_idr:
        raise DonationRefused(lazy_gettext("the line is %(line)s but the transfer asked for %(asked)s"),
                              line=Rupiah(line.amount_idr), asked=Rupiah(payment.amount_idr))
    line.assigned_by_id = user.id
    _match(line, payment, today=today, now=now)
    audit.record_action("bank_statement.assign", user=user, campaign=payment.donation.campaign,
                        subject=f"payment {payment.id}",
                        params={"payment": payment.id, "line": line.id, "booked_on": line.booked_on.isoformat(),
                                "amount_idr": line.amount_idr, "description": line.description[:200]})
    return payment


def open_lines() -> list[StatementLine]:
    """Return the credits still waiting for a manager (unmatched or ambiguous), oldest first."""
    return db.session.scalars(sa.select(StatementLine)
                              .where(StatementLine.state.in_([LineState.unmatched, LineState.ambiguous]))
                              .order_by(StatementLine.booked_on, StatementLine.id)).all()


def waiting_transfers() -> list[BankTransfer]:
    """Return bank transfers not yet paid by any statement line, newest first."""
    return db.session.scalars(
        sa.select(BankTransfer).join(Payment, Payment.id == BankTransfer.payment_id)
        .where(Payment.state.in_(UNPAID), ~sa.exists().where(StatementLine.payment_id == Payment.id))
        .order_by(BankTransfer.id.desc()).limit(500)).all()
