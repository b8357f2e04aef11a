"""Upper bounds: absurd amounts, targets, months and dates are refused with a message that says what."""

import html

import sqlalchemy as sa

from donate.extensions import db
from donate.models import Donation, Role
from donate.services.campaigns.settings import CampaignInvalid, parse_regions
from tests.manage_helpers import login, staff_user

BIGINT = "9223372036854775807"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_record_funding_refuses_a_bigint_amount(runner, make):
    make.campaign("riau")
    db.session.commit()
    result = runner.invoke(args=["record-funding", "riau", BIGINT, "--funder", "APBD"])
    assert result.exit_code == 1
    assert "paling banyak Rp 1.000.000.000.000" in result.output and count(Donation) == 0


def test_manager_funding_form_refuses_a_bigint_amount(client, make):
    campaign = make.campaign("riau")
    manager = staff_user("m@example.org", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    page = client.post("/manage/campaigns/riau/funding?lang=en", data={
        "source": "apbd", "funder": "APBD", "amount_idr": BIGINT, "designation": "csr"})
    assert page.status_code in (200, 400)
    assert "Number must be between 1 and 1000000000000" in html.unescape(page.get_data(as_text=True))
    assert count(Donation) == 0


def test_targets_of_two_to_the_31_and_region_targets_are_bounded(client, make):
    campaign = make.campaign("riau")
    manager = staff_user("m@example.org", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    page = client.post("/manage/campaigns/riau/edit?lang=en", data={
        "name": "Riau", "target_workers": str(2 ** 31), "term_months": "6", "designations": ["infak"]})
    assert "Number must be between 1 and 100000000" in html.unescape(page.get_data(as_text=True))
    try:
        parse_regions("1402: 99999999999")
    except CampaignInvalid as exc:
        assert "paling banyak 100000000 pekerja" in str(exc)
    else:
        raise AssertionError("a region target of 10^11 was accepted")
    page = client.post("/manage/campaigns/riau/edit?lang=en", data={
        "name": "Riau", "target_workers": "10", "term_months": "6", "designations": ["infak"],
        "starts_on": "0001-01-01"})
    assert "Enter a date between 2000-01-01 and 2100-12-31" in html.unescape(page.get_data(as_text=True))


def test_gifts_refuse_unicode_digits_and_absurd_counts(client, make):
    make.campaign("riau")
    db.session.commit()
    page = client.post("/donor/campaigns/riau/give?lang=en", data={
        "designation": "infak", "amount": "²²²²²", "donor_email": "d@example.org", "donor_name": "D"})
    assert page.status_code in (200, 400) and "Choose or enter an amount." in page.get_data(as_text=True)
    page = client.post("/donor/campaigns/riau/fund?lang=en", data={
        "designation": "infak", "workers": "1000000000", "months": "12", "donor_email": "d@example.org",
        "donor_name": "D"})
    assert "Number must be between 1 and 100000" in page.get_data(as_text=True)
    assert count(Donation) == 0


def test_audit_dates_far_in_the_past_or_future_are_refused(client, make):
    admin = staff_user("a@example.org", Role.admin)
    db.session.commit()
    login(client, admin)
    page = client.get("/manage/audit?lang=en&since=0001-01-01&until=9999-12-31")
    assert page.status_code in (200, 400)
    assert "Enter a date between 2000-01-01 and 2100-12-31" in page.get_data(as_text=True)
