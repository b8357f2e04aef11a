"""Going on alone: one notice per worker and end of cover, by the message provider, on the status page, and BPJS's word."""

import datetime as dt
import io
import logging

import pytest
import sqlalchemy as sa

from donate.crypto import vault
from donate.extensions import db
from donate.maintenance import tick
from donate.models import Designation, MandiriNotice, Role, Subscription, SubscriptionState
from donate.months import current_month
from donate.services.coverage.allocation import allocate_pool
from donate.services.coverage.lookup import check_status
from donate.services.coverage.mandiri import import_bpjs_status, mandiri_overview, queue_mandiri_notices
from donate.services.remittance.batches import acknowledge_batch, create_batch, record_transfer
from donate.services.workers.registry import worker_nik
from tests.conftest import NOW, PREMIUM, TODAY
from tests.manage_helpers import login, staff_user

TERM = 6
#: The month after the cover (March to August 2018) ended.
AFTER = dt.date(2018, 9, 10)
LATER = dt.datetime(2018, 9, 10, 8, 0)


@pytest.fixture
def ended(app, make, books_stay_sound):
    """Four workers accepted by BPJS for March to August 2018: two with phones, one without, one on a monthly plan."""
    campaign = make.campaign("riau")
    workers = make.workers(campaign, 4, regency_code="1402")
    for worker, phone in zip(workers, ("081234567890", "081298765432", None, "081200001111")):
        worker.phone_encrypted = vault().encrypt(phone) if phone else None
    make.paid_gift(campaign, 4 * TERM * PREMIUM, designation=Designation.infak)
    allocate_pool(campaign, today=TODAY, now=NOW)
    month = current_month(TODAY)
    batch = create_batch(campaign, month - 3, month + 11, user=None)
    record_transfer(batch, "TRF-1", transferred_on=TODAY, user=None)
    acknowledge_batch(batch, "nik;kpj;status;reason\n" + "".join(
        f"{worker_nik(w)};{i + 1:011d};diterima;\n" for i, w in enumerate(workers)), user=None)
    gift = make.paid_gift(campaign, PREMIUM, designation=Designation.infak)
    db.session.add(Subscription(donation_id=gift.id, worker_id=workers[3].id, provider="sandbox",
                                designation=Designation.infak, amount_idr=PREMIUM, state=SubscriptionState.active))
    db.session.commit()
    return campaign, workers


def test_each_worker_is_told_once_by_the_provider_and_on_the_status_page(ended, caplog):
    campaign, workers = ended
    caplog.set_level(logging.INFO)
    assert queue_mandiri_notices(today=dt.date(2018, 8, 20), now=NOW) == 0  # the cover has not ended yet
    assert queue_mandiri_notices(today=AFTER, now=LATER) == 3  # not the one a monthly sponsorship renews
    db.session.commit()  # the messages go out after commit
    notices = {n.worker_id: n for n in db.session.scalars(sa.select(MandiriNotice))}
    assert set(notices) == {w.id for w in workers[:3]}
    first = notices[workers[0].id]
    assert (first.monthly_idr, first.arrears_until, first.channel) == (PREMIUM, dt.date(2018, 11, 30), "whatsapp")
    assert first.sent_at is not None and first.provider == "log" and first.provider_ref.startswith("log-")
    assert notices[workers[2].id].channel == "none" and notices[workers[2].id].sent_at is None
    logged = "\n".join(r.getMessage() for r in caplog.records if "message log-" in r.getMessage())
    assert "***7890" in logged and "081234567890" not in logged
    assert "Rp 16.800" in logged and "30 November 2018" in logged and "31 Agustus 2018" in logged and "JMO" in logged
    assert queue_mandiri_notices(today=AFTER, now=LATER) == 0
    assert tick(now=LATER, today=AFTER)["mandiri_notices_queued"] == 0

    answer = check_status(nik=worker_nik(workers[0]), full_name=workers[0].full_name, today=AFTER)
    assert answer.status == "lapsed" and answer.mandiri_sent_on == first.sent_at.date()
    assert "mandiri" not in str(answer.as_json())


def test_bpjs_status_tells_who_went_on_paying_and_who_lapsed(ended):
    campaign, workers = ended
    queue_mandiri_notices(today=AFTER, now=LATER)
    db.session.commit()
    report = import_bpjs_status(campaign, f"nik,paid_until\n{worker_nik(workers[0])},2018-10\n", user=None, now=LATER)
    assert (report.updated, report.errors) == (1, [])
    counts, rows = mandiri_overview(campaign, today=AFTER)
    assert counts == {"continued": 1, "arrears": 2, "lapsed": 0}
    counts, _ = mandiri_overview(campaign, today=dt.date(2019, 1, 5))
    assert counts == {"continued": 1, "arrears": 0, "lapsed": 2}
    bad = import_bpjs_status(campaign, f"nik,paid_until\n{worker_nik(workers[1])},Oktober\n3171011501900001,2018-10\n",
                             user=None, now=LATER)
    assert [line for line, _ in bad.errors] == [2, 3] and bad.updated == 0


def test_the_manager_sees_the_notices_and_uploads_bpjs_report(ended, client):
    campaign, workers = ended
    queue_mandiri_notices(today=AFTER, now=LATER)
    manager = staff_user("amil@baznas.example", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    page = client.get("/manage/campaigns/riau/mandiri").get_data(as_text=True)
    assert '<dd class="arrears">' in page and workers[0].display_name in page
    response = client.post("/manage/campaigns/riau/mandiri", data={"file": (
        io.BytesIO(f"nik,paid_until\n{worker_nik(workers[0])},2018-12\n".encode()), "status.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.get(MandiriNotice, (workers[0].id, current_month(AFTER) - 1)).paid_until_month is not None


def test_the_status_page_repeats_the_notice(ended, client):
    import time_machine

    _, workers = ended
    queue_mandiri_notices(today=AFTER, now=LATER)
    db.session.commit()
    with time_machine.travel(dt.datetime(2018, 9, 12, 3, 0, tzinfo=dt.UTC), tick=False):
        page = client.post("/status/", data={"nik": worker_nik(workers[0]), "full_name": workers[0].full_name})
    text = page.get_data(as_text=True)
    assert "lanjut mandiri" in text and "WhatsApp" in text and "30 November 2018" in text
