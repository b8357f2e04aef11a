"""The domain model, one module per domain (grouped as ``services/`` is)."""

from .access import AuditEvent, Role, User, campaign_staff
from .campaigns import Campaign, CampaignRegion, CampaignStatus, Designation
from .coverage import (
    LIVE_STATES,
    Allocation,
    AllocationKind,
    CoverageMonth,
    CoverageState,
    Hold,
    PremiumRate,
    StatusLink,
)
from .donors import PrivacyRequest, PrivacyRequestKind, RenewalReminder
from .ledger import Account, Journal, Posting
from .mail import OutboxMessage
from .money import (
    PAYMENT_TRANSITIONS,
    RECEIVED_STATES,
    Donation,
    DonationKind,
    Payment,
    PaymentState,
    ProcessedEvent,
    Receipt,
    Subscription,
    SubscriptionState,
)
from .remittance import Acknowledgement, BatchState, RemittanceBatch
from .workers import RejectedRowsFile, Sex, Verification, Worker

__all__ = [
    "Account",
    "Acknowledgement",
    "Allocation",
    "AllocationKind",
    "AuditEvent",
    "BatchState",
    "Campaign",
    "campaign_staff",
    "CampaignRegion",
    "CampaignStatus",
    "CoverageMonth",
    "CoverageState",
    "Designation",
    "Donation",
    "DonationKind",
    "Hold",
    "Journal",
    "LIVE_STATES",
    "OutboxMessage",
    "Payment",
    "PAYMENT_TRANSITIONS",
    "PaymentState",
    "Posting",
    "PremiumRate",
    "PrivacyRequest",
    "PrivacyRequestKind",
    "ProcessedEvent",
    "Receipt",
    "RECEIVED_STATES",
    "RejectedRowsFile",
    "RemittanceBatch",
    "RenewalReminder",
    "Role",
    "Sex",
    "StatusLink",
    "Subscription",
    "SubscriptionState",
    "User",
    "Verification",
    "Worker",
]
