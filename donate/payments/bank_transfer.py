"""Plain bank transfer to the foundation's account, told apart by a unique code in the amount.

No provider is involved: the donor transfers gift + code (1–999 rupiah) and
the credit is confirmed when a manager uploads the bank statement
(``services.money.transfers``). The provider's own record is therefore the
statement: a payment is paid when a statement line matched it, for that
line's amount.
"""

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa

from ..extensions import db
from ..models import BankTransfer, Payment, PaymentState, Refund, StatementLine
from ..models.base import utcnow
from .base import InvalidWebhook, PaymentProvider, ProviderError, ProviderEvent, ProviderRecord, RefundRecord, Verdict


class BankTransferProvider(PaymentProvider):
    name = "bank_transfer"
    methods = ("bank_transfer",)

    def __init__(self, app):
        super().__init__(app)
        if not app.config.get("BANK_ACCOUNT_NUMBER"):
            raise RuntimeError("bank transfer needs DONATE_BANK_ACCOUNT_NUMBER (and BANK_NAME, BANK_ACCOUNT_NAME)")

    def payable_minutes(self, method: str) -> int:
        """A transfer's unique amount stays reserved for ``BANK_TRANSFER_HOURS``."""
        return int(self.app.config["BANK_TRANSFER_HOURS"]) * 60

    def create_checkout(self, payment: Payment, *, success_url: str, cancel_url: str) -> str:
        """Nothing to open elsewhere: the donor goes straight to the page with the account and the exact amount."""
        payment.provider_ref = f"TRF-{payment.id}"
        return success_url

    def parse_webhook(self, body: bytes, headers) -> ProviderEvent:
        """Bank transfers send no webhooks; statements are uploaded by a manager."""
        raise InvalidWebhook("bank transfers are confirmed from bank statements, not webhooks")

    @staticmethod
    def _line(payment: Payment) -> StatementLine | None:
        return db.session.scalar(sa.select(StatementLine).where(StatementLine.payment_id == payment.id))

    def fetch_verdict(self, payment: Payment) -> Verdict:
        """Paid for the amount of the statement line that matched it; else waiting, or expired past its time."""
        line = self._line(payment)
        if line is not None:
            return Verdict(state=PaymentState.paid, amount_idr=line.amount_idr, currency="idr",
                           payment_ref=payment.provider_ref, provider_amount=f"{line.amount_idr} idr",
                           money_ref=f"line-{line.id}")
        expired = payment.expires_at is not None and payment.expires_at <= utcnow()
        return Verdict(state=PaymentState.expired if expired else PaymentState.pending,
                       payment_ref=payment.provider_ref)

    def can_refund(self, payment: Payment) -> bool:
        """The money goes back by a transfer a manager makes by hand."""
        return False

    def refund(self, refund: Refund) -> RefundRecord:
        """Refuse: a manager transfers the money back and records why."""
        raise ProviderError("a bank transfer is refunded by a manual transfer back")

    def fetch_record(self, payment: Payment) -> ProviderRecord | None:
        """Return what the bank statement says of the transfer (nothing if no line matched it)."""
        line = self._line(payment)
        if line is None:
            return None
        return ProviderRecord(payment_ref=payment.provider_ref, state=PaymentState.paid, received_idr=line.amount_idr,
                              created_at=line.uploaded_at, payment_id=payment.id,
                              extra={"line": line.id, "booked_on": line.booked_on.isoformat()})

    def list_records(self, *, since: dt.datetime | None = None) -> Iterator[ProviderRecord]:
        """Yield a record for every statement line that confirmed a transfer (uploaded since ``since``)."""
        query = (sa.select(StatementLine, Payment.provider_ref).join(Payment, Payment.id == StatementLine.payment_id)
                 .order_by(StatementLine.id))
        if since is not None:
            query = query.where(StatementLine.uploaded_at >= since)
        for line, ref in db.session.execute(query):
            yield ProviderRecord(payment_ref=ref, state=PaymentState.paid, received_idr=line.amount_idr,
                                 created_at=line.uploaded_at, payment_id=line.payment_id,
                                 extra={"line": line.id, "booked_on": line.booked_on.isoformat()})

    def pay_details(self, payment: Payment) -> dict:
        """Return the account to pay into, the exact amount with its code, and until when."""
        transfer = db.session.scalar(sa.select(BankTransfer).where(BankTransfer.payment_id == payment.id))
        if transfer is None:
            return {}
        config = self.app.config
        return {"bank": config.get("BANK_NAME") or "", "account_number": config["BANK_ACCOUNT_NUMBER"],
                "account_name": config.get("BANK_ACCOUNT_NAME") or "", "amount_idr": transfer.amount_due_idr,
                "code": transfer.code, "expires_at": transfer.expires_at}
