"""Post balanced journal entries, read balances and check the ledger's invariants.

Every posting also adds to its account's running total (``AccountBalance``),
under the campaign lock, so a balance is read from one row whatever the
size of the ledger; ``check_ledger`` proves each total equals its sum.
"""

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext

from ..extensions import db
from ..models import (
    LIVE_STATES,
    RECEIVED_STATES,
    Account,
    AccountBalance,
    CoverageMonth,
    CoverageState,
    Designation,
    Donation,
    FlaggedEvent,
    Journal,
    Payment,
    Posting,
)
from . import tallies
from .errors import DomainError
from .locks import campaign_locked, lock_campaign, upsert

Line = tuple[Account, Designation, int]


class UnbalancedEntry(DomainError):
    """A journal entry whose postings do not sum to zero."""


def post_entry(campaign_id: int, kind: str, lines: Iterable[Line], *, memo: str = "",
               payment_id: int | None = None, allocation_id: int | None = None) -> Journal | None:
    """Write one balanced journal entry; return ``None`` when every line is zero."""
    lines = [(account, designation, int(amount)) for account, designation, amount in lines if amount]
    if sum(amount for _, _, amount in lines) != 0:
        raise UnbalancedEntry(lazy_gettext("%(kind)s: postings sum to %(total)s"), kind=kind, total=sum(a for _, _, a in lines))
    if not lines:
        return None
    journal = Journal(campaign_id=campaign_id, kind=kind, memo=memo[:300],
                      payment_id=payment_id, allocation_id=allocation_id)
    journal.postings = [
        Posting(campaign_id=campaign_id, account=account, designation=designation, amount_idr=amount)
        for account, designation, amount in lines
    ]
    # The campaign row first, then the totals' rows: every writer takes them in this order.
    lock_campaign(campaign_id)
    db.session.add(journal)
    db.session.flush()
    _add_to_balances(campaign_id, lines)
    tallies.count_postings(journal, lines)
    for designation in {d for account, d, amount in lines if account == Account.pool and amount > 0}:
        repay_shortfall(campaign_id, designation)
    return journal


def _add_to_balances(campaign_id: int, lines: list[Line]) -> None:
    """Add an entry's lines to their accounts' running totals (an upsert per account)."""
    deltas: dict[tuple[Account, Designation], int] = defaultdict(int)
    for account, designation, amount in lines:
        deltas[(account, designation)] += amount
    campaign_locked([campaign_id])
    table = AccountBalance.__table__
    statement = upsert(table).values([
        {"campaign_id": campaign_id, "account": account, "designation": designation, "balance_idr": amount}
        for (account, designation), amount in deltas.items()
    ])
    db.session.execute(statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={"balance_idr": table.c.balance_idr + statement.excluded.balance_idr},
    ))



def repay_shortfall(campaign_id: int, designation: Designation) -> int:
    """Move money that just reached the pool to the shortfall it owes, before anything else spends it.

    A refund or chargeback of money already allocated or remitted leaves a
    shortfall (a credit balance); every entry that brings money into the
    pool calls this, so the campaign's next money of the same designation
    pays it back first. Returns the rupiah repaid.
    """
    owed = -balance(campaign_id, Account.shortfall, designation)
    if owed <= 0:
        return 0
    repaid = min(owed, balance(campaign_id, Account.pool, designation))
    if repaid > 0:
        post_entry(campaign_id, "shortfall_repaid",
                   [(Account.shortfall, designation, repaid), (Account.pool, designation, -repaid)],
                   memo="money into the pool repays the shortfall left by a refund of spent money")
    return repaid


def take_from_pool(campaign_id: int, designation: Designation, amount_idr: int, *, kind: str,
                   to: Account, payment_id: int | None = None, memo: str = "") -> int:
    """Book ``amount_idr`` leaving the pool to ``to``; what the pool lacks becomes a shortfall.

    Money the provider already returned cannot be refused, so the pool gives
    what it has and the rest is owed (``Account.shortfall``), repaid first
    from the campaign's next money. Returns the part left owed.
    """
    pool = max(balance(campaign_id, Account.pool, designation), 0)
    from_pool = min(pool, amount_idr)
    owed = amount_idr - from_pool
    post_entry(campaign_id, kind,
               [(to, designation, amount_idr), (Account.pool, designation, -from_pool),
                (Account.shortfall, designation, -owed)],
               payment_id=payment_id, memo=memo)
    return owed


def balance(campaign_id: int, account: Account, designation: Designation | None = None) -> int:
    """Return the balance of one account (all designations when ``designation`` is None)."""
    query = sa.select(sa.func.coalesce(sa.func.sum(AccountBalance.balance_idr), 0)).where(
        AccountBalance.campaign_id == campaign_id, AccountBalance.account == account
    )
    if designation is not None:
        query = query.where(AccountBalance.designation == designation)
    return int(db.session.scalar(query))


def balances(campaign_id: int) -> dict[Account, dict[Designation, int]]:
    """Return every account's balance by designation for one campaign."""
    rows = db.session.execute(
        sa.select(AccountBalance.account, AccountBalance.designation, AccountBalance.balance_idr)
        .where(AccountBalance.campaign_id == campaign_id)
    )
    result: dict[Account, dict[Designation, int]] = {
        account: {d: 0 for d in Designation} for account in Account
    }
    for account, designation, total in rows:
        result[account][designation] = int(total)
    return result


def check_ledger() -> list[str]:
    """Return every broken invariant as a sentence; an empty list means the books are sound."""
    problems: list[str] = []

    unbalanced = db.session.execute(
        sa.select(Posting.journal_id, sa.func.sum(Posting.amount_idr))
        .group_by(Posting.journal_id).having(sa.func.sum(Posting.amount_idr) != 0)
    ).all()
    for journal_id, total in unbalanced:
        problems.append(f"journal {journal_id} does not balance (sums to {total})")

    totals: dict[tuple[int, Account, Designation], int] = defaultdict(int)
    for campaign_id, account, designation, total in db.session.execute(
        sa.select(Posting.campaign_id, Posting.account, Posting.designation, sa.func.sum(Posting.amount_idr))
        .group_by(Posting.campaign_id, Posting.account, Posting.designation)
    ):
        totals[(campaign_id, account, designation)] = int(total)
    kept = {(campaign_id, account, designation): int(total) for campaign_id, account, designation, total
            in db.session.execute(sa.select(AccountBalance.campaign_id, AccountBalance.account,
                                            AccountBalance.designation, AccountBalance.balance_idr))}
    for key in sorted(set(totals) | set(kept), key=str):
        if totals.get(key, 0) != kept.get(key, 0):
            campaign_id, account, designation = key
            problems.append(
                f"campaign {campaign_id}: the running total of {account.value} ({designation.value}) is "
                f"{kept.get(key, 0)} but its postings sum to {totals.get(key, 0)}")

    for (campaign_id, account, designation), total in sorted(totals.items(), key=str):
        if account in (Account.pool, Account.allocated, Account.remitted) and total < 0:
            problems.append(
                f"campaign {campaign_id}: {account.value} ({designation.value}) is negative: {total}"
            )

    premiums: dict[tuple[int, Account, Designation], int] = defaultdict(int)
    for campaign_id, state, designation, total in db.session.execute(
        sa.select(CoverageMonth.campaign_id, CoverageMonth.state, CoverageMonth.designation,
                  sa.func.sum(CoverageMonth.premium_idr))
        .where(CoverageMonth.state.in_(LIVE_STATES))
        .group_by(CoverageMonth.campaign_id, CoverageMonth.state, CoverageMonth.designation)
    ):
        account = Account.allocated if state == CoverageState.funded else Account.remitted
        premiums[(campaign_id, account, designation)] += int(total)
    for key in sorted(set(premiums) | {k for k in totals if k[1] in (Account.allocated, Account.remitted)}, key=str):
        campaign_id, account, designation = key
        if premiums.get(key, 0) != totals.get(key, 0):
            problems.append(
                f"campaign {campaign_id}: {account.value} ({designation.value}) is {totals.get(key, 0)} "
                f"but its coverage months' premiums are {premiums.get(key, 0)}"
            )

    received: dict[tuple[int, Designation], int] = defaultdict(int)
    refunded: dict[tuple[int, Designation], int] = defaultdict(int)
    for campaign_id, designation, amount, refunded_amount in db.session.execute(
        sa.select(Donation.campaign_id, Donation.designation,
                  sa.func.sum(Payment.amount_idr), sa.func.sum(Payment.refunded_idr))
        .join(Payment.donation)
        .where(Payment.state.in_(RECEIVED_STATES))
        .group_by(Donation.campaign_id, Donation.designation)
    ):
        received[(campaign_id, designation)] = int(amount)
        refunded[(campaign_id, designation)] = int(refunded_amount)
    keys = set(received) | {(c, d) for c, a, d in totals if a in (Account.received, Account.refunded,
                                                                   Account.shortfall, Account.suspense)}
    for campaign_id, designation in sorted(keys, key=str):
        def books(account: Account) -> int:
            return totals.get((campaign_id, account, designation), 0)

        held = books(Account.suspense)
        booked_in = -books(Account.received) - held
        booked_out = books(Account.refunded)
        owed = -books(Account.shortfall)
        label = f"campaign {campaign_id}: "
        if booked_in != received.get((campaign_id, designation), 0):
            problems.append(
                f"{label}received ({designation.value}) is {booked_in} "
                f"but paid payments total {received.get((campaign_id, designation), 0)}"
            )
        if booked_out != refunded.get((campaign_id, designation), 0):
            problems.append(
                f"{label}refunded ({designation.value}) is {booked_out} "
                f"but payments record {refunded.get((campaign_id, designation), 0)} refunded"
            )
        if held < 0:
            problems.append(f"{label}suspense ({designation.value}) is negative: {held}")
        if owed < 0:
            problems.append(f"{label}shortfall ({designation.value}) was repaid beyond what was owed: {-owed}")
        if owed > 0 and books(Account.pool) > 0:
            problems.append(f"{label}pool ({designation.value}) holds {books(Account.pool)} while a shortfall of "
                            f"{owed} is unpaid")
        # received - refunded - shortfall repaid = pool + allocated + remitted, where the refunded money that
        # was already spent counts as owed until the campaign's next money repays it.
        held_here = books(Account.pool) + books(Account.allocated) + books(Account.remitted)
        if booked_in - booked_out + owed != held_here:
            problems.append(
                f"{label}{designation.value}: received {booked_in} - refunded {booked_out} + shortfall owed {owed} "
                f"is not pool + allocated + remitted ({held_here})"
            )
    rows = db.session.execute(
        sa.select(FlaggedEvent.campaign_id, sa.func.sum(FlaggedEvent.held_idr))
        .where(FlaggedEvent.resolved_at.is_(None), FlaggedEvent.campaign_id.is_not(None))
        .group_by(FlaggedEvent.campaign_id)).all()
    held = {campaign_id: int(total or 0) for campaign_id, total in rows}
    suspense: dict[int, int] = defaultdict(int)
    for (campaign_id, account, _designation), total in totals.items():
        if account == Account.suspense:
            suspense[campaign_id] += total
    for campaign_id in sorted(set(held) | set(suspense)):
        if int(held.get(campaign_id) or 0) != suspense.get(campaign_id, 0):
            problems.append(f"campaign {campaign_id}: suspense holds {suspense.get(campaign_id, 0)} but flagged "
                            f"provider events hold {int(held.get(campaign_id) or 0)}")
    problems.extend(tallies.check_figures())
    return problems
