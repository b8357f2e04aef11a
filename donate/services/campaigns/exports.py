"""The dashboard's tables as CSV files; the one naming workers is audited."""

import datetime as dt

from flask_babel import lazy_gettext

from ...models import Campaign, User
from ...months import month_code, month_end
from ...regions import regency_name
from ..access import audit
from ..csvfiles import write_csv
from ..errors import DomainError
from .books import money_by_funder
from .figures import (
    coverage_over_time,
    lapsing_workers,
    region_table,
    worker_equivalent,
)


class UnknownExport(DomainError):
    """A dashboard table that does not exist."""

    default = lazy_gettext("there is no such table")


def export_table(campaign: Campaign, name: str, *, user: User, today: dt.date) -> str:
    """Return one of the dashboard's tables as CSV text; downloading the lapsing workers is audited."""
    if name == "regions":
        return write_csv(
            ("regency_code", "regency_name", "target_workers", "registered", "waiting", "funded", "protected"),
            ((r.code, r.name, r.target or "", r.registered, r.waiting, r.funded, r.protected)
             for r in region_table(campaign, today=today)))
    if name == "funders":
        return write_csv(
            ("funder", "designation", "gifts", "received_idr", "refunded_idr", "net_idr", "workers_for_term"),
            ((f.funder or "individual donors", f.designation.value, f.gifts, f.received_idr, f.refunded_idr,
              f.net_idr, worker_equivalent(campaign, f.net_idr, today=today)) for f in money_by_funder(campaign)))
    if name == "progress":
        return write_csv(("month", "workers_funded", "workers_protected"),
                         ((month_code(m), f, p) for m, f, p in coverage_over_time(campaign, today=today)))
    if name == "lapsing":
        lapsing = lapsing_workers(campaign, today=today, limit=None)
        audit.record_action("dashboard.export", user=user, campaign=campaign, subject="lapsing",
                            params={"table": "lapsing", "workers": lapsing.workers})
        return write_csv(
            ("worker", "display_name", "regency_code", "regency_name", "kpj", "covered_until"),
            ((w.public_id, w.display_name, w.regency_code, regency_name(w.regency_code), w.kpj or "",
              month_end(m)) for w, m in lapsing.sample))
    raise UnknownExport()
