"""Each public page runs the same number of queries whatever the size of the campaign."""

import datetime as dt

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import CoverageMonth, Designation, DonationKind
from donate.months import current_month
from donate.services.coverage.allocation import allocate_pool
from donate.services.coverage.lookup import worker_status
from donate.services.money.donations import confirm_payment, create_donation, start_payment
from donate.services.remittance.batches import (
    acknowledge_batch,
    create_batch,
    record_transfer,
)
from donate.services.workers.registry import worker_nik

TERM_COST = 6 * 16_800
PAGES = ("/", "/campaigns/{slug}", "/campaigns/{slug}?page=2", "/api/v1/campaigns/{slug}",
         "/embed/campaigns/{slug}", "/transparency/{slug}", "/donor/campaigns/{slug}/workers",
         "/donor/campaigns/{slug}/workers?page=2", "/donor/campaigns/{slug}/workers?regency=1402&occupation=ojek",
         "/api/v1/campaigns", "/status/")


def _grow(make, campaign, workers: int) -> dict[str, dict]:
    """Give the campaign ``workers`` more workers, gifts for half of them, a batch and its answer.

    Return a status look-up for a worker in each state the status API answers.
    """
    made = make.workers(campaign, workers, regency_code="1402")
    for i in range(workers // 2):
        make.paid_gift(campaign, TERM_COST, designation=Designation.infak, donor_email=f"d{workers}-{i}@example.org",
                       message=f"Semoga berkah {i}")
    make.paid_gift(campaign, 16_800, kind=DonationKind.worker, worker=made[-1], months=1,
                   designation=Designation.csr, funder=f"CSR {workers}")
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    batch = create_batch(campaign, current_month(clock.today()) - 3, current_month(clock.today()) + 12, user=None)
    record_transfer(batch, f"TRF-{workers}", transferred_on=dt.date.today(), user=None)
    in_batch = set(db.session.scalars(sa.select(CoverageMonth.worker_id).where(CoverageMonth.batch_id == batch.id)))
    sent = [w for w in made if w.id in in_batch]
    answered = sent[: len(sent) // 2]  # the rest stay funded, not yet answered
    acknowledge_batch(batch, "nik;kpj;status;reason\n" + "".join(
        f"{worker_nik(w)};{workers:03d}{i:08d};diterima;\n" for i, w in enumerate(answered[:-1])) +
        f"{worker_nik(answered[-1])};;ditolak;data tidak cocok\n", user=None)
    lapsed = make.worker(campaign, regency_code="1402")
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.csr, amount_idr=16_800,
                               worker=lapsed, months=1, donor_email=f"old{workers}@example.org")
    confirm_payment(start_payment(donation, "sandbox", f"old-{workers}").id,
                    today=clock.today() - dt.timedelta(days=300), now=clock.now())
    db.session.commit()
    bodies = {}
    for worker in [lapsed, *made]:
        state = worker_status(worker, today=clock.today()).status
        bodies.setdefault(state, {"nik": worker_nik(worker), "full_name": worker.full_name})
    bodies["not_found"] = {"nik": worker_nik(made[0]), "full_name": "Bukan Namanya"}
    assert set(bodies) == {"protected", "funded", "waiting", "lapsed", "rejected", "not_found"}, set(bodies)
    return bodies


def _counts(client, count_queries, slug: str, statuses: dict[str, dict]) -> dict[str, int]:
    counts = {}
    for page in PAGES:
        path = page.format(slug=slug)
        client.get(path)
        with count_queries() as counted:
            assert client.get(path).status_code == 200, path
        counts[path] = counted.count
    for state, body in statuses.items():
        answer = client.post("/api/v1/status", json=body).get_json()
        assert (answer["status"], answer["registration_refused"]) == (
            ("waiting", True) if state == "rejected" else (state, False))
        with count_queries() as counted:
            assert client.post("/api/v1/status", json=body).status_code == 200
        counts[f"status {state}"] = counted.count
    return counts


def test_public_pages_cost_the_same_queries_at_two_sizes(app, client, make, count_queries):
    app.config.update(STATUS_RATELIMIT_CLIENT="1000 per minute", STATUS_RATELIMIT_WORKER="1000 per minute")
    campaign = make.campaign(slug="grows", regions=(("1402", None),))
    small = _counts(client, count_queries, "grows", _grow(make, campaign, 44))
    large = _counts(client, count_queries, "grows", _grow(make, campaign, 104))
    assert small == large
    assert all(count <= 10 for count in large.values()), large
