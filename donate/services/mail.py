"""Send email: every message goes to the outbox; SMTP delivers it when ``MAIL_SERVER`` is set.

Delivery happens after the transaction that wrote the message commits, off
the request (``donate.jobs``: the RQ worker, or a thread of the web process
without Redis), so a webhook or a page never waits for an SMTP server; what
fails is retried by the queue and by ``tick``/``worker``. In development
nothing leaves the machine: the outbox table and the log are where a reset
link or a receipt can be read.
"""

import datetime as dt
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, url_for

from .. import jobs
from ..extensions import db
from ..formatting import babel_locale
from ..models import OutboxMessage


def external_url(endpoint: str, **values) -> str:
    """Return an absolute URL for an email, also from the command line (based on ``PUBLIC_URL``)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for(endpoint, _external=True, **values)


def mail_locale(language: str | None) -> str:
    """Return the Babel locale for mail to someone who uses ``language`` ("en" reads rupiah as in Indonesia)."""
    languages = current_app.config["LANGUAGES"]
    language = language if language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    return babel_locale(language)


def send_mail(to_email: str, subject: str, template: str, **context) -> OutboxMessage:
    """Render ``templates/email/<template>.txt``, store it in the outbox and deliver it if SMTP is set."""
    body = render_template(f"email/{template}.txt", **context)
    message = OutboxMessage(to_email=to_email, subject=subject[:300], body=body, kind=template)
    db.session.add(message)
    db.session.flush()
    current_app.logger.info("mail %s to %s: %s", template, to_email, subject)
    if current_app.config.get("MAIL_SERVER"):
        jobs.run_later("deliver_mail", message.id)
    return message


@jobs.task("deliver_mail")
def deliver_outbox_message(message_id: int, *, now: dt.datetime) -> None:
    """Deliver one committed outbox message unless it went out already; raise so the queue retries."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.sent_at is not None:
        return
    sent = deliver(message, now=now)
    db.session.commit()
    if not sent:  # it stays in the outbox; raising has the queue try again later
        raise smtplib.SMTPException(message.error or "SMTP refused the message")


def deliver(message: OutboxMessage, *, now: dt.datetime) -> bool:
    """Hand one outbox message to the SMTP server; record the time or the error."""
    config = current_app.config
    email = EmailMessage()
    email["From"] = config.get("MAIL_FROM") or f"{config.get('INSTITUTION_NAME', 'Lindungi')} <noreply@localhost>"
    email["To"] = message.to_email
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = make_msgid(domain="lindungi")
    email.set_content(message.body)
    try:
        port = int(config.get("MAIL_PORT") or 587)
        with smtplib.SMTP(config["MAIL_SERVER"], port, timeout=float(config.get("MAIL_TIMEOUT") or 20)) as smtp:
            if str(config.get("MAIL_USE_TLS", "true")).lower() in {"1", "true", "yes", "on"}:
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        message.error = str(exc)[:500]
        current_app.logger.warning("mail %s to %s not sent: %s", message.id, message.to_email, exc)
        db.session.flush()
        return False
    message.sent_at = now
    message.error = None
    db.session.flush()
    return True


#: An unsent message this old was not picked up after its commit (a worker down): send it from here.
STRANDED_AFTER = dt.timedelta(minutes=10)


def retry_unsent(*, limit: int = 200, now: dt.datetime) -> int:
    """Try again to deliver outbox messages whose delivery failed or never started; return how many went out."""
    if not current_app.config.get("MAIL_SERVER"):
        return 0
    stranded = now - STRANDED_AFTER
    failed = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.sent_at.is_(None),
                                       sa.or_(OutboxMessage.error.is_not(None), OutboxMessage.created_at < stranded))
        .order_by(OutboxMessage.id).limit(limit)).all()
    return sum(deliver(message, now=now) for message in failed)
