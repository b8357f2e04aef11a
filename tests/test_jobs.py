"""Work after commit and off the request: mail never holds up a webhook, and the queue retries it."""

import socket
import threading

import pytest

from donate import jobs
from donate.extensions import db
from donate.models import OutboxMessage, PaymentState, User
from donate.payments import provider
from donate.services import mail
from tests.payments.test_sandbox import event, post_webhook, sponsorship
from tests.conftest import REDIS_URL
from tests.services.test_mail import FakeSMTP



class SilentSMTP:
    """An SMTP server that accepts connections and never says a word (a hung mail relay) until released."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        self.connected = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.held.append(conn)
            self.connected.set()

    def release(self):
        """Hang up on every client, as a relay that finally gives up would."""
        for conn in self.held:
            conn.close()
        self.server.close()


@pytest.fixture
def silent_smtp():
    relay = SilentSMTP()
    yield relay
    relay.release()


def _mail_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t is not threading.current_thread() and t.daemon
            and getattr(t, "_target", None) is jobs._in_app]


def test_a_webhook_answers_at_once_while_smtp_hangs(app, client, make, silent_smtp):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent_smtp.port, MAIL_USE_TLS=False, MAIL_TIMEOUT=60,
                      JOBS_MODE="thread")
    _, payment, _ = sponsorship(make, months=1)
    body = event(payment)
    response = post_webhook(client, body, provider("sandbox").sign(body))
    assert response.status_code == 200 and response.get_json() == {"outcome": "confirmed"}
    # The answer came while the delivery still hangs on the relay: the webhook never waited for SMTP.
    assert silent_smtp.connected.wait(30)
    (delivery,) = _mail_threads()
    assert delivery.is_alive()
    db.session.expire_all()
    assert payment.state == PaymentState.paid
    receipt = db.session.query(OutboxMessage).filter_by(kind="receipt").one()
    assert receipt.sent_at is None  # committed with the payment, delivered after
    silent_smtp.release()
    delivery.join(30)
    db.session.expire_all()
    assert receipt.sent_at is None and receipt.error  # kept for the queue, tick or worker to retry


def test_mail_that_failed_after_commit_is_resent_by_the_worker_command(app, runner, monkeypatch):
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent, FakeSMTP.fail = [], True
    app.config.update(MAIL_SERVER="smtp.example")
    with app.test_request_context():
        message = mail.send_mail("ani@example.com", "Halo", "confirm_email", user=User(email="ani@example.com"),
                                 link="https://x/r")
    db.session.commit()
    db.session.refresh(message)
    assert message.sent_at is None and message.error
    FakeSMTP.fail = False
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert message.sent_at is not None and len(FakeSMTP.sent) == 1


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis (DONATE_TEST_REDIS_URL, or one on 127.0.0.1:6379)")
def test_on_redis_mail_goes_through_the_queue_with_retries(app, monkeypatch):
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    app.config.update(REDIS_URL=REDIS_URL, MAIL_SERVER="smtp.example", JOBS_QUEUE="test-mail")
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent, FakeSMTP.fail = [], True
    with app.test_request_context():
        message = mail.send_mail("ani@example.com", "Halo", "confirm_email", user=User(email="ani@example.com"),
                                 link="https://x/r")
    db.session.commit()
    (queued,) = jobs.queue().jobs
    assert queued.retries_left == len(jobs.RETRY_INTERVALS)
    jobs.work(burst=True)  # SMTP refuses: the job fails and is scheduled again
    db.session.expire_all()
    assert message.sent_at is None and message.error
    job = jobs.queue().fetch_job(queued.id)
    assert job.retries_left == len(jobs.RETRY_INTERVALS) - 1
    FakeSMTP.fail = False
    jobs.queue().enqueue_job(job)  # what the scheduler does once the retry interval has passed
    jobs.work(burst=True)
    db.session.expire_all()
    assert message.sent_at is not None and len(FakeSMTP.sent) == 1


# --------------------------------------------------------------------------- long work with its progress


def test_an_import_tells_how_far_it_got_as_it_goes(app, make, monkeypatch):
    from donate.services.workers import imports
    from tests.conftest import NOW, TODAY

    monkeypatch.setattr(imports, "_CHUNK", 2)
    campaign = make.campaign()
    heard: list[int] = []
    report = imports.import_workers(campaign, make.worker_csv([make.csv_row() for _ in range(5)]), today=TODAY,
                                    now=NOW, progress=heard.append)
    assert report.imported == 5
    # Rows checked (2, 4, all 5), then checked plus inserted (5 + 2, 5 + 4), out of twice the rows.
    assert heard == [2, 4, 5, 7, 9]


def test_the_progress_page_reads_what_the_running_work_reported(app, make):
    from donate.models import BackgroundJob
    from donate.services.locks import lock_campaign

    seen = {}

    @jobs.job("test_progress")
    def halfway(job, progress, *, now):
        lock_campaign(job.campaign_id)  # the work holds its writes (on SQLite, the database's one write lock) ...
        progress(3, 10)  # ... and the page, asking now, still sees how far it got
        seen["during"] = jobs.progress_of(db.session.get(BackgroundJob, job.id, populate_existing=True))
        return {"ok": True}

    try:
        campaign = make.campaign()
        row = jobs.start_job("test_progress", campaign_id=campaign.id, total=10)
        db.session.commit()
    finally:
        jobs.JOBS.pop("test_progress", None)
    assert seen["during"] == (3, 10)
    db.session.refresh(row)
    assert (row.state.value, row.done, row.total, row.result) == ("done", 10, 10, {"ok": True})


def test_allocating_runs_as_a_job_whose_page_shows_the_result(app, client, make):
    from donate.models import Role
    from tests.conftest import PREMIUM
    from tests.manage_helpers import login, staff_user

    campaign = make.campaign(term_months=6)
    make.workers(campaign, 2)
    make.paid_gift(campaign, 2 * 6 * PREMIUM)
    manager = staff_user("amil@example.org", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    response = client.post(f"/manage/campaigns/{campaign.slug}/allocation", data={"confirm": "y"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    page = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Allocated: 2 workers, 12 months." in page
    assert 'http-equiv="refresh"' not in page
