"""Mail: always in the outbox; handed to SMTP when a server is configured."""

import smtplib

import pytest

from donate.extensions import db
from donate.models import OutboxMessage, User
from donate.services import mail


class FakeSMTP:
    sent: list = []
    fail = False

    def __init__(self, host, port, timeout):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        self.tls = True

    def login(self, user, password):
        self.user = user

    def send_message(self, message):
        if FakeSMTP.fail:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no such user")})
        FakeSMTP.sent.append((self.host, self.port, message))


@pytest.fixture
def smtp(monkeypatch):
    FakeSMTP.sent, FakeSMTP.fail = [], False
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def send(app, *, commit: bool = True):
    """Send a message; committing hands it to delivery (at once here: the tests run jobs eagerly)."""
    user = User(email="ani@example.com", name="Ani", password_hash="x")
    with app.test_request_context():
        message = mail.send_mail("ani@example.com", "Halo", "confirm_email", user=user, link="https://x/confirm")
    if commit:
        db.session.commit()
        db.session.refresh(message)
    return message


def test_without_smtp_mail_stays_in_the_outbox(app, smtp):
    message = send(app)
    assert message.id and message.sent_at is None and "https://x/confirm" in message.body
    assert smtp.sent == []


def test_with_smtp_mail_is_delivered_and_marked(app, smtp):
    app.config.update(MAIL_SERVER="smtp.example", MAIL_PORT="2525", MAIL_USERNAME="u", MAIL_PASSWORD="p",
                      MAIL_FROM="Lindungi <noreply@lindungi.example>")
    message = send(app)
    (host, port, sent), = smtp.sent
    assert (host, port) == ("smtp.example", 2525)
    assert sent["To"] == "ani@example.com" and sent["Subject"] == "Halo"
    assert "https://x/confirm" in sent.get_content()
    assert message.sent_at is not None and message.error is None


def test_nothing_is_delivered_before_the_commit_nor_after_a_rollback(app, smtp):
    app.config.update(MAIL_SERVER="smtp.example")
    message = send(app, commit=False)
    assert smtp.sent == [] and message.sent_at is None
    db.session.rollback()
    db.session.commit()
    assert smtp.sent == [] and db.session.query(OutboxMessage).count() == 0


def test_an_smtp_failure_is_recorded_not_raised(app, smtp):
    app.config.update(MAIL_SERVER="smtp.example")
    smtp.fail = True
    message = send(app)
    assert message.sent_at is None and "no such user" in message.error


def test_tick_resends_mail_whose_delivery_failed(app, smtp):
    from donate.maintenance import tick

    app.config.update(MAIL_SERVER="smtp.example")
    smtp.fail = True
    message = send(app)
    assert message.sent_at is None and message.error
    smtp.fail = False
    assert tick()["failed_mail_resent"] == 1
    assert message.sent_at is not None and message.error is None
    assert tick()["failed_mail_resent"] == 0
