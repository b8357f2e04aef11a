"""Claims BPJS paid: tied to the accepted month of the event, shown without naming anyone, counted in the figures."""

import datetime as dt

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from donate.extensions import db
from donate.models import AuditEvent, Claim, ClaimKind, ClaimProgramme, Designation, DonationKind, Role
from donate.months import current_month
from donate.services.campaigns.progress import campaign_progress
from donate.services.campaigns.transparency import campaign_transparency
from donate.services.coverage.allocation import allocate_pool
from donate.services.coverage.claims import ClaimRefused, claim_totals, impact_line, record_claim, recent_impact
from donate.services.donors.gifts import workers_helped
from donate.services.money.donations import confirm_payment, create_donation, start_payment
from donate.services.remittance.batches import acknowledge_batch, create_batch, record_transfer
from donate.services.workers.registry import worker_nik
from tests.conftest import NOW, PREMIUM, TODAY
from tests.manage_helpers import user

TERM = 6


@pytest.fixture
def covered(app, make, books_stay_sound):
    """A fisher in Indragiri Hulu accepted by BPJS from this month for six months, and a worker still waiting for BPJS."""
    campaign = make.campaign()
    fisher = make.worker(campaign, regency_code="1402", occupation="nelayan")
    waiting = make.worker(campaign, regency_code="1471")
    make.paid_gift(campaign, 2 * TERM * PREMIUM, designation=Designation.infak)
    allocate_pool(campaign, today=TODAY, now=NOW)
    month = current_month(TODAY)
    batch = create_batch(campaign, month - 3, month + 11, user=None)
    record_transfer(batch, "TRF-1", transferred_on=TODAY, user=None)
    acknowledge_batch(batch, f"nik;kpj;status;reason\n{worker_nik(fisher)};12345678901;diterima;\n", user=None,
                      skip_invalid=True)
    manager = user("amil@baznas.example", Role.manager)
    return campaign, fisher, waiting, manager


def test_jkm_claim_is_tied_to_the_accepted_month_and_told_without_a_name(covered):
    campaign, fisher, _, manager = covered
    claim = record_claim(fisher, programme=ClaimProgramme.jkm, kind=ClaimKind.heirs, event_date=TODAY,
                         amount_idr=42_000_000, scholarship_idr=0, user=manager, today=TODAY, now=NOW)
    assert claim.coverage_month.month == current_month(TODAY)
    assert claim.coverage_month.worker_id == fisher.id
    with force_locale("id"):
        line = impact_line(claim)
    assert line == "Rp 42.000.000 diterima ahli waris seorang nelayan di Indragiri Hulu"
    assert fisher.full_name not in line and worker_nik(fisher) not in line
    with force_locale("en"):
        assert "heirs" in impact_line(claim)
    params = db.session.scalar(sa.select(AuditEvent.params).where(AuditEvent.action == "claim.record"))
    assert (params["programme"], params["kind"], params["event_date"]) == ("jkm", "heirs", TODAY.isoformat())


def test_claims_are_counted_in_the_progress_transparency_and_totals(covered):
    campaign, fisher, _, manager = covered
    record_claim(fisher, programme=ClaimProgramme.jkk, kind=ClaimKind.medical, event_date=dt.date(2018, 3, 10),
                 amount_idr=7_500_000, user=manager, today=TODAY, now=NOW)
    record_claim(fisher, programme=ClaimProgramme.jkm, kind=ClaimKind.heirs, event_date=TODAY,
                 amount_idr=42_000_000, scholarship_idr=3_000_000, user=manager, today=TODAY, now=NOW)
    progress = campaign_progress(campaign, today=TODAY)
    assert (progress["claims_paid"], progress["claims_paid_idr"]) == (2, 52_500_000)
    assert campaign_transparency(campaign, today=TODAY)["progress"]["claims_paid_idr"] == 52_500_000
    totals = claim_totals(campaign)
    assert (totals.jkk_claims, totals.jkm_claims) == (1, 1)
    assert (totals.jkk_paid_idr, totals.jkm_paid_idr, totals.scholarships_idr) == (7_500_000, 42_000_000, 3_000_000)
    assert claim_totals(campaign, regency_code="1471").claims == 0
    with force_locale("id"):
        lines = recent_impact(campaign)
    assert lines[0].startswith("Rp 42.000.000 diterima ahli waris seorang nelayan di Indragiri Hulu")
    assert "beasiswa Rp 3.000.000" in lines[0]
    assert "perawatan" in lines[1]


def test_a_claim_outside_an_accepted_month_is_refused_naming_the_date(covered):
    campaign, fisher, waiting, manager = covered
    before = TODAY.replace(day=1) - dt.timedelta(days=40)
    with pytest.raises(ClaimRefused) as refused:
        record_claim(fisher, programme=ClaimProgramme.jkm, kind=ClaimKind.heirs, event_date=before,
                     amount_idr=42_000_000, user=manager, today=TODAY, now=NOW)
    assert refused.value.field == "event_date"
    with force_locale("id"):
        assert str(refused.value).startswith("tanggal: ")
    with pytest.raises(ClaimRefused) as refused:  # sent to BPJS, not accepted yet
        record_claim(waiting, programme=ClaimProgramme.jkk, kind=ClaimKind.medical, event_date=TODAY,
                     amount_idr=1_000_000, user=manager, today=TODAY, now=NOW)
    assert refused.value.field == "event_date"
    with pytest.raises(ClaimRefused) as refused:
        record_claim(fisher, programme=ClaimProgramme.jkk, kind=ClaimKind.medical,
                     event_date=TODAY + dt.timedelta(days=1), amount_idr=1_000_000, user=manager, today=TODAY, now=NOW)
    assert refused.value.field == "event_date"
    with pytest.raises(ClaimRefused) as refused:
        record_claim(fisher, programme=ClaimProgramme.jkk, kind=ClaimKind.heirs, event_date=TODAY,
                     amount_idr=1_000_000, user=manager, today=TODAY, now=NOW)
    assert refused.value.field == "kind"
    with pytest.raises(ClaimRefused) as refused:
        record_claim(fisher, programme=ClaimProgramme.jkk, kind=ClaimKind.medical, event_date=TODAY,
                     amount_idr=1_000_000, scholarship_idr=500_000, user=manager, today=TODAY, now=NOW)
    assert refused.value.field == "scholarship_idr"
    with pytest.raises(ClaimRefused) as refused:
        record_claim(fisher, programme=ClaimProgramme.jkk, kind=ClaimKind.medical, event_date=TODAY,
                     amount_idr=0, user=manager, today=TODAY, now=NOW)
    assert refused.value.field == "amount_idr"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0


def test_the_same_benefit_is_recorded_once_and_jkm_once_per_worker(covered):
    campaign, fisher, _, manager = covered
    record_claim(fisher, programme=ClaimProgramme.jkk, kind=ClaimKind.medical, event_date=TODAY,
                 amount_idr=2_000_000, user=manager, today=TODAY, now=NOW)
    with pytest.raises(ClaimRefused):
        record_claim(fisher, programme=ClaimProgramme.jkk, kind=ClaimKind.medical, event_date=TODAY,
                     amount_idr=2_000_000, user=manager, today=TODAY, now=NOW)
    record_claim(fisher, programme=ClaimProgramme.jkm, kind=ClaimKind.heirs, event_date=TODAY,
                 amount_idr=42_000_000, user=manager, today=TODAY, now=NOW)
    with pytest.raises(ClaimRefused):
        record_claim(fisher, programme=ClaimProgramme.jkm, kind=ClaimKind.heirs, event_date=TODAY,
                     amount_idr=42_000_000, user=manager, today=TODAY, now=NOW)
    assert claim_totals(campaign).claims == 2


def test_the_workers_donor_sees_the_claim(app, make, books_stay_sound):
    campaign = make.campaign()
    fisher = make.worker(campaign, regency_code="1402", occupation="nelayan")
    donor = user("donatur@example.org", Role.donor)
    gift = create_donation(campaign, kind=DonationKind.bulk, designation=Designation.infak,
                           amount_idr=TERM * PREMIUM, workers_count=1, months=TERM, donor_id=donor.id)
    confirm_payment(start_payment(gift, "sandbox", "sbx_claims").id, today=TODAY, now=NOW)
    month = current_month(TODAY)
    batch = create_batch(campaign, month - 3, month + 11, user=None)
    record_transfer(batch, "TRF-2", transferred_on=TODAY, user=None)
    acknowledge_batch(batch, f"nik;kpj;status;reason\n{worker_nik(fisher)};12345678902;diterima;\n", user=None)
    record_claim(fisher, programme=ClaimProgramme.jkm, kind=ClaimKind.heirs, event_date=TODAY,
                 amount_idr=42_000_000, user=None, today=TODAY, now=NOW)
    with force_locale("id"):
        helped = workers_helped(donor, today=TODAY)
    assert [h.impact for h in helped] == [("Rp 42.000.000 diterima ahli waris seorang nelayan di Indragiri Hulu",)]
