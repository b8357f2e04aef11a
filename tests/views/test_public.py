"""The public pages: the campaign list and a campaign's progress."""

import html
import re

from donate.extensions import db
from donate.models import CampaignStatus


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/html"
    return html.unescape(response.get_data(as_text=True))


def figures(text: str) -> dict[str, str]:
    """Return the campaign page's figures: label -> first value."""
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", text))


def region_rows(text: str) -> list[tuple[str, ...]]:
    """Return the region table's rows as (name, funded, target) text."""
    table = re.search(r'<table class="regions">(.*?)</table>', text, re.S).group(1)
    body = table.split("<tbody>", 1)[1]
    return [tuple(cell.strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S))
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_index_lists_open_campaigns_in_rupiah(client, make):
    make.campaign_with_progress()
    make.campaign("belum-dibuka", name="Kampanye Draf", status=CampaignStatus.draft)
    db.session.commit()
    text = page(client, "/")
    assert '<html lang="id">' in text
    assert "Rp 16.800" in text
    assert "Pekerja Rentan Riau 2018" in text
    assert 'href="/campaigns/riau-2018"' in text
    assert "Kampanye Draf" not in text and "belum-dibuka" not in text
    assert "<strong>3</strong>" in text and "1.000" in text


def test_index_without_campaigns(client):
    text = page(client, "/")
    assert "Rp 16.800" in text


def test_campaign_page_shows_the_figures(client, make):
    make.campaign_with_progress()
    text = page(client, "/campaigns/riau-2018?lang=en")
    assert "<h1>Pekerja Rentan Riau 2018</h1>" in text
    shown = figures(text)
    assert shown["Workers funded"] == "3"
    assert shown["Workers protected"] == "0"
    assert shown["Waiting for a sponsor"] == "1"
    assert shown["Worker-months funded"] == "18"
    assert shown["Money raised"] == "Rp 353.400"
    assert shown["Spent on premiums"] == "Rp 302.400"
    assert shown["In the pool"] == "Rp 51.000"
    assert shown["Premium per worker per month"] == "Rp 16.800"
    assert "from 2 donors and funders" in text
    assert region_rows(text) == [("Indragiri Hulu", "2", "10 (20,0%)"), ("Pekanbaru", "1", "—")]


def test_campaign_page_in_indonesian(client, make):
    make.campaign_with_progress()
    text = page(client, "/campaigns/riau-2018")
    assert '<html lang="id">' in text
    assert set(figures(text).values()) >= {"3", "0", "1", "18", "Rp 353.400", "Rp 302.400", "Rp 51.000",
                                           "Rp 16.800"}
    assert region_rows(text)[0] == ("Indragiri Hulu", "2", "10 (20,0%)")
    assert "1.000" in text


def test_large_figures_use_indonesian_grouping(client, make):
    make.campaign("nasional", target_workers=100_000)
    db.session.commit()
    text = page(client, "/campaigns/nasional")
    assert "100.000" in text and "100,000" not in text


def test_unknown_campaign_is_404(client):
    assert client.get("/campaigns/nowhere").status_code == 404


def test_draft_campaign_is_hidden(client, make):
    make.campaign("belum-dibuka", status=CampaignStatus.draft)
    db.session.commit()
    assert client.get("/campaigns/belum-dibuka").status_code == 404


def test_closed_campaign_is_shown_not_accepting_gifts(client, make):
    make.campaign("selesai", status=CampaignStatus.closed)
    db.session.commit()
    text = page(client, "/campaigns/selesai?lang=en")
    assert "This campaign is not accepting gifts now." in text


def test_language_switch_is_remembered_in_the_session(client, make):
    make.campaign("riau")
    db.session.commit()
    assert '<html lang="id">' in page(client, "/campaigns/riau")
    assert 'hreflang="en"' in page(client, "/campaigns/riau")

    text = page(client, "/campaigns/riau?lang=en")
    assert '<html lang="en">' in text
    assert 'href="/campaigns/riau?lang=id"' in text
    with client.session_transaction() as session:
        assert session["lang"] == "en"

    assert '<html lang="en">' in page(client, "/")
    assert '<html lang="en">' in page(client, "/campaigns/riau")
    assert '<html lang="id">' in page(client, "/?lang=id")
    assert '<html lang="id">' in page(client, "/campaigns/riau")
    assert '<html lang="id">' in page(client, "/campaigns/riau?lang=xx")


def test_page_shows_no_personal_data(client, make):
    campaign = make.campaign("riau")
    make.worker(campaign, full_name="Budi Santoso")
    db.session.commit()
    text = page(client, "/campaigns/riau")
    assert "Santoso" not in text
