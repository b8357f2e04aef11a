"""Keep the campaign figures (``models.figures``) equal to what they count, in the same transaction.

Whoever changes what a figure counts calls the function here that adds the
change to it, under the campaign lock: ``post_entry`` for money by funder
and donors, the allocation for new coverage months, remittance for months
changing state, imports for new workers. Coverage months and workers added,
changed or deleted through the ORM session (a sponsorship, a refund that
releases months, a worker typed in) are counted by the session hook at the
bottom, so no caller can forget them. ``check_figures`` recomputes every
figure from scratch and names each difference; ``rebuild_figures`` recomputes
them all (after a bulk load or a repair).
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    LIVE_STATES,
    NEVER_LIVE,
    Account,
    AccountBalance,
    Campaign,
    CampaignDonor,
    CoverageMonth,
    CoverageState,
    CoverageTally,
    Donation,
    DonorCount,
    EligibleTally,
    FunderTally,
    OccupationTally,
    Journal,
    Payment,
    Posting,
    Worker,
    WorkerTally,
)
from .coverage.waitlist import eligible, is_fundable, meets_rules
from .locks import campaign_locked, lock_campaign, upsert

W = Worker.__table__
C = CoverageMonth.__table__
LIVE = [s.value for s in LIVE_STATES]
_CHUNK = 500
#: Accounts whose postings are counted per funder (money in and money given back).
FUNDER_ACCOUNTS = (Account.received, Account.refunded)


def _add(model, rows: list[dict], *counters: str) -> None:
    """Add ``rows``' counters to ``model``'s rows with the same key, creating those missing."""
    table = model.__table__
    # One row per key: PostgreSQL refuses an upsert that would touch the same row twice.
    keys = [column.name for column in table.primary_key.columns]
    merged: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        if key in merged:
            for counter in counters:
                merged[key][counter] += row[counter]
        else:
            merged[key] = dict(row)
    rows = [row for row in merged.values() if any(row[c] for c in counters)]
    if not rows:
        return
    campaign_locked({row["campaign_id"] for row in rows})
    for start in range(0, len(rows), _CHUNK):
        statement = upsert(table).values(rows[start:start + _CHUNK])
        db.session.execute(statement.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={c: table.c[c] + statement.excluded[c] for c in counters}))


# --------------------------------------------------------------------------- workers

#: What a worker's place in the worker and eligible tallies follows from.
_WORKER_FACTS = (W.c.campaign_id, W.c.regency_code, W.c.live_months, W.c.last_live_month, W.c.verification,
                 W.c.consent_at.is_not(None).label("consented"), W.c.flag_reason.is_not(None).label("flagged"),
                 W.c.is_mustahik, W.c.occupation, W.c.company_id.is_not(None).label("reserved"))
#: The worker attributes those facts are read from: a change to any moves the worker between tally rows.
TALLIED_ATTRIBUTES = ("campaign_id", "regency_code", "live_months", "last_live_month", "verification",
                      "consent_at", "flag_reason", "is_mustahik", "occupation", "company_id")


def _worker_rows(ids, sign: int) -> tuple[list[dict], list[dict]]:
    """Return the worker and eligible tally rows the workers ``ids`` (a select or a list) stand for, times ``sign``.

    An eligible row carries the worker's occupation too, for the occupation tally. Workers a
    company brought are on its list only, so not counted as eligible (the general waitlist).
    """
    counted, fundable = [], []
    for (c, r, months, last, verification, consented, flagged, mustahik, occupation, reserved,
         n) in db.session.execute(
            sa.select(*_WORKER_FACTS, sa.func.count()).where(W.c.id.in_(ids)).group_by(*_WORKER_FACTS)):
        counted.append({"campaign_id": c, "regency_code": r, "live_months": months, "workers": sign * n})
        if not reserved and meets_rules(
                db.session.get(Campaign, c), None, verification=verification, consented=bool(consented),
                flagged=bool(flagged), is_mustahik=bool(mustahik), occupation=occupation):
            fundable.append({"campaign_id": c, "regency_code": r, "is_mustahik": bool(mustahik),
                             "last_live_month": NEVER_LIVE if last is None else last, "occupation": occupation,
                             "workers": sign * n})
    return counted, fundable


def _add_workers(*parts: tuple[list[dict], list[dict]]) -> None:
    """Add worker and eligible tally rows (from :func:`_worker_rows`) to the worker, eligible and occupation tallies."""
    _add(WorkerTally, [row for counted, _ in parts for row in counted], "workers")
    fundable = [row for _, rows in parts for row in rows]
    _add(EligibleTally, [{k: v for k, v in row.items() if k != "occupation"} for row in fundable], "workers")
    _add(OccupationTally, [{"campaign_id": row["campaign_id"], "occupation": row["occupation"],
                            "workers": row["workers"]} for row in fundable], "workers")


def count_new_workers(condition) -> None:
    """Count workers just inserted (``condition`` selects them) as registered with nothing funded."""
    _add_workers(_worker_rows(sa.select(W.c.id).where(condition), 1))


def _chunks(ids) -> list:
    """Split a list of ids into chunks of at most ``_CHUNK``; a select stays whole."""
    if not isinstance(ids, (list, tuple, set)):
        return [ids]
    ids = list(ids)
    return [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


@contextmanager
def workers_changing(ids):
    """Keep the tallies right around an SQL update of the workers ``ids`` (a select or a list).

    What the workers stood for is taken out before the block and what they
    stand for after it is added; the caller holds the campaign lock. (The
    ORM's own changes to workers are counted by the session hook below.)
    """
    chunks = _chunks(ids)
    before = [_worker_rows(chunk, -1) for chunk in chunks]
    yield
    _add_workers(*before, *(_worker_rows(chunk, 1) for chunk in chunks))


def recount_workers(ids) -> None:
    """Bring the workers' live months up to date with their coverage, and the tallies with them.

    ``ids`` is a select of worker ids or a list; the caller holds the campaign lock.
    """
    live = sa.and_(C.c.worker_id == W.c.id, C.c.state.in_(LIVE))
    for chunk in _chunks(ids):
        with workers_changing(chunk):
            db.session.execute(
                sa.update(W).where(W.c.id.in_(chunk)).values(
                    live_months=sa.select(sa.func.count()).where(live).scalar_subquery(),
                    last_live_month=sa.select(sa.func.max(C.c.month)).where(live).scalar_subquery())
                .execution_options(synchronize_session=False))


def recount_eligible(campaign_id: int) -> None:
    """Count a campaign's eligible workers again from scratch (after its rules changed); under its lock."""
    for model in (EligibleTally, OccupationTally):
        db.session.execute(sa.delete(model).where(model.campaign_id == campaign_id))
    _add_workers(([], _worker_rows(sa.select(W.c.id).where(W.c.campaign_id == campaign_id), 1)[1]))


# --------------------------------------------------------------------------- coverage months


def _month_groups(conditions) -> list[tuple]:
    """Return (campaign, month, state, designation, months, premium) of the live months matching."""
    return [tuple(row) for row in db.session.execute(
        sa.select(C.c.campaign_id, C.c.month, C.c.state, C.c.designation, sa.func.count(),
                  sa.func.sum(C.c.premium_idr))
        .where(*conditions, C.c.state.in_(LIVE))
        .group_by(C.c.campaign_id, C.c.month, C.c.state, C.c.designation))]


def _add_months(groups: Iterable[tuple], sign: int, state=None) -> None:
    """Add grouped coverage months to the tallies (``state`` overrides the groups' own)."""
    _add(CoverageTally, [
        {"campaign_id": c, "month": m, "state": CoverageState(state or s), "designation": d,
         "months": sign * n, "premium_idr": sign * int(p)}
        for c, m, s, d, n, p in groups], "months", "premium_idr")


def count_new_months(allocation_id: int) -> None:
    """Count the coverage months one allocation run inserted, and recount their workers."""
    _add_months(_month_groups([C.c.allocation_id == allocation_id]), 1)
    recount_workers(sa.select(C.c.worker_id).where(C.c.allocation_id == allocation_id))


def move_months(conditions, state: CoverageState, *, workers=None, **values) -> int:
    """Set the state (and ``values``) of the coverage months matching ``conditions``; keep the tallies.

    Returns how many months changed. Workers whose months leave the live
    states are recounted: ``workers``, a select of their ids that still
    holds after the update, saves reading them first.
    """
    groups = _month_groups(conditions)
    leaving = state.value not in LIVE
    if leaving and workers is None:
        workers = list(db.session.scalars(sa.select(C.c.worker_id).where(*conditions).distinct()))
    elif not leaving:
        workers = None
    changed = db.session.execute(
        sa.update(C).where(*conditions).values(state=state, **values)
        .execution_options(synchronize_session=False)).rowcount
    _add_months(groups, -1)
    if not leaving:
        _add_months(groups, 1, state=state)
    if workers is not None and (not isinstance(workers, list) or workers):
        recount_workers(workers)
    return changed


# --------------------------------------------------------------------------- money


def donor_source(donation: Donation) -> str:
    """Return what tells one donor from another: the email, else the funder, else the gift itself."""
    return donation.donor_email or donation.funder or f"donation:{donation.id}"


def donor_key(donation: Donation) -> str:
    """Return the hashed key that tells one donor from another (see :func:`donor_source`)."""
    return _hashed(donor_source(donation))


def _hashed(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def count_postings(journal: Journal, lines: list[tuple[Account, object, int]]) -> None:
    """Count a payment's postings for its funder, and its donor when money came in."""
    if journal.payment_id is None:
        return
    donation = db.session.scalar(sa.select(Donation).join(Payment, Payment.donation_id == Donation.id)
                                 .where(Payment.id == journal.payment_id))
    funder = donation.funder or ""
    _add(FunderTally, [
        {"campaign_id": journal.campaign_id, "funder": funder, "account": account, "designation": designation,
         "amount_idr": amount, "postings": 1}
        for account, designation, amount in lines if account in FUNDER_ACCOUNTS], "amount_idr", "postings")
    if any(account == Account.received for account, _, _ in lines):
        _count_donor(journal.campaign_id, donor_key(donation))


def _count_donor(campaign_id: int, key: str) -> None:
    """Count a donor once per campaign."""
    table = CampaignDonor.__table__
    new = db.session.execute(upsert(table).values(campaign_id=campaign_id, donor_key=key)
                             .on_conflict_do_nothing().returning(table.c.donor_key)).first()
    if new is not None:
        _add(DonorCount, [{"campaign_id": campaign_id, "donors": 1}], "donors")


def recount_donors(campaign_id: int, sources: Iterable[str]) -> None:
    """Bring the campaign's donors of ``sources`` (see :func:`donor_source`) in line with its gifts.

    For gifts whose donor changed (an erased account's address replaced by a
    pseudonym): each source may have lost its last gift that brought money
    or gained its first, so each is looked up again and the count follows.
    The caller holds the campaign lock and has flushed the change.
    """
    sources = set(sources)
    if not sources:
        return
    P, J = Posting.__table__, Journal.__table__
    ids = [int(s.removeprefix("donation:")) for s in sources if s.startswith("donation:") and s[9:].isdigit()]
    gifts = db.session.scalars(sa.select(Donation).where(
        Donation.campaign_id == campaign_id,
        sa.or_(Donation.donor_email.in_(sources), Donation.funder.in_(sources), Donation.id.in_(ids)),
        Donation.id.in_(sa.select(Payment.donation_id).join(J, J.c.payment_id == Payment.id)
                        .join(P, P.c.journal_id == J.c.id).where(P.c.account == Account.received.value))))
    given = {donor_source(gift) for gift in gifts}
    table = CampaignDonor.__table__
    for source in sorted(sources):
        key = _hashed(source)
        if source in given:
            _count_donor(campaign_id, key)
        elif db.session.execute(sa.delete(table).where(table.c.campaign_id == campaign_id,
                                                       table.c.donor_key == key)).rowcount:
            _add(DonorCount, [{"campaign_id": campaign_id, "donors": -1}], "donors")


# --------------------------------------------------------------------------- the session hook


def _changed(obj, attributes) -> bool:
    """Return whether the ORM is about to write a new value to any of ``attributes`` of ``obj``."""
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _note_workers_changing(session, flush_context, instances) -> None:
    """Take out what changed or deleted workers stood for, before the flush writes them.

    Their campaign is locked first, as every writer of the tallies does, so
    nothing moves the same workers between this and the count after the flush.
    """
    changing = [obj for obj in session.dirty if isinstance(obj, Worker) and obj.id is not None
                and _changed(obj, TALLIED_ATTRIBUTES)]
    changing += [obj for obj in session.deleted if isinstance(obj, Worker) and obj.id is not None]
    if not changing:
        return
    campaigns = {obj.campaign_id for obj in changing}
    campaigns.update(c for obj in changing for c in sa.inspect(obj).attrs.campaign_id.history.deleted)
    for campaign_id in sorted(c for c in campaigns if c is not None):
        lock_campaign(campaign_id)
    ids = sorted({obj.id for obj in changing})
    session.info.setdefault("workers_changing", []).append((ids, [_worker_rows(c, -1) for c in _chunks(ids)]))


@sa.event.listens_for(sa.orm.Session, "after_flush")
def _count_orm_changes(session, flush_context) -> None:
    """Count coverage months and workers the ORM just inserted, changed or deleted."""
    for ids, before in session.info.pop("workers_changing", []):
        _add_workers(*before, *(_worker_rows(chunk, 1) for chunk in _chunks(ids)))
    months: list[tuple] = []
    workers: set[int] = set()
    for obj in session.new:
        if isinstance(obj, CoverageMonth):
            months.append((obj.campaign_id, obj.month, obj.state or CoverageState.funded, obj.designation, 1,
                           obj.premium_idr, 1))
            workers.add(obj.worker_id)
        elif isinstance(obj, Worker):
            _add_workers(_new_worker_rows(obj))
    for obj in session.deleted:
        if isinstance(obj, CoverageMonth):
            months.append((obj.campaign_id, obj.month, obj.state, obj.designation, 1, obj.premium_idr, -1))
            workers.add(obj.worker_id)
    for obj in session.dirty:
        if isinstance(obj, CoverageMonth):
            history = sa.inspect(obj).attrs.state.history
            if history.deleted and history.added:
                months.append((obj.campaign_id, obj.month, history.deleted[0], obj.designation, 1,
                               obj.premium_idr, -1))
                months.append((obj.campaign_id, obj.month, history.added[0], obj.designation, 1,
                               obj.premium_idr, 1))
                workers.add(obj.worker_id)
    live = [row for row in months if CoverageState(row[2]) in LIVE_STATES]
    for sign in (1, -1):
        _add_months([row[:6] for row in live if row[6] == sign], sign)
    if workers:
        recount_workers(sorted(workers))
        session.info.setdefault("recounted_workers", set()).update(workers)
    for obj in session.dirty:
        if isinstance(obj, Campaign) and _changed(obj, ("mustahik_only", "eligible_occupations")):
            recount_eligible(obj.id)


def _new_worker_rows(worker: Worker) -> tuple[list[dict], list[dict]]:
    """Return the tally rows a worker the ORM just inserted stands for."""
    counted = [{"campaign_id": worker.campaign_id, "regency_code": worker.regency_code,
                "live_months": worker.live_months or 0, "workers": 1}]
    campaign = db.session.get(Campaign, worker.campaign_id)
    if not is_fundable(worker, None, campaign):
        return counted, []
    last = worker.last_live_month
    return counted, [{"campaign_id": worker.campaign_id, "regency_code": worker.regency_code,
                      "is_mustahik": bool(worker.is_mustahik), "last_live_month": NEVER_LIVE if last is None else last,
                      "occupation": worker.occupation, "workers": 1}]


# --------------------------------------------------------------------------- from scratch


def _live_per_worker():
    """Subquery of (worker_id, live months, last live month) recomputed from the coverage months."""
    return (sa.select(C.c.worker_id, sa.func.count().label("live"), sa.func.max(C.c.month).label("last"))
            .where(C.c.state.in_(LIVE)).group_by(C.c.worker_id).subquery("live"))


def _recomputed(donor_keys: dict[int, set[str]]) -> dict[str, dict[tuple, tuple]]:
    """Return every figure recomputed from workers, coverage months and the ledger, keyed like the tallies."""
    live = _live_per_worker()
    count = sa.func.coalesce(live.c.live, 0)
    figures: dict[str, dict[tuple, tuple]] = {}
    figures["worker_tallies"] = {
        (c, r, m): (n,) for c, r, m, n in db.session.execute(
            sa.select(W.c.campaign_id, W.c.regency_code, count, sa.func.count())
            .outerjoin(live, live.c.worker_id == W.c.id).group_by(W.c.campaign_id, W.c.regency_code, count))}
    figures["coverage_tallies"] = {
        (c, m, CoverageState(s), d): (n, int(p)) for c, m, s, d, n, p in _month_groups([sa.true()])}
    P, J = Posting.__table__, Journal.__table__
    funder = sa.func.coalesce(Donation.funder, "")
    figures["funder_tallies"] = {
        (c, f, a, d): (int(t), n) for c, f, a, d, t, n in db.session.execute(
            sa.select(P.c.campaign_id, funder, P.c.account, P.c.designation, sa.func.sum(P.c.amount_idr),
                      sa.func.count())
            .join(J, J.c.id == P.c.journal_id).join(Payment, Payment.id == J.c.payment_id)
            .join(Donation, Donation.id == Payment.donation_id)
            .where(P.c.account.in_([a.value for a in FUNDER_ACCOUNTS]))
            .group_by(P.c.campaign_id, funder, P.c.account, P.c.designation))}
    figures["donor_counts"] = {(c,): (len(keys),) for c, keys in donor_keys.items()}
    figures["eligible_tallies"], figures["occupation_tallies"] = {}, {}
    last = sa.func.coalesce(W.c.last_live_month, NEVER_LIVE)
    for campaign in db.session.scalars(sa.select(Campaign)):
        figures["eligible_tallies"].update({
            (c, r, bool(m), n_last): (n,) for c, r, m, n_last, n in db.session.execute(
                sa.select(W.c.campaign_id, W.c.regency_code, W.c.is_mustahik, last, sa.func.count())
                .where(*eligible(campaign)).group_by(W.c.campaign_id, W.c.regency_code, W.c.is_mustahik, last))})
        figures["occupation_tallies"].update({
            (c, o): (n,) for c, o, n in db.session.execute(
                sa.select(W.c.campaign_id, W.c.occupation, sa.func.count())
                .where(*eligible(campaign)).group_by(W.c.campaign_id, W.c.occupation))})
    return figures


def _donor_keys() -> dict[int, set[str]]:
    """Return each campaign's hashed donor keys, from the gifts whose money was received."""
    P, J = Posting.__table__, Journal.__table__
    rows = db.session.execute(
        sa.select(Donation).where(Donation.id.in_(
            sa.select(Payment.donation_id).join(J, J.c.payment_id == Payment.id)
            .join(P, P.c.journal_id == J.c.id).where(P.c.account == Account.received.value)))
        .execution_options(yield_per=5000)).scalars()
    keys: dict[int, set[str]] = defaultdict(set)
    for donation in rows:
        keys[donation.campaign_id].add(donor_key(donation))
    return keys


def _kept() -> dict[str, dict[tuple, tuple]]:
    """Return every figure as the tallies hold it (rows at zero left out)."""
    figures: dict[str, dict[tuple, tuple]] = {}
    for name, model, key, values in (
            ("worker_tallies", WorkerTally, ("campaign_id", "regency_code", "live_months"), ("workers",)),
            ("coverage_tallies", CoverageTally, ("campaign_id", "month", "state", "designation"),
             ("months", "premium_idr")),
            ("funder_tallies", FunderTally, ("campaign_id", "funder", "account", "designation"),
             ("amount_idr", "postings")),
            ("donor_counts", DonorCount, ("campaign_id",), ("donors",)),
            ("eligible_tallies", EligibleTally, ("campaign_id", "regency_code", "is_mustahik", "last_live_month"),
             ("workers",)),
            ("occupation_tallies", OccupationTally, ("campaign_id", "occupation"), ("workers",))):
        table = model.__table__
        figures[name] = {tuple(row[:len(key)]): tuple(int(v) for v in row[len(key):])
                         for row in db.session.execute(sa.select(*(table.c[k] for k in key + values)))
                         if any(row[len(key):])}
    return figures


def check_figures() -> list[str]:
    """Return each maintained figure that differs from its recomputation, as a sentence."""
    problems = []
    fresh_keys = _donor_keys()
    fresh, kept = _recomputed(fresh_keys), _kept()
    for name in fresh:
        want = {k: v for k, v in fresh[name].items() if any(v)}
        for key in sorted(set(want) | set(kept[name]), key=str):
            if want.get(key) != kept[name].get(key):
                problems.append(f"{name} {_show(key)}: kept {_show(kept[name].get(key))} "
                                f"but recomputed {_show(want.get(key))}")
    live = _live_per_worker()
    stale = db.session.execute(
        sa.select(W.c.id, W.c.live_months, W.c.last_live_month, live.c.live, live.c.last)
        .outerjoin(live, live.c.worker_id == W.c.id)
        .where(sa.or_(W.c.live_months != sa.func.coalesce(live.c.live, 0),
                      sa.func.coalesce(W.c.last_live_month, -1) != sa.func.coalesce(live.c.last, -1)))
        .limit(20)).all()
    for worker_id, months, last, real_months, real_last in stale:
        problems.append(f"worker {worker_id}: live months kept as {months} (last {last}) "
                        f"but its coverage has {real_months or 0} (last {real_last})")
    donors = dict(db.session.execute(sa.select(CampaignDonor.campaign_id, sa.func.count())
                                     .group_by(CampaignDonor.campaign_id)).all())
    for (campaign_id,), (count,) in kept["donor_counts"].items():
        if donors.get(campaign_id, 0) != count:
            problems.append(f"donor_counts ({campaign_id}): {count} but {donors.get(campaign_id, 0)} donor keys")
    kept_keys: dict[int, set[str]] = defaultdict(set)
    for campaign_id, key in db.session.execute(sa.select(CampaignDonor.campaign_id, CampaignDonor.donor_key)):
        kept_keys[campaign_id].add(key)
    for campaign_id in sorted(set(kept_keys) | set(fresh_keys)):
        stale = len(kept_keys.get(campaign_id, set()) - fresh_keys.get(campaign_id, set()))
        missing = len(fresh_keys.get(campaign_id, set()) - kept_keys.get(campaign_id, set()))
        if stale or missing:
            problems.append(f"campaign_donors ({campaign_id}): {stale} kept keys no gift has, "
                            f"{missing} donors' keys missing")
    return problems


def _show(value) -> str:
    """Render a key or figure tuple for a message (enums by their value)."""
    if value is None:
        return "nothing"
    return "(" + ", ".join(str(getattr(v, "value", v)) for v in value) + ")"


def rebuild_figures() -> None:
    """Recompute every figure, account balances too, from scratch (after a bulk load or a repair).

    The caller commits.
    """
    campaign_locked(db.session.scalars(sa.select(Campaign.id)))  # every campaign's figures may change
    live = sa.and_(C.c.worker_id == W.c.id, C.c.state.in_(LIVE))
    db.session.execute(sa.update(W).values(
        live_months=sa.select(sa.func.count()).where(live).scalar_subquery(),
        last_live_month=sa.select(sa.func.max(C.c.month)).where(live).scalar_subquery())
        .execution_options(synchronize_session=False))
    for model in (WorkerTally, CoverageTally, FunderTally, CampaignDonor, DonorCount, AccountBalance, EligibleTally,
                  OccupationTally):
        db.session.execute(sa.delete(model))
    P = Posting.__table__
    db.session.execute(sa.insert(AccountBalance.__table__).from_select(
        ["campaign_id", "account", "designation", "balance_idr"],
        sa.select(P.c.campaign_id, P.c.account, P.c.designation, sa.func.sum(P.c.amount_idr))
        .group_by(P.c.campaign_id, P.c.account, P.c.designation)))
    fresh_keys = _donor_keys()
    fresh = _recomputed(fresh_keys)
    columns = {"worker_tallies": (WorkerTally, ("campaign_id", "regency_code", "live_months"), ("workers",)),
               "coverage_tallies": (CoverageTally, ("campaign_id", "month", "state", "designation"),
                                    ("months", "premium_idr")),
               "funder_tallies": (FunderTally, ("campaign_id", "funder", "account", "designation"),
                                  ("amount_idr", "postings")),
               "donor_counts": (DonorCount, ("campaign_id",), ("donors",)),
               "eligible_tallies": (EligibleTally, ("campaign_id", "regency_code", "is_mustahik", "last_live_month"),
                                    ("workers",)),
               "occupation_tallies": (OccupationTally, ("campaign_id", "occupation"), ("workers",))}
    for name, (model, key, values) in columns.items():
        _add(model, [dict(zip(key + values, k + v)) for k, v in fresh[name].items()], *values)
    donors = [{"campaign_id": c, "donor_key": k} for c, keys in fresh_keys.items() for k in keys]
    for start in range(0, len(donors), 5000):
        db.session.execute(sa.insert(CampaignDonor.__table__), donors[start:start + 5000])
    db.session.expire_all()
