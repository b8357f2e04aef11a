"""A new visitor reaches the demo campaign's progress from the home page."""

from donate import clock
from donate.extensions import db
from donate.models import Designation
from donate.services.coverage.allocation import allocate_pool


def test_visitor_sees_campaign_progress(app, make, page):
    campaign = make.campaign("gn-lingkaran-2018", name="GN Lingkaran 2018", target_workers=100_000,
                             regions=(("1402", 1041),))
    make.workers(campaign, 3, regency_code="1402")
    make.paid_gift(campaign, 2 * 6 * 16_800, designation=Designation.csr)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    db.session.commit()

    page.goto("/")
    page.get_by_role("link", name="GN Lingkaran 2018").first.click()
    assert page.url.endswith("/campaigns/gn-lingkaran-2018")
    figures = page.locator("dl.figures").inner_text()
    assert "Rp 201.600" in figures
    assert "Indragiri Hulu" in page.locator("table.regions").inner_text()
