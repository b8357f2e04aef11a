"""Words for the states and kinds pages and messages show (the enums' values are English identifiers)."""

from flask_babel import lazy_gettext

from .models import (
    AllocationKind,
    BatchState,
    CampaignStatus,
    ClaimKind,
    ClaimProgramme,
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
    ClaimProgramme.jkk: lazy_gettext("JKK (work accident)"), ClaimProgramme.jkm: lazy_gettext("JKM (death)"),
    ClaimKind.medical: lazy_gettext("medical care"), ClaimKind.income: lazy_gettext("income while unable to work"),
    ClaimKind.disability: lazy_gettext("disability"), ClaimKind.accident_death: lazy_gettext("death from a work accident"),
    ClaimKind.heirs: lazy_gettext("money to the heirs"),
}


def label(member) -> str:
    """Return an enum member in words, in the current locale (its value when it has no words)."""
    return str(LABELS.get(member, getattr(member, "value", member)))


#: What each kind of journal entry records, in words.
JOURNAL_KINDS = {
    "payment_received": lazy_gettext("Gift received"), "allocation": lazy_gettext("Allocated to workers"),
    "refund": lazy_gettext("Refunded"), "release": lazy_gettext("Months released for a refund"),
    "dispute": lazy_gettext("Payment disputed"), "dispute_won": lazy_gettext("Dispute won"),
    "remittance": lazy_gettext("Sent to BPJS"), "remittance_cancelled": lazy_gettext("Remittance cancelled"),
    "remittance_rejected": lazy_gettext("Rejected by BPJS, back to the pool"),
    "refund_failed": lazy_gettext("Refund failed, back to the pool"),
    "shortfall_repaid": lazy_gettext("Shortfall repaid to the pool"),
    "suspense": lazy_gettext("Held for review"),
    "suspense_returned": lazy_gettext("Held money returned to the payer"),
}
#: What each audited staff action did, in words.
AUDIT_ACTIONS = {
    "campaign.create": lazy_gettext("Campaign created"), "campaign.edit": lazy_gettext("Campaign edited"),
    "campaign.status": lazy_gettext("Campaign status changed"),
    "worker.register": lazy_gettext("Worker registered"), "worker.import": lazy_gettext("Workers imported"),
    "worker.rejected_rows": lazy_gettext("Rejected rows downloaded"),
    "worker.update": lazy_gettext("Worker updated"), "worker.verify": lazy_gettext("Worker verified"),
    "worker.reject": lazy_gettext("Worker rejected"),
    "funding.record": lazy_gettext("Funding recorded"), "allocation.run": lazy_gettext("Pool allocated"),
    "remittance.create": lazy_gettext("Remittance batch created"),
    "remittance.export": lazy_gettext("Remittance file downloaded"),
    "remittance.transfer": lazy_gettext("Transfer to BPJS recorded"),
    "remittance.acknowledge": lazy_gettext("BPJS acknowledgement imported"),
    "remittance.cancel": lazy_gettext("Remittance batch cancelled"),
    "bank_statement.upload": lazy_gettext("Bank statement uploaded"),
    "bank_statement.assign": lazy_gettext("Statement line assigned by hand"),
    "payment.refund": lazy_gettext("Gift refunded"),
    "payment.flag_resolved": lazy_gettext("Payment notice settled"), "dashboard.export": lazy_gettext("Dashboard table downloaded"),
    "user.role": lazy_gettext("Role changed"), "user.assign": lazy_gettext("Campaign assignment changed"),
    "status_link.issue": lazy_gettext("Status link issued"), "status_link.revoke": lazy_gettext("Status link revoked"),
    "claim.record": lazy_gettext("Claim paid by BPJS recorded"),
    "funder.report": lazy_gettext("Funder report downloaded"),
    "mandiri.status_import": lazy_gettext("BPJS report of workers paying alone imported"),
}
#: Where institutional or offline money came from, by the code the funding form sends.
FUNDING_SOURCES = {
    "transfer": lazy_gettext("Bank transfer"),
    "apbd": lazy_gettext("APBD (provincial or regency budget)"),
    "dbh-sawit": lazy_gettext("DBH Sawit (palm-oil revenue sharing)"),
    "csr": lazy_gettext("Company CSR"),
    "other": lazy_gettext("Other offline money"),
}
#: Bank statement layouts a manager can upload, by code.
STATEMENT_LAYOUTS = {
    "bca": "BCA (KlikBCA / myBCA)", "mandiri": "Mandiri (Livin' / MCM)", "bsi": "BSI (BSI Net / Mobile)",
    "generic": lazy_gettext("Other: date, description, amount"),
}
#: What is wrong with a payment notice held for a manager, by problem code.
FLAG_PROBLEMS = {
    "reference": lazy_gettext("not the provider object this payment was opened with"),
    "currency": lazy_gettext("not paid in rupiah"),
    "amount": lazy_gettext("another amount than asked"),
    "unknown": lazy_gettext("no checkout this site opened"),
}
#: How money reached the campaign, by payment provider.
PROVIDERS = {
    "manual": lazy_gettext("transfer recorded by staff"), "sandbox": lazy_gettext("sandbox (test payment)"),
    "stripe": "Stripe", "midtrans": "Midtrans", "bank_transfer": lazy_gettext("bank transfer with a unique code"),
}


def journal_kind(kind: str) -> str:
    """Return a kind of journal entry in words (its code when it has none)."""
    return str(JOURNAL_KINDS.get(kind, kind))


def audit_action(action: str) -> str:
    """Return an audited action in words (its code when it has none)."""
    return str(AUDIT_ACTIONS.get(action, action))


def provider_label(name: str) -> str:
    """Return a payment provider in words (its name when it has none)."""
    return str(PROVIDERS.get(name, name))


def init_app(app) -> None:
    """Let templates name states, actions and providers in the visitor's language."""
    for fn in (label, journal_kind, audit_action, provider_label):
        app.add_template_global(fn)
