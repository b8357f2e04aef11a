"""The domain model, one module per domain."""

from .accounts import Role, User
from .campaigns import Campaign, CampaignRegion, CampaignStatus, Designation
from .coverage import LIVE_STATES, Allocation, AllocationKind, CoverageMonth, CoverageState
from .donations import (
    PAYMENT_TRANSITIONS,
    RECEIVED_STATES,
    Donation,
    DonationKind,
    Hold,
    Payment,
    PaymentState,
    ProcessedEvent,
)
from .ledger import Account, Journal, Posting
from .rates import PremiumRate
from .reminders import RenewalReminder
from .workers import Sex, Verification, Worker
from .audit import AuditEvent, RejectedRowsFile, campaign_staff
from .remittance import Acknowledgement, BatchState, RemittanceBatch
from .mail import OutboxMessage
from .receipts import Receipt
from .subscriptions import Subscription, SubscriptionState

__all__ = [
    "Account", "Allocation", "AllocationKind", "Campaign", "CampaignRegion", "CampaignStatus",
    "CoverageMonth", "CoverageState", "Designation", "Donation", "DonationKind", "Hold",
    "Journal", "LIVE_STATES", "PAYMENT_TRANSITIONS", "Payment", "PaymentState", "Posting",
    "PremiumRate", "RenewalReminder", "ProcessedEvent", "RECEIVED_STATES", "Role", "Sex", "User",
    "Verification", "Worker",
]
__all__ += ["OutboxMessage", "Receipt", "Subscription", "SubscriptionState"]
from .status import PrivacyRequest, PrivacyRequestKind, StatusLink  # noqa: E402

__all__ += ["PrivacyRequest", "PrivacyRequestKind", "StatusLink"]
__all__ += ["Acknowledgement", "AuditEvent", "BatchState", "RejectedRowsFile", "RemittanceBatch",
            "campaign_staff"]
