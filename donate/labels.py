"""Words for the states and kinds pages and messages show (the enums' values are English identifiers)."""

from flask_babel import lazy_gettext

from .models import (
    AllocationKind,
    BatchState,
    CampaignStatus,
    CoverageState,
    Designation,
    PaymentState,
    Role,
    Sex,
    Verification,
)

#: Each enum member's name in words.
LABELS = {
    CampaignStatus.draft: lazy_gettext("draft"), CampaignStatus.open: lazy_gettext("open"),
    CampaignStatus.paused: lazy_gettext("paused"), CampaignStatus.closed: lazy_gettext("closed"),
    Verification.pending: lazy_gettext("pending verification"), Verification.verified: lazy_gettext("verified"),
    Verification.rejected: lazy_gettext("rejected"),
    BatchState.created: lazy_gettext("created, not yet transferred"),
    BatchState.sent: lazy_gettext("transferred, waiting for BPJS"), BatchState.reconciled: lazy_gettext("reconciled"),
    BatchState.cancelled: lazy_gettext("cancelled"),
    CoverageState.funded: lazy_gettext("funded"), CoverageState.remitted: lazy_gettext("sent to BPJS"),
    CoverageState.accepted: lazy_gettext("accepted by BPJS"), CoverageState.rejected: lazy_gettext("rejected by BPJS"),
    Designation.zakat: lazy_gettext("zakat"), Designation.infak: lazy_gettext("infak/sedekah"),
    Designation.csr: lazy_gettext("CSR and general"),
    PaymentState.created: lazy_gettext("created"), PaymentState.pending: lazy_gettext("pending"),
    PaymentState.failed: lazy_gettext("failed"), PaymentState.expired: lazy_gettext("expired"),
    PaymentState.paid: lazy_gettext("paid"), PaymentState.refunded: lazy_gettext("refunded"),
    PaymentState.disputed: lazy_gettext("disputed"),
    AllocationKind.renewal: lazy_gettext("renewal"), AllocationKind.new: lazy_gettext("new workers"),
    AllocationKind.sponsorship: lazy_gettext("sponsorship"),
    Role.donor: lazy_gettext("donor"), Role.verifier: lazy_gettext("verifier"), Role.manager: lazy_gettext("manager"),
    Role.admin: lazy_gettext("admin"),
    Sex.male: lazy_gettext("male"), Sex.female: lazy_gettext("female"),
}


def label(member) -> str:
    """Return an enum member in words, in the current locale (its value when it has no words)."""
    return str(LABELS.get(member, getattr(member, "value", member)))
