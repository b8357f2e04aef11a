"""Claims on the pages: the manager's form on the worker's page, the campaign page, transparency and the API."""

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import Claim, Designation, Role
from donate.months import current_month
from donate.services.coverage.allocation import allocate_pool
from donate.services.remittance.batches import acknowledge_batch, create_batch, record_transfer
from donate.services.workers.registry import worker_nik
from tests.conftest import PREMIUM
from tests.manage_helpers import login, staff_user


def _accepted_fisher(make):
    campaign = make.campaign("riau-klaim")
    fisher = make.worker(campaign, regency_code="1402", occupation="nelayan", full_name="Sutan Nelayan")
    make.paid_gift(campaign, 6 * PREMIUM, designation=Designation.infak)
    today = clock.today()
    allocate_pool(campaign, today=today, now=clock.now())
    batch = create_batch(campaign, current_month(today) - 3, current_month(today) + 11, user=None)
    record_transfer(batch, "TRF-K", transferred_on=today, user=None)
    acknowledge_batch(batch, f"nik;kpj;status;reason\n{worker_nik(fisher)};12345678909;diterima;\n", user=None)
    manager = staff_user("amil@baznas.example", Role.manager, campaign)
    verifier = staff_user("verifikator@baznas.example", Role.verifier, campaign)
    db.session.commit()
    return campaign, fisher, manager, verifier


def test_manager_records_a_jkm_claim_and_the_public_sees_it_without_a_name(app, client, make):
    campaign, fisher, manager, verifier = _accepted_fisher(make)
    url = f"/manage/campaigns/riau-klaim/workers/{fisher.public_id}/claims"
    form = {"programme": "jkm", "kind": "heirs", "event_date": clock.today().isoformat(),
            "amount_idr": "42000000", "scholarship_idr": "0"}
    login(client, verifier)
    assert client.post(url, data=form).status_code == 403
    login(client, manager)
    page = client.get(f"/manage/campaigns/riau-klaim/workers/{fisher.public_id}").get_data(as_text=True)
    assert "Catat klaim" in page
    assert client.post(url, data=form).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 1

    public = client.get("/campaigns/riau-klaim").get_data(as_text=True)
    assert "Rp 42.000.000 diterima ahli waris seorang nelayan di Indragiri Hulu" in public
    assert "Sutan" not in public
    assert "Klaim yang dibayar BPJS" in client.get("/transparency/riau-klaim").get_data(as_text=True)
    api = client.get("/api/v1/campaigns/riau-klaim").get_json()
    assert (api["claims_paid"], api["claims_paid_idr"]) == (1, 42_000_000)
    english = client.get("/campaigns/riau-klaim?lang=en").get_data(as_text=True)
    assert "received by the heirs of a nelayan in Indragiri Hulu" in english


def test_a_claim_for_a_month_not_covered_is_refused_at_the_date_field(app, client, make):
    campaign, fisher, manager, _ = _accepted_fisher(make)
    login(client, manager)
    response = client.post(f"/manage/campaigns/riau-klaim/workers/{fisher.public_id}/claims", data={
        "programme": "jkk", "kind": "medical", "event_date": "2001-05-04", "amount_idr": "1000000"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "kampanye tidak menanggung pekerja ini pada 2001-05" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0
