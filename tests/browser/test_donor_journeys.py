"""Donor journeys in a real browser (Debian's Chromium) through the sandbox checkout, in both languages."""

import re

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import CoverageMonth, Hold, OutboxMessage
from donate.services.ledger import check_ledger

TEXT = {
    "id": {"thanks": "Terima kasih", "failed": "Pembayaran tidak berhasil", "sponsor": "Biayai seorang pekerja",
           "fund": "Danai banyak pekerja", "register": "Buat akun", "protected": "menunggu konfirmasi BPJS"},
    "en": {"thanks": "Thank you", "failed": "The payment did not go through", "sponsor": "Sponsor a worker",
           "fund": "Fund many workers", "register": "Create an account", "protected": "waiting for BPJS to confirm"},
}


@pytest.fixture(params=["id", "en"])
def lang(request, page):
    """Browse in Indonesian (the default) or choose English once, as a visitor would."""
    if request.param == "en":
        page.goto("/?lang=en")
    return request.param


def workers_funded(page) -> int:
    """Read the "workers funded" figure off the campaign page."""
    text = page.locator("dl.figures > div").first.locator("dd").first.inner_text()
    return int(re.sub(r"\D", "", text))


def fill_donor(page, name: str, email: str, designation: str = "infak") -> None:
    if page.locator("input[name=designation]:checked").count() == 0:  # nothing is preselected
        page.check(f"input[name=designation][value={designation}]")
    page.fill("input[name=donor_name]", name)
    page.fill("input[name=donor_email]", email)


def test_new_visitor_sponsors_a_worker_for_six_months_and_sees_them_on_their_page(app, make, page, lang):
    campaign = make.campaign("gn-lingkaran-2018", name="GN Lingkaran 2018", target_workers=100_000)
    worker = make.worker(campaign, full_name="Budi Santoso", occupation="ojek")
    db.session.commit()
    t = TEXT[lang]

    page.goto("/campaigns/gn-lingkaran-2018")
    page.get_by_role("link", name=t["sponsor"]).click()
    page.locator("ul.workers li", has_text=worker.display_name).get_by_role("link").click()
    page.check("input[name=months][value='6']")
    fill_donor(page, "Siti Aminah", "siti@example.com")
    page.locator("form.stack button[type=submit]").click()
    assert "/sandbox/checkout/" in page.url
    page.click("button[value=pay]")
    assert t["thanks"] in page.inner_text("main")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageMonth)
                             .where(CoverageMonth.worker_id == worker.id)) == 6

    # Register with the same email, confirm it from the emailed link, and find the worker.
    page.locator("main").get_by_role("link", name=t["register"]).click()
    page.fill("input[name=name]", "Siti Aminah")
    assert page.input_value("input[name=email]") == "siti@example.com"
    page.fill("input[name=password]", "rahasia123")
    page.fill("input[name=confirm]", "rahasia123")
    page.locator("form.stack button[type=submit]").click()
    mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "confirm_email"))
    link = re.search(r"/auth/confirm/\S+", mail.body).group(0)
    page.goto(link)
    helped = page.locator("table.helped").inner_text()
    assert worker.display_name in helped and "6" in helped and t["protected"] in helped
    assert "LDG-" in page.locator("table.gifts").inner_text()
    assert check_ledger() == []


def test_company_funds_fifty_workers_for_the_campaign_term(app, make, page, lang):
    campaign = make.campaign("gn-lingkaran-2018", name="GN Lingkaran 2018", target_workers=100_000,
                             term_months=6)
    make.workers(campaign, 55)
    db.session.commit()
    t = TEXT[lang]

    page.goto("/campaigns/gn-lingkaran-2018")
    before = workers_funded(page)
    page.get_by_role("link", name=t["fund"]).click()
    page.fill("input[name=workers]", "50")
    assert page.input_value("input[name=months]") == "6"
    page.check("input[name=designation][value=csr]")
    fill_donor(page, "PT Sawit Makmur", "csr@sawit.example")
    page.fill("input[name=npwp]", "01.234.567.8-901.000")
    page.click("button[name=quote]")  # the total before checkout, without JavaScript
    assert "Rp 5.040.000" in page.inner_text("#total")  # 50 × 6 × Rp 16.800
    assert page.input_value("input[name=donor_email]") == "csr@sawit.example"
    page.locator("form.stack > button[type=submit]").click()
    assert "Rp 5.040.000" in page.inner_text("main")
    page.click("button[value=pay]")
    assert t["thanks"] in page.inner_text("main")
    page.goto("/campaigns/gn-lingkaran-2018")
    assert workers_funded(page) == before + 50
    assert check_ledger() == []


@pytest.mark.parametrize("outcome", ["fail", "cancel"])
def test_failed_or_cancelled_payment_leaves_nothing_funded_and_the_worker_free(app, make, page, lang, outcome):
    campaign = make.campaign("gn-lingkaran-2018", name="GN Lingkaran 2018", target_workers=100_000)
    worker = make.worker(campaign, full_name="Joko Susilo", occupation="nelayan")
    db.session.commit()
    t = TEXT[lang]

    page.goto("/donor/campaigns/gn-lingkaran-2018/workers")
    page.locator("ul.workers li", has_text=worker.display_name).get_by_role("link").click()
    fill_donor(page, "Ani", "ani@example.com")
    page.locator("form.stack button[type=submit]").click()
    page.click(f"button[value={outcome}]")
    assert t["failed"] in page.inner_text("main")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageMonth)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Hold)) == 0
    page.goto("/donor/campaigns/gn-lingkaran-2018/workers")
    assert worker.display_name in page.locator("ul.workers").inner_text()
    assert check_ledger() == []
