"""A family member checks a protected worker by NIK and name, then by the card's QR link."""

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import CoverageMonth, CoverageState, Designation, DonationKind
from donate.services.coverage.links import issue_status_link
from donate.services.money.donations import (
    confirm_payment,
    create_donation,
    start_payment,
)
from donate.services.workers.registry import worker_nik


def test_family_checks_a_protected_worker(make, page):
    campaign = make.campaign("riau", name="Pekerja Rentan Riau")
    worker = make.worker(campaign, full_name="Budi Santoso", regency_code="1402")
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.csr,
                               amount_idr=6 * 16_800, worker=worker, months=6, donor_name="PT Sawit Lestari")
    confirm_payment(start_payment(donation, "sandbox", "sbx_browser_status").id, now=clock.now(), today=clock.today())
    db.session.execute(sa.update(CoverageMonth).where(CoverageMonth.worker_id == worker.id)
                       .values(state=CoverageState.accepted))
    worker.kpj = "12345678901"
    token = issue_status_link(worker, now=clock.now())
    nik = worker_nik(worker)
    db.session.commit()

    page.goto("/status/?lang=en")
    page.get_by_label("NIK (16 digits on the KTP)").fill(nik)
    page.get_by_label("Full name as on the KTP").fill("budi santoso")
    page.locator("#by-nik").get_by_role("button", name="Check").click()
    answer = page.locator("#answer")
    assert answer.get_attribute("data-status") == "protected"
    assert "Protected by BPJS Ketenagakerjaan from" in answer.inner_text()
    assert "PT Sawit Lestari" in answer.inner_text()
    assert "175" in page.locator("#benefits").inner_text()
    assert nik not in page.url and nik not in page.content()

    page.goto(f"/status/link/{token}")
    assert page.locator("#answer").get_attribute("data-status") == "protected"
    assert "B*** S******" in page.locator("#answer").inner_text()

    page.goto("/status/")
    page.locator("#by-nik input[name=nik]").fill(nik)
    page.locator("#by-nik input[name=full_name]").fill("Budi Santosa")
    page.locator("#by-nik button").click()
    assert page.locator("#answer").get_attribute("data-status") == "not_found"
    assert page.locator("#benefits").count() == 0
