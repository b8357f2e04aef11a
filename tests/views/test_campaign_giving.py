"""The campaign page of a serious fundraiser: money toward the target, time, tiles, story, cover, previews."""

import datetime as dt
import gzip
import html
import io
import re

import pytest
from PIL import Image

from donate.extensions import db
from donate.formatting import bar_permille
from donate.models import Role
from donate.services.campaigns.page import days_left
from donate.services.campaigns.story import render_markdown
from tests.manage_helpers import login, staff_user


def text_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def picture(width=1600, height=900, fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def test_raised_of_the_money_target_with_donors_and_days_left(client, make):
    today = dt.date.today()
    make.campaign("gn", target_workers=100, term_months=6, ends_on=today + dt.timedelta(days=30))
    campaign = db.session.scalars(db.select(__import__("donate.models", fromlist=["Campaign"]).Campaign)).one()
    make.paid_gift(campaign, 40_320, donor_name="Ahmad", donor_email="a@example.com")
    make.paid_gift(campaign, 100_800, donor_name="Siti", donor_email="s@example.com")
    db.session.commit()
    page = html.unescape(text_of(client, "/campaigns/gn"))
    raised = re.search(r'<p class="raised-line">(.*?)</p>', page, re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", "", raised).split()) == "Terkumpul Rp 141.120 dari Rp 10.080.000"
    headline = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page.split('class="headline"')[1]))
    assert headline["Donatur"] == "2" and headline["Hari lagi"] == "30"
    assert headline["Pekerja didanai"] == "0" and headline["Pekerja terlindungi"] == "0"


def test_the_money_bar_shows_at_0_4_percent():
    assert bar_permille(40_320, 10_080_000) >= 15  # 0.4 % of the target, still drawn
    assert bar_permille(0, 10_080_000) == 0
    assert bar_permille(20_000_000, 10_080_000) == 1000


def test_days_left_counts_to_the_end_date_and_stops_after_it(make):
    campaign = make.campaign("gn", ends_on=dt.date(2027, 1, 31))
    assert days_left(campaign, dt.date(2027, 1, 1)) == 30
    assert days_left(campaign, dt.date(2027, 1, 31)) == 0
    assert days_left(campaign, dt.date(2027, 2, 1)) is None


def test_preset_tiles_link_to_the_gift_form_with_the_amount_chosen(client, make):
    make.campaign("gn", term_months=6)
    db.session.commit()
    page = text_of(client, "/campaigns/gn")
    tiles = page.split('class="tiles"')[1].split("</ul>")[0]
    assert "Rp 16.800" in tiles and "Rp 100.800" in tiles and "melindungi 1 pekerja selama 6 bulan" in tiles
    form = text_of(client, "/donor/campaigns/gn/give?amount=16800")
    (chosen,) = [tag for tag in re.findall(r"<input[^>]*>", form) if 'name="preset"' in tag and "checked" in tag]
    assert 'value="16800"' in chosen
    free = text_of(client, "/donor/campaigns/gn/give?amount=250000")
    assert 'name="amount"' in free and 'value="250000"' in free


def test_story_markdown_is_rendered_and_sanitised(client, make):
    make.campaign("gn", story="**Gerakan** nasional\n\n- satu\n- dua\n\n<script>alert(1)</script>"
                                    "\n\n[x](javascript:alert(1)) [BPJS](https://www.bpjsketenagakerjaan.go.id)")
    db.session.commit()
    story = text_of(client, "/campaigns/gn").split('class="story"')[1].split("</section>")[0]
    assert "<strong>Gerakan</strong>" in story and "<li>satu</li>" in story
    assert "<script" not in story, story
    assert 'href="https://www.bpjsketenagakerjaan.go.id"' in story and 'href="javascript' not in story
    assert str(render_markdown("<img src=x onerror=alert(1)>")).count("<img") == 0


def test_manager_uploads_a_cover_resized_and_served_with_caching(client, make, app):
    campaign = make.campaign("gn", name="GN Lingkaran 2018")
    manager = staff_user("amil@example.com", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    response = client.post("/manage/campaigns/gn/cover", data={"picture": (io.BytesIO(picture()), "sampul.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(campaign)
    assert campaign.cover_image
    page = text_of(client, "/campaigns/gn")
    large = f"/media/{campaign.cover_image}-1200.jpg"
    assert f'content="http://lindungi.test{large}"' in page  # og:image
    served = client.get(large)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "max-age=31536000" in served.headers["Cache-Control"] and "immutable" in served.headers["Cache-Control"]
    assert Image.open(io.BytesIO(served.data)).size == (1200, 675)
    assert Image.open(io.BytesIO(client.get(f"/media/{campaign.cover_image}-600.jpg").data)).width == 600
    assert (app.config["INSTANCE_PATH"] or app.instance_path)
    assert client.get("/media/../../secret-1200.jpg").status_code == 404


def test_a_file_that_is_not_a_picture_is_refused(client, make):
    campaign = make.campaign("gn")
    manager = staff_user("amil@example.com", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    response = client.post("/manage/campaigns/gn/cover", data={"picture": (io.BytesIO(b"%PDF-1.4"), "a.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Gambar ini tidak dapat dipakai" in response.get_data(as_text=True)
    db.session.refresh(campaign)
    assert campaign.cover_image is None


@pytest.mark.parametrize("url", ["/", "/campaigns/gn", "/status/", "/donor/campaigns/gn/give",
                                 "/donor/campaigns/gn/workers", "/auth/login"])
def test_public_pages_describe_themselves_for_link_previews(client, make, url):
    make.campaign("gn", name="GN Lingkaran 2018", story="Melindungi pekerja rentan dengan JKK dan JKM.")
    db.session.commit()
    page = text_of(client, url)
    head = page.split("</head>")[0]
    for tag in ('name="description"', 'property="og:title"', 'property="og:description"', 'property="og:image"',
                'name="twitter:card"', 'rel="icon"', 'rel="apple-touch-icon"'):
        assert tag in head, (url, tag)
    description = re.search(r'<meta name="description" content="([^"]+)"', head).group(1)
    assert description.strip()
    if url == "/campaigns/gn":
        assert description == "Melindungi pekerja rentan dengan JKK dan JKM."


def test_icons_exist(client):
    for name in ("favicon.ico", "favicon.svg", "apple-touch-icon.png", "og-default.png"):
        assert client.get(f"/static/{name}").status_code == 200


def test_pages_are_compressed(client, make):
    make.campaign("gn")
    db.session.commit()
    response = client.get("/campaigns/gn", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"<html" in gzip.decompress(response.data)
    assert client.get("/campaigns/gn", headers={"Accept-Encoding": "br"}).headers["Content-Encoding"] == "br"


def test_status_form_is_indexable_and_answers_are_not(client):
    form = client.get("/status/")
    assert "noindex" not in form.headers.get("X-Robots-Tag", "") and "noindex" not in form.get_data(as_text=True)
    answer = client.post("/status/", data={"nik": "1471010101700001", "full_name": "Budi"})
    assert "noindex" in answer.headers["X-Robots-Tag"] and 'content="noindex"' in answer.get_data(as_text=True)


def test_fund_many_shows_the_total_before_checkout(client, make):
    make.campaign("gn", term_months=6)
    db.session.commit()
    first = text_of(client, "/donor/campaigns/gn/fund")
    assert "Rp 1.008.000" in first.split('id="total"')[1].split("</div>")[0]  # 10 workers × 6 months
    quoted = client.post("/donor/campaigns/gn/fund", data={"workers": "3", "months": "12", "quote": "1"})
    assert quoted.status_code == 200
    total = quoted.get_data(as_text=True).split('id="total"')[1].split("</div>")[0]
    assert "Rp 604.800" in total and "3 pekerja × 12 bulan" in total
    from donate.models import Donation
    assert db.session.scalar(db.select(db.func.count()).select_from(Donation)) == 0
