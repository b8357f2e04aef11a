"""What an audited action did, said from its stored parameters in the visitor's language.

Services record an action with its parameters (counts, amounts, states,
references; never a NIK). The audit page and the dashboard's activity feed
both call :func:`describe`, so an action reads the same everywhere, in
Bahasa Indonesia or English as the visitor asked. Events stored before
parameters existed keep their English text.
"""

import datetime as dt
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import ngettext

from ...formatting import day, month_name, number, rupiah
from ...labels import (
    FLAG_PROBLEMS,
    FUNDING_SOURCES,
    STATEMENT_LAYOUTS,
    label,
    provider_label,
)
from ...models import (
    AllocationKind,
    AuditEvent,
    CampaignStatus,
    ClaimKind,
    ClaimProgramme,
    Designation,
    Role,
    Verification,
)


def _workers(count: int) -> str:
    return ngettext("%(count)s worker", "%(count)s workers", count, count=number(count))


def _months(count: int) -> str:
    return ngettext("%(count)s month", "%(count)s months", count, count=number(count))


def _worker_months(count: int) -> str:
    return ngettext("%(count)s worker-month", "%(count)s worker-months", count, count=number(count))


def _rows(count: int) -> str:
    return ngettext("%(count)s row", "%(count)s rows", count, count=number(count))


def _state(kind, value: str) -> str:
    """Return a stored enum value in words (the value itself if the enum no longer has it)."""
    try:
        return label(kind(value))
    except ValueError:
        return value


def _reason(text: str, p: dict, key: str = "reason") -> str:
    """Append the staff's own words (kept as typed) when there are any."""
    return _("%(text)s: %(reason)s", text=text, reason=p[key]) if p.get(key) else text


def _campaign_settings(p: dict) -> str:
    if "cover" in p:
        return _("new cover picture %(file)s", file=p["cover"])
    text = _("%(campaign)s: target %(workers)s, a term of %(months)s", campaign=p["campaign"],
             workers=_workers(p["target_workers"]), months=_months(p["term_months"]))
    if "regions" in p:
        text = _("%(text)s, %(regions)s", text=text,
                 regions=ngettext("%(count)s region", "%(count)s regions", p["regions"],
                                  count=number(p["regions"])))
    return text


def _campaign_status(p: dict) -> str:
    return _("%(campaign)s: %(before)s → %(after)s", campaign=p["campaign"],
             before=_state(CampaignStatus, p["before"]), after=_state(CampaignStatus, p["after"]))


def _worker_registered(p: dict) -> str:
    state = Verification.verified if p["verified"] else Verification.pending
    return _("worker %(worker)s, %(state)s", worker=p["worker"], state=label(state))


def _change(change: dict) -> str:
    kind = change["change"]
    if kind == "verification":
        return _("%(before)s → %(after)s", before=_state(Verification, change["before"]),
                 after=_state(Verification, change["after"]))
    if kind == "mustahik":
        return _("mustahik") if change["value"] else _("not mustahik")
    if kind == "consent":
        return _("consent recorded") if change["value"] else _("consent withdrawn")
    if kind == "priority":
        return _("priority %(before)s → %(after)s", before=change["before"], after=change["after"])
    if kind == "reason":
        return _("reason changed")
    return _("flag cleared")


def _worker_changed(p: dict) -> str:
    if "count" in p:  # verified together from the registry
        return ngettext("%(count)s worker verified together from the registry",
                        "%(count)s workers verified together from the registry", p["count"],
                        count=number(p["count"]))
    changes = "; ".join(_change(change) for change in p["changes"])
    return _reason(_("worker %(worker)s: %(changes)s", worker=p["worker"], changes=changes), p)


def _workers_imported(p: dict) -> str:
    state = Verification.verified if p["verified"] else Verification.pending
    return _("%(rows)s: %(imported)s imported (%(state)s), %(rejected)s rejected", rows=_rows(p["rows"]),
             imported=number(p["imported"]), state=label(state), rejected=number(p["rejected"]))


def _rejected_rows(p: dict) -> str:
    return ngettext("%(count)s rejected row downloaded with full NIKs",
                    "%(count)s rejected rows downloaded with full NIKs", p["rows"], count=number(p["rows"]))


def _funding(p: dict) -> str:
    text = _("gift %(gift)s: %(source)s, %(funder)s, %(amount)s (%(designation)s)", gift=p["donation"],
             source=FUNDING_SOURCES.get(p["source"], p["source"]), funder=p["funder"],
             amount=rupiah(p["amount_idr"]), designation=_state(Designation, p["designation"]))
    if p.get("reference"):
        text = _("%(text)s, reference %(reference)s", text=text, reference=p["reference"])
    return text


def _allocation(p: dict) -> str:
    runs = [_("%(kind)s, %(designation)s: %(workers)s, %(months)s, %(amount)s",
              kind=_state(AllocationKind, run["kind"]), designation=_state(Designation, run["designation"]),
              workers=_workers(run["workers"]), months=_worker_months(run["months"]),
              amount=rupiah(run["amount_idr"])) for run in p["runs"]]
    return "; ".join(runs) or _("nothing to allocate")


def _batch_created(p: dict) -> str:
    return _("batch %(batch)s: %(workers)s, %(months)s, %(amount)s", batch=p["batch"],
             workers=_workers(p["workers"]), months=_worker_months(p["months"]), amount=rupiah(p["amount_idr"]))


def _batch(p: dict) -> str:
    return _("batch %(batch)s", batch=p["batch"])


def _batch_exported(p: dict) -> str:
    return ngettext("batch %(batch)s: %(count)s worker with full NIK", "batch %(batch)s: %(count)s workers with full NIK",
                    p["workers"], count=number(p["workers"]), batch=p["batch"])


def _batch_transferred(p: dict) -> str:
    text = _("batch %(batch)s: reference %(reference)s on %(day)s", batch=p["batch"], reference=p["reference"],
             day=day(dt.date.fromisoformat(p["transferred_on"])))
    if p.get("before"):
        text = _("%(text)s (was %(before)s)", text=text, before=p["before"])
    return text


def _batch_acknowledged(p: dict) -> str:
    return _("batch %(batch)s, %(rows)s: %(accepted)s accepted, %(rejected)s rejected (%(returned)s back to the "
             "pool), %(already)s already recorded, %(skipped)s skipped", batch=p["batch"], rows=_rows(p["rows"]),
             accepted=_worker_months(p["months_accepted"]), rejected=_worker_months(p["months_rejected"]),
             returned=rupiah(p["returned_idr"]), already=number(p["already"]), skipped=number(p["skipped"]))


def _refund(p: dict) -> str:
    return _reason(_("payment %(payment)s: %(amount)s of %(paid)s refunded (refund %(refund)s)",
                     payment=p["payment"], amount=rupiah(p["amount_idr"]), paid=rupiah(p["paid_idr"]),
                     refund=p["refund"]), p)


def _flag_resolved(p: dict) -> str:
    return _reason(_("payment notice %(flag)s from %(provider)s %(reference)s: %(problem)s, %(figure)s",
                     flag=p["flag"], provider=provider_label(p["provider"]), reference=p["reference"] or "-",
                     problem=FLAG_PROBLEMS.get(p["problem"], p["problem"]), figure=p["provider_amount"]), p, "note")


def _dashboard_export(p: dict) -> str:
    return ngettext("lapsing workers, %(count)s worker", "lapsing workers, %(count)s workers", p["workers"],
                    count=number(p["workers"]))


def _statement_uploaded(p: dict) -> str:
    return _("%(bank)s, %(credits)s: %(matched)s matched, %(unmatched)s unmatched, %(ambiguous)s ambiguous, "
             "%(repeated)s already uploaded", bank=STATEMENT_LAYOUTS.get(p["bank"], p["bank"]),
             credits=ngettext("%(count)s credit", "%(count)s credits", p["credits"], count=number(p["credits"])),
             matched=number(p["matched"]), unmatched=number(p["unmatched"]), ambiguous=number(p["ambiguous"]),
             repeated=number(p["repeated"]))


def _statement_assigned(p: dict) -> str:
    return _("payment %(payment)s paid by statement line %(line)s of %(day)s, %(amount)s: %(description)s",
             payment=p["payment"], line=p["line"], day=day(dt.date.fromisoformat(p["booked_on"])),
             amount=rupiah(p["amount_idr"]), description=p["description"])


def _role(p: dict) -> str:
    return _("%(email)s: %(before)s → %(after)s", email=p["email"], before=_state(Role, p["before"]),
             after=_state(Role, p["after"]))


def _assignment(p: dict) -> str:
    if p["assigned"]:
        return _("%(email)s assigned to %(campaign)s", email=p["email"], campaign=p["campaign"])
    return _("%(email)s removed from %(campaign)s", email=p["email"], campaign=p["campaign"])


def _status_link(p: dict) -> str:
    if "count" in p:
        return ngettext("links for %(count)s worker", "links for %(count)s workers", p["count"], count=number(p["count"]))
    return _("worker %(worker)s", worker=p["worker"])


def _update_posted(p: dict) -> str:
    return ngettext("update %(update)s, emailed to %(count)s donor", "update %(update)s, emailed to %(count)s donors",
                    p["emailed"], count=number(p["emailed"]), update=p["update"])


def _prayer(p: dict) -> str:
    if p["hidden"]:
        return _("gift %(gift)s: prayer hidden", gift=p["donation"])
    return _("gift %(gift)s: prayer shown again", gift=p["donation"])


def _claim(p: dict) -> str:
    text = _("worker %(worker)s: %(programme)s, %(kind)s of %(day)s, %(amount)s", worker=p["worker"],
             programme=_state(ClaimProgramme, p["programme"]), kind=_state(ClaimKind, p["kind"]),
             day=day(dt.date.fromisoformat(p["event_date"])), amount=rupiah(p["amount_idr"]))
    if p.get("scholarship_idr"):
        text = _("%(text)s + scholarship %(scholarship)s", text=text, scholarship=rupiah(p["scholarship_idr"]))
    return text


def _funder_report(p: dict) -> str:
    return _("%(funder)s, %(first)s to %(last)s", funder=p["funder"] or _("Online donors"),
             first=month_name(p["first_month"]), last=month_name(p["last_month"]))


def _mandiri_import(p: dict) -> str:
    return _("%(rows)s: %(paid)s", rows=_rows(p["rows"]),
             paid=ngettext("%(count)s worker's own payments recorded", "%(count)s workers' own payments recorded",
                           p["updated"], count=number(p["updated"])))


#: How each action's parameters read.
DESCRIBE: dict[str, Callable[[dict], str]] = {
    "campaign.create": _campaign_settings, "campaign.edit": _campaign_settings, "campaign.status": _campaign_status,
    "worker.register": _worker_registered, "worker.import": _workers_imported, "worker.rejected_rows": _rejected_rows,
    "worker.update": _worker_changed, "worker.verify": _worker_changed, "worker.reject": _worker_changed,
    "funding.record": _funding, "allocation.run": _allocation,
    "remittance.create": _batch_created, "remittance.export": _batch_exported,
    "remittance.transfer": _batch_transferred, "remittance.acknowledge": _batch_acknowledged,
    "remittance.cancel": _batch,
    "payment.refund": _refund, "payment.flag_resolved": _flag_resolved, "dashboard.export": _dashboard_export,
    "bank_statement.upload": _statement_uploaded, "bank_statement.assign": _statement_assigned,
    "user.role": _role, "user.assign": _assignment,
    "status_link.issue": _status_link, "status_link.revoke": _status_link,
    "campaign.update_post": _update_posted, "campaign.doa_hide": _prayer, "claim.record": _claim,
    "funder.report": _funder_report, "mandiri.status_import": _mandiri_import,
}


def describe(event: AuditEvent) -> str:
    """Return what the event did, in the current locale; an event stored as text keeps its text."""
    if event.params is None:
        return " — ".join(filter(None, (event.subject, event.detail)))
    return DESCRIBE[event.action](event.params)
