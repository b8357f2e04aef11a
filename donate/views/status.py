"""Status check for workers and families, personal status links, and managers' printable cards.

Nothing here puts a NIK in a URL, a log line or an error page: look-ups are
POSTed, the NIK field is never filled back in, and rate limits are keyed by a
keyed hash of the NIK.
"""

import time

import segno
import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..extensions import db, limiter
from ..forms.status import KpjStatusForm, NikStatusForm
from ..models import Campaign, Worker
from ..services.access.staff import can_manage
from ..services.coverage.links import (
    card_sheet,
    current_status_token,
    issue_missing_status_links,
    issue_status_link,
    revoke_status_links,
    worker_for_token,
)
from ..services.coverage.lookup import (
    check_status,
    mask_name,
    rate_limit_key,
    worker_status,
)

bp = Blueprint("status", __name__, url_prefix="/status")

#: Cards on one printed sheet.
CARDS_PER_PAGE = 24


def _failure_key() -> str:
    """Rate-limit key of failed look-ups: the client with a keyed hash of the NIK or KPJ it asked about."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(data, "get"):
        data = {}
    worker = rate_limit_key(nik=str(data.get("nik") or ""), kpj=str(data.get("kpj") or "")) or "none"
    return f"{request.remote_addr or ''}|{worker}"


def record_answer(answer) -> None:
    """Note whether the look-up found nobody: only those count toward the failure limit."""
    g.status_failed = answer.status == "not_found"


def _failed(response) -> bool:
    return bool(g.get("status_failed"))


#: Look-ups per client (shared by the page and the API).
client_limit = limiter.shared_limit(lambda: current_app.config["STATUS_RATELIMIT_CLIENT"], scope="status-client")
#: Failed look-ups per client and worker asked about (a wrong name, an unknown NIK or KPJ): a stranger's
#: guesses lock out only the stranger, so the family's own right answer always gets through.
failure_limit = limiter.shared_limit(lambda: current_app.config["STATUS_RATELIMIT_WORKER"], scope="status-failures",
                                     key_func=_failure_key, deduct_when=_failed)


def retry_after_seconds() -> int:
    """Return how long until the breached rate limit lets the client try again."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, int(breached.reset_at - time.time()))


@bp.after_request
def private(response):
    """Keep status answers out of caches, search engines, referrers and other sites' frames."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "status.index":  # the form page is for search engines to find; answers are not
        response.headers["X-Robots-Tag"] = "noindex"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.errorhandler(429)
def too_many(error):
    """Say when the visitor may try again."""
    seconds = retry_after_seconds()
    response = current_app.make_response(
        (render_template("status/limited.html", minutes=max(1, -(-seconds // 60))), 429))
    response.headers["Retry-After"] = str(seconds)
    return response


def _forms():
    return NikStatusForm(), KpjStatusForm()


@bp.get("/")
def index():
    """Show the status check forms."""
    nik_form, kpj_form = _forms()
    return render_template("status/index.html", nik_form=nik_form, kpj_form=kpj_form)


@bp.post("/")
@client_limit
@failure_limit
def check_nik():
    """Answer a look-up by NIK and the name as on the KTP."""
    nik_form, kpj_form = _forms()
    if not nik_form.validate_on_submit():
        return render_template("status/index.html", nik_form=nik_form, kpj_form=kpj_form), 400
    answer = check_status(nik=nik_form.nik.data, full_name=nik_form.full_name.data)
    record_answer(answer)
    return render_template("status/answer.html", answer=answer)


@bp.post("/kpj")
@client_limit
@failure_limit
def check_kpj():
    """Answer a look-up by KPJ number and birth date."""
    nik_form, kpj_form = _forms()
    if not kpj_form.validate_on_submit():
        return render_template("status/index.html", nik_form=nik_form, kpj_form=kpj_form, by_kpj=True), 400
    answer = check_status(kpj=kpj_form.kpj.data, birth_date=kpj_form.birth_date.data)
    record_answer(answer)
    return render_template("status/answer.html", answer=answer)


@bp.get("/link/<token>")
@client_limit
def link(token):
    """Open a worker's status from the personal link on their card."""
    worker = worker_for_token(token)
    if worker is None:
        return render_template("status/link_invalid.html"), 404
    return render_template("status/answer.html", answer=worker_status(worker), via_link=True)


# Cards for managers.

def _require_manager(campaign: Campaign) -> None:
    """Refuse anyone but the campaign's managers and admins."""
    if not can_manage(current_user, campaign):
        abort(403)


def _worker(public_id: str) -> Worker:
    """Return the worker if the user manages their campaign."""
    worker = db.session.scalar(sa.select(Worker).where(Worker.public_id == public_id))
    if worker is None:
        abort(404)
    _require_manager(worker.campaign)
    return worker


def _campaign(slug: str) -> Campaign:
    """Return the campaign if the user manages it."""
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    _require_manager(campaign)
    return campaign


def qr_svg(url: str) -> Markup:
    """Return an inline SVG QR code of ``url``."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title=_("Status link")))


def _card(worker: Worker, token: str) -> dict:
    url = url_for("status.link", token=token, _external=True)
    return {"worker": worker, "masked_name": mask_name(worker.full_name), "url": url, "qr": qr_svg(url)}


@bp.get("/card/<public_id>")
@login_required
def card(public_id):
    """Show one worker's printable card with the QR code of their personal link."""
    worker = _worker(public_id)
    token = current_status_token(worker)
    return render_template("status/card.html", worker=worker, card=_card(worker, token) if token else None)


@bp.post("/card/<public_id>/issue")
@login_required
def issue(public_id):
    """Give the worker a new personal link; any earlier card stops working."""
    worker = _worker(public_id)
    issue_status_link(worker, by=current_user)
    db.session.commit()
    flash(_("A new status link was issued. Earlier cards no longer open the status."))
    return redirect(url_for("status.card", public_id=public_id))


@bp.post("/card/<public_id>/revoke")
@login_required
def revoke(public_id):
    """Revoke the worker's personal link (a lost card)."""
    worker = _worker(public_id)
    revoke_status_links(worker, by=current_user)
    db.session.commit()
    flash(_("The status link was revoked."))
    return redirect(url_for("status.card", public_id=public_id))


@bp.get("/cards/<slug>")
@login_required
def cards(slug):
    """Show a printable sheet of cards for a campaign's workers who have a link."""
    campaign = _campaign(slug)
    page = max(1, request.args.get("page", 1, type=int))
    sheet = card_sheet(campaign, page=page, per_page=CARDS_PER_PAGE)
    return render_template(
        "status/cards.html", campaign=campaign, page=page, pages=max(1, -(-sheet.with_link // CARDS_PER_PAGE)),
        cards=[_card(worker, token) for worker, token in sheet.cards],
        without=sheet.registered - sheet.with_link)


@bp.post("/cards/<slug>/issue")
@login_required
def issue_missing(slug):
    """Issue links for the campaign's workers who have none yet (up to 500 at a time)."""
    campaign = _campaign(slug)
    issued = issue_missing_status_links(campaign, by=current_user)
    db.session.commit()
    flash(_("Status links issued: %(count)s.", count=issued))
    return redirect(url_for("status.cards", slug=slug))
