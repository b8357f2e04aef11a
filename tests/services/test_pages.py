"""One way to page a list: counted lists clamp to their last page, uncounted ones answer 404 past their end."""

import sqlalchemy as sa

from donate.extensions import db
from donate.models import Role, Worker
from donate.services.pages import page_of
from tests.manage_helpers import login, staff_user


def test_counted_pages_clamp_to_the_last_and_uncounted_ones_say_they_are_past_the_end(app, make):
    campaign = make.campaign()
    workers = make.workers(campaign, 5)
    query = sa.select(Worker).order_by(Worker.id)
    first = page_of(query, 1, 2)
    assert ([w.id for w in first], first.pages, first.has_next, first.has_previous) == (
        [workers[0].id, workers[1].id], 3, True, False)
    last = page_of(query, 99, 2)
    assert (last.number, [w.id for w in last], last.has_next) == (3, [workers[4].id], False)
    assert page_of(query, -4, 2).number == 1
    uncounted = page_of(query, 3, 2, count=False)
    assert ([w.id for w in uncounted], uncounted.has_next, uncounted.total, uncounted.past_end) == (
        [workers[4].id], False, None, False)
    assert page_of(query, 4, 2, count=False).past_end


def test_a_page_read_by_its_keys_first_is_the_same_page(app, make):
    campaign = make.campaign()
    make.workers(campaign, 7)
    query = sa.select(Worker).where(Worker.campaign_id == campaign.id).order_by(Worker.registered_at.desc(),
                                                                                 Worker.id.desc())
    for number in (1, 2, 3, 4, 99):
        plain, keyed = page_of(query, number, 3), page_of(query, number, 3, key=Worker.id)
        assert ([w.id for w in keyed], keyed.number, keyed.has_next) == (
            [w.id for w in plain], plain.number, plain.has_next)
        uncounted = page_of(query, number, 3, count=False, key=Worker.id)
        assert [w.id for w in uncounted] == [w.id for w in page_of(query, number, 3, count=False)]
    assert page_of(query, 5, 3, count=False, key=Worker.id).past_end


def test_every_paged_view_answers_a_page_past_the_end_without_an_error(app, client, make):
    campaign = make.campaign()
    make.workers(campaign, 3)
    admin = staff_user("a@example.org", Role.admin, campaign)
    db.session.commit()
    for url, expected in (("/donor/campaigns/test-campaign/workers?page=2", 404),
                          ("/donor/campaigns/test-campaign/workers?page=99999", 404)):
        assert client.get(url).status_code == expected, url
    login(client, admin)
    for url in ("/manage/campaigns/test-campaign/workers?page=99999", "/manage/campaigns/test-campaign/gifts?page=50",
                "/manage/campaigns/test-campaign/cards?page=500"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get("/manage/audit?page=99999").status_code == 404
    shown = client.get("/manage/campaigns/test-campaign/workers?page=99999").get_data(as_text=True)
    assert "Pekerja Uji" in shown  # the last page, not an empty one
