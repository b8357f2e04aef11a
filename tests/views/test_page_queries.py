"""Each public page runs the same number of queries whatever the size of the campaign."""

import datetime as dt

from donate import clock
from donate.extensions import db
from donate.models import Designation, DonationKind
from donate.months import current_month
from donate.services.coverage.allocation import allocate_pool
from donate.services.remittance.batches import (
    acknowledge_batch,
    create_batch,
    record_transfer,
)
from donate.services.workers.registry import worker_nik

TERM_COST = 6 * 16_800
PAGES = ("/", "/campaigns/{slug}", "/api/v1/campaigns/{slug}", "/embed/campaigns/{slug}",
         "/transparency/{slug}", "/donor/campaigns/{slug}/workers", "/api/v1/campaigns")


def _grow(make, campaign, workers: int) -> dict:
    """Give the campaign ``workers`` more workers, gifts for half of them, a batch and its answer."""
    made = make.workers(campaign, workers, regency_code="1402")
    for i in range(workers // 2):
        make.paid_gift(campaign, TERM_COST, designation=Designation.infak, donor_email=f"d{workers}-{i}@example.org")
    make.paid_gift(campaign, 16_800, kind=DonationKind.worker, worker=made[-1], months=1,
                   designation=Designation.csr, funder=f"CSR {workers}")
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    batch = create_batch(campaign, current_month(clock.today()) - 3, current_month(clock.today()) + 12, user=None)
    record_transfer(batch, f"TRF-{workers}", transferred_on=dt.date.today(), user=None)
    answered = made[: workers // 2]
    acknowledge_batch(batch, "nik;kpj;status;reason\n" + "".join(
        f"{worker_nik(w)};{workers:02d}{i:09d};diterima;\n" for i, w in enumerate(answered[:-1])) +
        f"{worker_nik(answered[-1])};;ditolak;data tidak cocok\n", user=None)
    db.session.commit()
    return {"nik": worker_nik(made[-2]), "full_name": made[-2].full_name}


def _counts(client, count_queries, slug: str, status: dict) -> dict[str, int]:
    counts = {}
    for page in PAGES:
        path = page.format(slug=slug)
        client.get(path)
        with count_queries() as counted:
            assert client.get(path).status_code == 200, path
        counts[path] = counted.count
    with count_queries() as counted:
        assert client.post("/api/v1/status", json=status).status_code == 200
    counts["status"] = counted.count
    return counts


def test_public_pages_cost_the_same_queries_at_two_sizes(app, client, make, count_queries):
    campaign = make.campaign(slug="grows", regions=(("1402", None),))
    small = _counts(client, count_queries, "grows", _grow(make, campaign, 4))
    large = _counts(client, count_queries, "grows", _grow(make, campaign, 24))
    assert small == large
    assert all(count <= 10 for count in large.values()), large
