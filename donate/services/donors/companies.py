"""Companies that bring their own workers: register, upload the list, follow its coverage, download a report.

A company's list goes through the one worker importer, its rows wait for
the campaign's verifiers, and the workers verified are reserved to the
company (``coverage.waitlist.eligible``). A NIK is registered once across
every list (the unique keyed hash), so the same worker is never funded by
two lists; a worker someone already registered or covers is reported on
its line, never taken over. Paying is ``money.checkout.fund_own_workers``.
"""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext
from stdnum.exceptions import ValidationError
from stdnum.id import npwp as stdnum_npwp

from ...extensions import db
from ...models import (
    LIVE_STATES,
    RECEIVED_STATES,
    Allocation,
    Campaign,
    Claim,
    Company,
    CoverageMonth,
    CoverageState,
    Donation,
    Payment,
    User,
    Verification,
    Worker,
)
from ...months import current_month, month_code
from ...regions import regency_name
from ..coverage.claims import CLAIM_PAID_IDR, claim_totals
from ..csvfiles import write_csv
from ..errors import FieldError
from ..locks import lock_campaign
from ..workers.imports import UploadResult, upload_workers
from ..workers.registry import masked_nik


class CompanyInvalid(FieldError):
    """A company's details that break a rule; the field at fault comes first."""

    fields = {"name": lazy_gettext("company name"), "npwp": lazy_gettext("NPWP"),
              "contact_name": lazy_gettext("contact person"), "contact_phone": lazy_gettext("contact phone")}


def company_of(user) -> Company | None:
    """Return the company the account speaks for, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(Company).where(Company.user_id == user.id))


def register_company(user: User, *, name: str, npwp: str, contact_name: str, contact_phone: str = "",
                     now: dt.datetime) -> Company:
    """Register the company behind a donor account; the NPWP is checked with python-stdnum."""
    name = " ".join((name or "").split())
    contact_name = " ".join((contact_name or "").split())
    if not name:
        raise CompanyInvalid("name", lazy_gettext("is required"))
    if not contact_name:
        raise CompanyInvalid("contact_name", lazy_gettext("is required"))
    try:
        number = stdnum_npwp.validate(npwp or "")
    except ValidationError:
        raise CompanyInvalid("npwp", lazy_gettext("not a valid NPWP (15 digits, or 16 for a NIK-based one)")) from None
    if company_of(user) is not None:
        raise CompanyInvalid("name", lazy_gettext("this account already speaks for a company"))
    if db.session.scalar(sa.select(Company.id).where(Company.npwp == number)):
        raise CompanyInvalid("npwp", lazy_gettext("a company with this NPWP is already registered"))
    if db.session.scalar(sa.select(Company.id).where(sa.func.lower(Company.name) == name.lower())):
        raise CompanyInvalid("name", lazy_gettext("a company with this name is already registered"))
    company = Company(user_id=user.id, name=name, npwp=number, contact_name=contact_name,
                      contact_phone=" ".join((contact_phone or "").split())[:20], created_at=now)
    db.session.add(company)
    db.session.flush()
    return company


def upload_company_workers(company: Company, campaign: Campaign, data, *, today: dt.date, now: dt.datetime,
                           skip_invalid: bool = False) -> UploadResult:
    """Import a company's worker CSV as pending rows for the campaign's verifiers, reserved to the company.

    Uploads to one campaign take its lock first, so each is checked against
    the lists before it. A list for another campaign registering the same
    NIK at the same moment loses on the unique NIK hash; the file is then
    checked again, so the uploader is told on which line the worker is
    already registered.
    """
    user = db.session.get(User, company.user_id)
    lock_campaign(campaign.id)
    for _attempt in range(3):
        try:
            with db.session.begin_nested():
                return upload_workers(campaign, data, user=user, verified=False, skip_invalid=skip_invalid,
                                      today=today, now=now, company_id=company.id)
        except sa.exc.IntegrityError:
            continue  # a concurrent upload took a NIK of this file: check the file again
    raise CompanyInvalid("name", lazy_gettext("the list could not be saved; please upload it again"))


def company_campaigns(company: Company) -> list[Campaign]:
    """Return the campaigns the company's workers are registered with."""
    return db.session.scalars(sa.select(Campaign).where(Campaign.id.in_(
        sa.select(Worker.campaign_id).where(Worker.company_id == company.id))).order_by(Campaign.id)).all()


@dataclass(frozen=True)
class CompanyCoverage:
    campaign: Campaign
    #: Workers of the list registered with the campaign.
    registered: int
    pending: int
    verified: int
    rejected: int
    #: Verified workers with no cover yet (what the next payment pays for).
    waiting: int
    #: Workers with at least one live month, and the months.
    funded: int
    worker_months: int
    #: Workers and months BPJS accepted; workers whose current month is accepted.
    accepted_workers: int
    accepted_months: int
    protected: int
    #: Workers and months BPJS refused (their money went back to the campaign's pool).
    rejected_by_bpjs: int
    claims: int
    claims_paid_idr: int
    #: What the company's own gifts paid: rupiah received, and the workers and months they bought.
    paid_idr: int = 0
    paid_workers: int = 0
    paid_months: int = 0


def company_coverage(company: Company, campaign: Campaign, *, today: dt.date) -> CompanyCoverage:
    """Return how the company's workers in ``campaign`` stand: verified, funded, accepted, protected, claims."""
    from ..coverage.waitlist import waiting_count

    mine = sa.select(Worker.id).where(Worker.company_id == company.id, Worker.campaign_id == campaign.id)
    by_state = dict(db.session.execute(
        sa.select(Worker.verification, sa.func.count()).where(Worker.id.in_(mine)).group_by(Worker.verification)).all())
    months = {state: (workers, count) for state, workers, count in db.session.execute(
        sa.select(CoverageMonth.state, sa.func.count(sa.distinct(CoverageMonth.worker_id)), sa.func.count())
        .where(CoverageMonth.worker_id.in_(mine)).group_by(CoverageMonth.state))}
    funded_workers, worker_months = db.session.execute(
        sa.select(sa.func.count(sa.distinct(CoverageMonth.worker_id)), sa.func.count())
        .where(CoverageMonth.worker_id.in_(mine), CoverageMonth.state.in_(LIVE_STATES))).one()
    protected = db.session.scalar(sa.select(sa.func.count()).select_from(CoverageMonth).where(
        CoverageMonth.worker_id.in_(mine), CoverageMonth.month == current_month(today),
        CoverageMonth.state == CoverageState.accepted))
    claims = claim_totals(campaign, worker_ids=mine)
    gifts = sa.select(Donation.id).where(Donation.company_id == company.id, Donation.campaign_id == campaign.id)
    received = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_idr - Payment.refunded_idr), 0))
                             .where(Payment.donation_id.in_(gifts), Payment.state.in_(RECEIVED_STATES)))
    paid_workers, paid_months = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Allocation.workers), 0), sa.func.coalesce(sa.func.sum(Allocation.months), 0))
        .where(Allocation.donation_id.in_(gifts))).one()
    return CompanyCoverage(
        paid_idr=int(received), paid_workers=int(paid_workers), paid_months=int(paid_months),
        campaign=campaign, registered=sum(by_state.values()), pending=by_state.get(Verification.pending, 0),
        verified=by_state.get(Verification.verified, 0), rejected=by_state.get(Verification.rejected, 0),
        waiting=waiting_count(campaign, None, today=today, company_id=company.id),
        funded=funded_workers, worker_months=worker_months,
        accepted_workers=months.get(CoverageState.accepted, (0, 0))[0],
        accepted_months=months.get(CoverageState.accepted, (0, 0))[1], protected=protected,
        rejected_by_bpjs=months.get(CoverageState.rejected, (0, 0))[0], claims=claims.claims, claims_paid_idr=claims.paid_idr)


#: Columns of the company's report on its workers.
REPORT_COLUMNS = ("nik_masked", "full_name", "occupation", "regency_code", "regency_name", "verification",
                  "first_month", "last_month", "months_funded", "months_accepted", "kpj", "state_this_month",
                  "claims", "claims_paid_idr")


def company_report_rows(company: Company, campaign: Campaign, *, today: dt.date):
    """Yield one report row per worker of the company's list (NIK masked: the company gave it, we do not echo it)."""
    month = current_month(today)
    workers = db.session.scalars(sa.select(Worker).where(
        Worker.company_id == company.id, Worker.campaign_id == campaign.id).order_by(Worker.id)).all()
    ids = [w.id for w in workers]
    spans: dict[int, tuple] = {}
    now_state: dict[int, CoverageState] = {}
    claims: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for worker_id, first, last, live, accepted in db.session.execute(
                sa.select(CoverageMonth.worker_id, sa.func.min(CoverageMonth.month), sa.func.max(CoverageMonth.month),
                          sa.func.count(), sa.func.sum(sa.case((CoverageMonth.state == CoverageState.accepted, 1),
                                                               else_=0)))
                .where(CoverageMonth.worker_id.in_(chunk), CoverageMonth.state.in_(LIVE_STATES))
                .group_by(CoverageMonth.worker_id)):
            spans[worker_id] = (first, last, live, int(accepted or 0))
        now_state.update(db.session.execute(sa.select(CoverageMonth.worker_id, CoverageMonth.state).where(
            CoverageMonth.worker_id.in_(chunk), CoverageMonth.month == month)).all())
        for worker_id, count, paid in db.session.execute(
                sa.select(Claim.worker_id, sa.func.count(), sa.func.sum(CLAIM_PAID_IDR))
                .where(Claim.worker_id.in_(chunk)).group_by(Claim.worker_id)):
            claims[worker_id] = (count, int(paid))
    for worker in workers:
        first, last, live, accepted = spans.get(worker.id, (None, None, 0, 0))
        state = now_state.get(worker.id)
        yield (masked_nik(worker), worker.full_name, worker.occupation, worker.regency_code,
               regency_name(worker.regency_code), worker.verification.value,
               month_code(first) if first is not None else "", month_code(last) if last is not None else "",
               live, accepted, worker.kpj or "", state.value if state else "",
               *claims.get(worker.id, (0, 0)))


def company_report_csv(company: Company, campaign: Campaign, *, today: dt.date) -> str:
    """Return the company's report on its workers in ``campaign`` as CSV (the one CSV writer)."""
    return write_csv(REPORT_COLUMNS, company_report_rows(company, campaign, today=today))

