"""Plain bank transfer to the foundation's account, told apart by a unique code in the amount.

No provider is involved: the donor transfers gift + code (1–999 rupiah) and
the credit is confirmed when a manager uploads the bank statement
(``services.money.transfers``). Our own records are therefore authoritative.
"""

import sqlalchemy as sa

from ..extensions import db
from ..models import BankTransfer, Payment, PaymentState
from .base import InvalidWebhook, PaymentProvider, ProviderEvent


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

    def fetch_state(self, payment: Payment) -> PaymentState:
        """Our books are the record: a transfer is paid once a statement line matched it."""
        return payment.state

    def can_refund(self, payment: Payment) -> bool:
        """The money goes back by a transfer a manager makes by hand."""
        return False

    def refund(self, payment: Payment, amount_idr: int) -> None:
        """Refuse: a manager transfers the money back and records why."""
        raise ValueError("a bank transfer is refunded by a manual transfer back")

    def pay_details(self, payment: Payment) -> dict:
        """Return the account to pay into, the exact amount with its code, and until when."""
        transfer = db.session.scalar(sa.select(BankTransfer).where(BankTransfer.payment_id == payment.id))
        if transfer is None:
            return {}
        config = self.app.config
        return {"bank": config.get("BANK_NAME") or "", "account_number": config["BANK_ACCOUNT_NUMBER"],
                "account_name": config.get("BANK_ACCOUNT_NAME") or "", "amount_idr": transfer.amount_due_idr,
                "code": transfer.code, "expires_at": transfer.expires_at}
