"""Sponsors hear, once, that the worker they paid for is covered only until the end of the month."""

import sqlalchemy as sa

from donate.extensions import db
from donate.maintenance import tick
from donate.models import DonationKind, OutboxMessage


def sponsor(make, campaign, worker, months, email="sponsor@example.test"):
    return make.paid_gift(campaign, months * 16_800, kind=DonationKind.worker, worker=worker, months=months,
                          donor_email=email, donor_name="Ibu Sponsor")


def reminders():
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "renewal_reminder").order_by(OutboxMessage.id)).all()


def test_a_sponsor_is_reminded_once_when_cover_ends_this_month(app, make):
    campaign = make.campaign()
    ending, continuing = make.worker(campaign), make.worker(campaign)
    sponsor(make, campaign, ending, 1)
    sponsor(make, campaign, continuing, 3)

    assert tick()["renewal_reminders_sent"] == 1
    assert tick()["renewal_reminders_sent"] == 0
    [message] = reminders()
    assert message.to_email == "sponsor@example.test"
    assert ending.display_name in message.subject
    assert "/donor/" in message.body


def test_every_sponsor_whose_worker_ends_now_is_reminded(app, make):
    campaign = make.campaign()
    worker = make.worker(campaign)
    sponsor(make, campaign, worker, 1, email="first@example.test")
    other = make.worker(campaign)
    sponsor(make, campaign, other, 1, email="second@example.test")
    assert tick()["renewal_reminders_sent"] == 2
    assert sorted(m.to_email for m in reminders()) == ["first@example.test", "second@example.test"]


def test_the_tick_command_sends_reminders_with_links_to_the_public_site(app, make, runner):
    app.config.update(PUBLIC_URL="https://lindungi.example", SERVER_NAME=None)
    campaign = make.campaign()
    sponsor(make, campaign, make.worker(campaign), 1)
    db.session.commit()
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert "renewal reminders sent: 1" in result.output
    assert "https://lindungi.example/donor/" in reminders()[0].body
