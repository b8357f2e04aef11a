"""What misled donors, managers and families (issue 13), each pinned by a test."""

import datetime as dt
import html
import re

import sqlalchemy as sa

from donate import clock
from donate.demo import DEMO_SLUG, load_demo
from donate.extensions import db
from donate.models import Campaign, Designation, DonationKind, Hold, Role
from donate.models.base import utcnow
from donate.months import current_month
from donate.services.access.accounts import create_user, email_confirmation_token
from donate.services.coverage.allocation import allocate_pool
from donate.services.money.donations import create_donation
from donate.services.remittance.batches import (
    acknowledge_batch,
    create_batch,
    record_transfer,
)
from donate.services.workers.registry import worker_nik
from tests.manage_helpers import login, staff_user


def checked_radios(page: str, name: str) -> list[str]:
    return [tag for tag in re.findall(r"<input[^>]*>", page) if f'name="{name}"' in tag and "checked" in tag]


def test_campaign_title_is_plain_text(client, make):
    campaign = make.campaign("gn", name="GN Lingkaran 2018")
    make.paid_gift(campaign, 100_800, donor_name="Ahmad", message="Semoga berkah")
    db.session.commit()
    page = client.get("/campaigns/gn").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<" not in html.unescape(title) and html.unescape(title).startswith("GN Lingkaran 2018")


def test_no_designation_is_preselected_on_gift_forms(client, make):
    campaign = make.campaign("gn")
    worker = make.worker(campaign)
    db.session.commit()
    for path in ("/donor/campaigns/gn/give", "/donor/campaigns/gn/fund",
                 f"/donor/campaigns/gn/workers/{worker.public_id}"):
        page = client.get(path).get_data(as_text=True)
        assert 'name="designation"' in page, path
        assert checked_radios(page, "designation") == [], path


def test_a_gift_without_a_designation_is_refused_with_a_message(client, make):
    make.campaign("gn")
    db.session.commit()
    response = client.post("/donor/campaigns/gn/give", data={"amount": "100800", "donor_name": "Siti",
                                                             "donor_email": "siti@example.com"})
    assert response.status_code == 200
    assert "Pilih jenis donasi ini" in response.get_data(as_text=True)


def test_manager_funding_form_has_no_default_designation(client, make):
    campaign = make.campaign("gn")
    manager = staff_user("amil@example.com", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    page = client.get("/manage/campaigns/gn/funding").get_data(as_text=True)
    assert checked_radios(page, "designation") == [] and "selected" not in page.split('name="designation"')[-1][:400]
    response = client.post("/manage/campaigns/gn/funding", data={
        "source": "apbd", "funder": "APBD Provinsi Riau", "amount_idr": "20160000"})
    assert response.status_code == 200
    assert "Pilih jenis dana ini" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1


def test_hamba_allah_gifts_show_in_recent_supporters_with_their_message(client, make):
    campaign = make.campaign("gn")
    make.paid_gift(campaign, 50_400, donor_name="Siti Rahma", is_anonymous=True,
                   message="Semoga keluarga mereka tenang bekerja")
    db.session.commit()
    page = client.get("/campaigns/gn").get_data(as_text=True)
    supporters = page.split('class="supporters"')[1].split("</ul>")[0]
    assert "Hamba Allah" in supporters and "Semoga keluarga mereka tenang bekerja" in supporters
    assert "Siti Rahma" not in page


def test_a_worker_bpjs_rejected_is_told_why_and_what_to_do(client, make):
    campaign = make.campaign("gn", name="Pekerja Rentan Riau")
    budi = make.worker(campaign, full_name="Budi Santoso")
    make.paid_gift(campaign, 6 * 16_800, designation=Designation.csr)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    month = current_month(clock.today())
    batch = create_batch(campaign, month - 3, month + 11, user=None)
    record_transfer(batch, "TRF-1", transferred_on=dt.date.today(), user=None)
    acknowledge_batch(batch, "nik;kpj;status;reason\n"
                      f"{worker_nik(budi)};;ditolak;NIK tidak ditemukan di data Dukcapil\n", user=None)
    db.session.commit()

    page = client.post("/status/", data={"nik": worker_nik(budi), "full_name": "Budi Santoso"}).get_data(as_text=True)
    answer = page.split('id="answer"')[1]
    assert 'data-status="rejected"' in page
    assert "Menunggu donatur" not in answer
    assert "ditolak" in answer.lower() and "NIK tidak ditemukan di data Dukcapil" in answer
    assert "175" in answer
    api = client.post("/api/v1/status", json={"nik": worker_nik(budi), "full_name": "Budi Santoso"}).get_json()
    # The API keeps its documented statuses: refused is told by its own field, with BPJS's reason.
    assert api["status"] == "waiting" and api["registration_refused"] is True
    assert api["rejection_reason"] == "NIK tidak ditemukan di data Dukcapil" and api["queue"] == "needs_attention"


def test_demo_campaign_runs_around_today(client, app):
    today = dt.date.today()
    load_demo(6, manager_email="m@example.com", manager_password="demo-password-1", today=today, now=clock.now())
    db.session.commit()
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == DEMO_SLUG))
    assert (campaign.name, campaign.target_workers, campaign.term_months) == ("GN Lingkaran 2018", 100_000, 6)
    assert campaign.starts_on <= today < campaign.ends_on
    assert [r.code for r in campaign.regions]
    later = dt.date(2031, 2, 28)
    from donate.demo import demo_campaign
    moved = demo_campaign(later)
    assert moved.starts_on <= later < moved.ends_on and moved.name == campaign.name


def test_a_held_worker_is_not_offered_and_the_form_says_so_before_it_is_filled(client, make):
    campaign = make.campaign("gn")
    worker = make.worker(campaign, full_name="Budi Santoso")
    other = make.worker(campaign, full_name="Joko Susilo")
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.infak,
                               amount_idr=6 * 16_800, worker=worker, months=6, donor_email="a@example.com")
    db.session.add(Hold(worker_id=worker.id, donation_id=donation.id, first_month=current_month(clock.today()),
                        months=6,
                        expires_at=utcnow() + dt.timedelta(minutes=30)))
    db.session.commit()

    listing = client.get("/donor/campaigns/gn/workers").get_data(as_text=True)
    assert worker.public_id not in listing and other.public_id in listing
    response = client.get(f"/donor/campaigns/gn/workers/{worker.public_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "donatur lain" in page.lower() and 'name="donor_email"' not in page


def test_confirm_your_email_prompt_goes_once_confirmed(client):
    user = create_user("siti@example.com", "rahasia-sekali", name="Siti")
    db.session.commit()
    login(client, user)
    assert "Kirim ulang tautan konfirmasi" in client.get("/donor/").get_data(as_text=True)
    client.get(f"/auth/confirm/{email_confirmation_token(user)}")
    assert "Kirim ulang tautan konfirmasi" not in client.get("/donor/").get_data(as_text=True)
    assert user.email_confirmed_at is not None
