"""Doa with Aamiin and a manager's hide; Kabar terbaru shown and emailed once per donor, with a working unsubscribe."""

import re

import sqlalchemy as sa

from donate.extensions import db
from donate.models import Amin, AuditEvent, Donation, OutboxMessage, Role, UpdateOptOut
from donate.models.base import utcnow
from donate.services.access.accounts import create_user
from donate.services.campaigns.updates import post_update
from donate.services.donors.doa import PER_PAGE, prayers
from tests.manage_helpers import login, staff_user


def doa_section(client, url="/campaigns/gn") -> str:
    return client.get(url).get_data(as_text=True).split('id="doa"')[1].split("</section>")[0]


def amin_count(donation) -> int:
    db.session.expire(donation)
    return donation.amins


def test_doa_shows_anonymous_as_hamba_allah_with_relative_time(client, make):
    campaign = make.campaign("gn")
    make.paid_gift(campaign, 50_400, donor_name="Siti", is_anonymous=True, message="Semoga selamat")
    make.paid_gift(campaign, 16_800, donor_name="Ahmad", message="Semoga berkah")
    make.paid_gift(campaign, 16_800, donor_name="Tanpa Pesan")
    db.session.commit()
    doa = doa_section(client)
    assert doa.index("Ahmad") < doa.index("Hamba Allah")  # newest first
    assert "Semoga selamat" in doa and "Siti" not in doa and "Tanpa Pesan" not in doa
    assert "detik yang lalu" in doa or "menit yang lalu" in doa


def test_aamiin_counts_once_per_visitor_without_javascript(client, app, make):
    campaign = make.campaign("gn")
    donation = make.paid_gift(campaign, 16_800, donor_name="Ahmad", message="Semoga berkah")
    db.session.commit()
    url = f"/campaigns/gn/doa/{donation.id}/amin"
    response = client.post(url)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/campaigns/gn#doa-{donation.id}")
    client.post(url)
    assert amin_count(donation) == 1
    doa = doa_section(client)
    assert "Anda sudah mengaminkan" in doa and "Diaminkan: 1" in doa
    other = app.test_client()
    other.post(url)
    assert amin_count(donation) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Amin)) == 2


def test_manager_hides_an_abusive_doa(client, make):
    campaign = make.campaign("gn")
    donation = make.paid_gift(campaign, 16_800, donor_name="Troll", message="kata kasar")
    manager = staff_user("amil@example.com", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    assert "kata kasar" in client.get("/manage/campaigns/gn/doa").get_data(as_text=True)
    assert client.post(f"/manage/campaigns/gn/doa/{donation.id}", data={"hidden": "1"}).status_code == 302
    page = client.get("/campaigns/gn").get_data(as_text=True)
    assert "kata kasar" not in page
    assert client.post(f"/campaigns/gn/doa/{donation.id}/amin").status_code == 302
    assert amin_count(donation) == 0
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "campaign.doa_hide"))
    assert db.session.get(Donation, donation.id).amount_idr == 16_800  # the gift stays


def test_a_donor_cannot_hide_a_doa(client, make):
    campaign = make.campaign("gn")
    donation = make.paid_gift(campaign, 16_800, donor_name="Ahmad", message="Semoga berkah")
    donor = create_user("d@example.com", "rahasia-sekali")
    db.session.commit()
    login(client, donor)
    assert client.post(f"/manage/campaigns/gn/doa/{donation.id}", data={"hidden": "1"}).status_code == 403


def test_doa_pages(client, make):
    campaign = make.campaign("gn")
    for n in range(PER_PAGE + 3):
        make.paid_gift(campaign, 16_800, donor_name=f"Donatur {n}", message=f"Doa nomor {n}")
    db.session.commit()
    first, more = prayers(campaign)
    assert len(first) == PER_PAGE and more
    second, more = prayers(campaign, page=2)
    assert [p.message for p in second] == ["Doa nomor 2", "Doa nomor 1", "Doa nomor 0"] and not more
    page_one = doa_section(client)
    assert f"Doa nomor {PER_PAGE + 2}" in page_one and "Doa nomor 0" not in page_one
    assert 'href="/campaigns/gn?page=2#doa"' in page_one
    page_two = doa_section(client, "/campaigns/gn?page=2")
    assert client.get("/campaigns/gn?page=99999999999999999999").status_code == 400
    assert "Doa nomor 0" in page_two and "Doa nomor 5" not in page_two


def test_an_update_appears_and_is_emailed_once_per_donor_in_their_language(client, make):
    campaign = make.campaign("gn", name="GN Lingkaran 2018")
    make.paid_gift(campaign, 16_800, donor_name="Ann", donor_email="ann@example.com", locale="en")
    make.paid_gift(campaign, 16_800, donor_name="Ann", donor_email="ann@example.com", locale="en")
    make.paid_gift(campaign, 16_800, donor_name="Siti", donor_email="siti@example.com")
    make.paid_gift(campaign, 16_800, funder="APBD Provinsi Riau")  # no email: nobody to write to
    other = make.campaign("lain")
    make.paid_gift(other, 16_800, donor_email="other@example.com")
    manager = staff_user("amil@example.com", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    response = client.post("/manage/campaigns/gn/news", data={"title": "200 pekerja terlindungi",
                                                              "body": "Terima kasih, **para donatur**."})
    assert response.status_code == 302
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "campaign_update")).all()
    assert sorted(m.to_email for m in mails) == ["ann@example.com", "siti@example.com"]
    by = {m.to_email: m for m in mails}
    assert by["ann@example.com"].subject.startswith("News from GN Lingkaran 2018")
    assert by["siti@example.com"].subject.startswith("Kabar dari GN Lingkaran 2018")
    page = client.get("/campaigns/gn").get_data(as_text=True)
    news = page.split('class="updates"')[1].split("</section>")[0]
    assert "200 pekerja terlindungi" in news and "<strong>para donatur</strong>" in news


def test_the_unsubscribe_link_stops_the_next_updates(client, make):
    campaign = make.campaign("gn", name="GN Lingkaran 2018")
    make.paid_gift(campaign, 16_800, donor_email="siti@example.com")
    db.session.commit()
    post_update(campaign, title="Kabar 1", body="Isi", image=None, user=None, now=utcnow())
    db.session.commit()
    (mail,) = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "campaign_update")).all()
    link = re.search(r"https?://[^/\s]+(/updates/unsubscribe/\S+)", mail.body).group(1)
    response = client.get(link)
    assert response.status_code == 200 and "Tidak ada kabar lagi" in response.get_data(as_text=True)
    assert client.get(link).status_code == 200  # again: harmless
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UpdateOptOut)) == 1
    assert client.get(link[:-3] + "abc").status_code == 404
    post_update(campaign, title="Kabar 2", body="Isi", image=None, user=None, now=utcnow())
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == "campaign_update")) == 1
