"""Status check for workers and families, and personal status links (the cards are in ``manage``).

Nothing here puts a NIK in a URL, a log line or an error page: look-ups are
POSTed, the NIK field is never filled back in, and rate limits are keyed by a
keyed hash of the NIK.
"""

import time

from flask import (
    Blueprint,
    current_app,
    g,
    render_template,
    request,
)

from .. import clock
from ..extensions import limiter
from ..forms.status import KpjStatusForm, NikStatusForm
from ..services.coverage.links import (
    worker_for_token,
)
from ..services.coverage.lookup import (
    check_status,
    rate_limit_key,
    worker_status,
)

bp = Blueprint("status", __name__, url_prefix="/status")



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
    answer = check_status(nik=nik_form.nik.data, full_name=nik_form.full_name.data, today=clock.today())
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
    answer = check_status(kpj=kpj_form.kpj.data, birth_date=kpj_form.birth_date.data, today=clock.today())
    record_answer(answer)
    return render_template("status/answer.html", answer=answer)


@bp.get("/link/<token>")
@client_limit
def link(token):
    """Open a worker's status from the personal link on their card."""
    worker = worker_for_token(token)
    if worker is None:
        return render_template("status/link_invalid.html"), 404
    return render_template("status/answer.html", answer=worker_status(worker, today=clock.today()), via_link=True)
