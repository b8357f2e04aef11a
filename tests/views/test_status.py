"""The status check: every state, the neutral answer, KPJ look-ups, personal links and cards."""

import datetime as dt
import re

import pytest
import segno
import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import (
    CoverageMonth,
    CoverageState,
    Designation,
    DonationKind,
    Role,
    StatusLink,
)
from donate.months import current_month, month_end, month_start
from donate.services.access.accounts import create_user
from donate.services.access.staff import assign_staff
from donate.services.coverage import lookup
from donate.services.coverage.links import (
    current_status_token,
    issue_status_link,
    revoke_status_links,
)
from donate.services.money.donations import (
    confirm_payment,
    create_donation,
    start_payment,
)
from donate.services.workers.registry import worker_nik
from tests.conftest import PREMIUM


def sponsor(campaign, worker, months=6, *, today=None, donor_name="PT Sawit Lestari", anonymous=False):
    """Pay for ``months`` months of a named worker, as a donor would (optionally back in time)."""
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.csr,
                               amount_idr=months * PREMIUM, worker=worker, months=months,
                               donor_name=donor_name, is_anonymous=anonymous)
    payment = start_payment(donation, "sandbox", f"sbx_status_{donation.id}")
    confirm_payment(payment.id, today=today or clock.today(), now=clock.now())
    return donation


def accept(worker, kpj="12345678901"):
    """Record what BPJS's acknowledgement would: the worker's months accepted and the KPJ issued."""
    db.session.execute(sa.update(CoverageMonth).where(CoverageMonth.worker_id == worker.id)
                       .values(state=CoverageState.accepted))
    worker.kpj = kpj
    db.session.flush()


def months_ago(n):
    return month_start(current_month(clock.today()) - n)


@pytest.fixture
def campaign(make):
    return make.campaign("riau", name="Pekerja Rentan Riau")


@pytest.fixture
def budi(make, campaign):
    return make.worker(campaign, full_name="Budi Santoso", regency_code="1402")


def ask(client, worker, name=None):
    """Look the worker up through the JSON API."""
    response = client.post("/api/v1/status", json={"nik": worker_nik(worker), "full_name": name or worker.full_name})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_protected_worker_by_nik_with_any_case_and_spacing(client, campaign, budi):
    sponsor(campaign, budi, 6)
    accept(budi)
    db.session.commit()
    month = current_month(clock.today())

    body = ask(client, budi, "  budi   SANTOSO ")
    assert body["status"] == "protected"
    assert body["protected_from"] == month_start(month).isoformat()
    assert body["protected_until"] == month_end(month + 5).isoformat()
    assert body["funded_until"] == month_end(month + 5).isoformat()
    assert body["programs"] == ["jkk", "jkm"]
    assert body["name_masked"] == "B*** S******"
    assert body["kpj_masked"] == "•••••••8901"
    assert body["sponsors"] == [{"name": "PT Sawit Lestari", "kind": "sponsor"}]
    assert body["campaign"] == {"slug": "riau", "name": "Pekerja Rentan Riau"}


def test_protected_page_explains_benefits_and_claims_in_indonesian_and_english(client, campaign, budi):
    sponsor(campaign, budi, 6)
    accept(budi)
    db.session.commit()
    form = {"nik": worker_nik(budi), "full_name": "Budi Santoso"}

    page = client.post("/status/", data=form).get_data(as_text=True)
    assert 'data-status="protected"' in page
    assert "B*** S******" in page and "Budi Santoso" not in page
    assert "Rp 42.000.000" in page and "175" in page
    assert "Dilindungi" in page

    client.get("/status/?lang=en")
    page = client.post("/status/", data=form).get_data(as_text=True)
    assert "Protected by BPJS Ketenagakerjaan from" in page
    assert "scholarships for up to two children" in page
    assert "call centre on 175" in page


def test_funded_worker_waits_for_bpjs(client, campaign, budi):
    sponsor(campaign, budi, 3)
    db.session.commit()
    body = ask(client, budi)
    assert body["status"] == "funded"
    assert body["protected_until"] is None
    assert body["funded_from"] == months_ago(0).isoformat()
    assert body["funded_until"] == month_end(current_month(clock.today()) + 2).isoformat()
    assert body["programs"] == ["jkk", "jkm"]


def test_protected_now_with_later_months_still_funded_only(client, campaign, budi):
    sponsor(campaign, budi, 6)
    db.session.execute(sa.update(CoverageMonth).where(CoverageMonth.worker_id == budi.id,
                                                      CoverageMonth.month <= current_month(clock.today()) + 1)
                       .values(state=CoverageState.accepted))
    db.session.commit()
    body = ask(client, budi)
    assert body["status"] == "protected"
    assert body["protected_until"] == month_end(current_month(clock.today()) + 1).isoformat()
    assert body["funded_until"] == month_end(current_month(clock.today()) + 5).isoformat()


def test_waiting_worker_is_told_roughly_where_they_stand(client, make, campaign, budi, monkeypatch):
    body = ask(client, budi)
    assert body["status"] == "waiting"
    assert body["queue"] == "soon"
    assert body["sponsors"] == [] and body["programs"] == []

    later = make.worker(campaign)
    monkeypatch.setattr(lookup, "NEAR_IN_QUEUE", 1)
    db.session.commit()
    assert ask(client, later)["queue"] == "later"
    assert ask(client, budi)["queue"] == "soon"


def test_waiting_worker_not_yet_verified_or_without_consent(client, make, campaign):
    pending = make.worker(campaign, verified=False)
    refused = make.worker(campaign, consent=False)
    db.session.commit()
    assert ask(client, pending)["queue"] == "verifying"
    assert ask(client, refused)["queue"] == "needs_attention"


def test_lapsed_worker_within_the_arrears_window(client, campaign, budi):
    sponsor(campaign, budi, 1, today=months_ago(2), donor_name="", anonymous=True)
    db.session.commit()
    last = current_month(clock.today()) - 2
    body = ask(client, budi)
    assert body["status"] == "lapsed"
    assert body["lapsed_on"] == month_end(last).isoformat()
    assert body["arrears_until"] == month_end(last + 3).isoformat()
    assert body["membership_ended"] is False
    assert body["queue"] is None
    assert body["sponsors"] == [{"name": "Hamba Allah", "kind": "sponsor"}]

    client.get("/status/?lang=en")
    page = client.post("/status/", data={"nik": worker_nik(budi), "full_name": "Budi Santoso"}).get_data(as_text=True)
    assert "can still be continued by paying the missed months until" in page
    assert "Rp 16,800 a month" in page or "Rp 16.800 a month" in page


def test_lapsed_worker_past_the_arrears_window_is_back_on_the_waitlist(client, campaign, budi):
    sponsor(campaign, budi, 1, today=months_ago(5))
    db.session.commit()
    body = ask(client, budi)
    assert body["status"] == "lapsed"
    assert body["membership_ended"] is True
    assert body["queue"] == "soon"


def test_pool_funding_names_the_campaign(client, make, campaign, budi):
    from donate.services.coverage.allocation import allocate_pool

    make.paid_gift(campaign, 6 * PREMIUM, designation=Designation.infak)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    db.session.commit()
    body = ask(client, budi)
    assert body["status"] == "funded"
    assert body["sponsors"] == [{"name": "Pekerja Rentan Riau", "kind": "pool"}]


def test_unknown_nik_and_wrong_name_get_identical_answers(client, make, campaign, budi):
    sponsor(campaign, budi, 6)
    accept(budi)
    stranger = make.worker_details()
    db.session.commit()
    statements = []

    def count(*args):
        statements.append(args)

    def post(path, payload):
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.post(path, **payload)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return response, len(statements)

    wrong_name = {"nik": worker_nik(budi), "full_name": "Budi Santosa"}
    unknown = {"nik": stranger.nik, "full_name": "Budi Santoso"}

    for path, wrap in (("/api/v1/status", lambda d: {"json": d}), ("/status/", lambda d: {"data": d})):
        a, queries_a = post(path, wrap(wrong_name))
        b, queries_b = post(path, wrap(unknown))
        assert a.status_code == b.status_code == 200
        assert a.get_data() == b.get_data()
        assert _same_headers(a, b)
        assert queries_a == queries_b
    assert client.post("/api/v1/status", json=wrong_name).get_json()["status"] == "not_found"


def _same_headers(a, b):
    ignore = {"X-RateLimit-Remaining", "X-RateLimit-Reset", "Set-Cookie", "Date"}
    return {k: v for k, v in a.headers if k not in ignore} == {k: v for k, v in b.headers if k not in ignore}


def test_kpj_and_birth_date(client, campaign, budi):
    sponsor(campaign, budi, 6)
    accept(budi, kpj="98765432101")
    db.session.commit()
    right = client.post("/api/v1/status", json={"kpj": "9876 5432 101", "birth_date": budi.birth_date.isoformat()})
    assert right.get_json()["status"] == "protected"
    wrong = client.post("/api/v1/status", json={"kpj": "98765432101",
                                                "birth_date": (budi.birth_date + dt.timedelta(days=1)).isoformat()})
    unknown = client.post("/api/v1/status", json={"kpj": "11111111111", "birth_date": budi.birth_date.isoformat()})
    assert wrong.get_json()["status"] == "not_found"
    assert wrong.get_data() == unknown.get_data()

    page = client.post("/status/kpj", data={"kpj": "98765432101", "birth_date": budi.birth_date.isoformat()})
    assert 'data-status="protected"' in page.get_data(as_text=True)


def test_malformed_queries_are_refused_without_echoing_the_nik(client, budi):
    nik = worker_nik(budi)
    bad = nik[:-1] + ("0" if nik[-1] != "0" else "1")  # still a valid NIK shape
    page = client.post("/status/", data={"nik": "12345", "full_name": "Budi"})
    assert page.status_code == 400
    assert "12345" not in page.get_data(as_text=True)
    page = client.post("/status/", data={"nik": bad, "full_name": ""})
    assert page.status_code == 400
    assert bad not in page.get_data(as_text=True)

    assert client.post("/api/v1/status", json={"nik": "12345", "full_name": "x"}).get_json()["field"] == "nik"
    assert client.post("/api/v1/status", json={"nik": nik}).get_json()["field"] == "full_name"
    assert client.post("/api/v1/status", json={"kpj": "12345678901", "birth_date": "31-12-1980"}).status_code == 400
    assert client.post("/api/v1/status", json=["not", "an", "object"]).status_code == 400
    assert client.post("/api/v1/status", data="nik=1").status_code == 400


def test_answers_are_private(client, budi):
    response = client.post("/status/", data={"nik": worker_nik(budi), "full_name": budi.full_name})
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert worker_nik(budi) not in response.get_data(as_text=True)
    assert "Access-Control-Allow-Origin" not in client.post("/api/v1/status", json={}).headers


# Personal links and cards.

def test_personal_link_opens_the_status_until_revoked(client, campaign, budi):
    sponsor(campaign, budi, 6)
    accept(budi)
    token = issue_status_link(budi, now=clock.now())
    db.session.commit()
    assert len(token) >= 32

    page = client.get(f"/status/link/{token}")
    assert page.status_code == 200
    assert 'data-status="protected"' in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"

    new_token = issue_status_link(budi, now=clock.now())
    db.session.commit()
    assert client.get(f"/status/link/{token}").status_code == 404
    assert client.get(f"/status/link/{new_token}").status_code == 200
    assert current_status_token(budi) == new_token

    assert revoke_status_links(budi, now=clock.now()) == 1
    db.session.commit()
    assert client.get(f"/status/link/{new_token}").status_code == 404
    assert client.get("/status/link/not-a-token").status_code == 404
    stored = db.session.scalars(sa.select(StatusLink.token_hash)).all()
    assert new_token not in stored and token not in stored


def login(client, user):
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def test_manager_prints_issues_and_revokes_cards(client, make, campaign, budi):
    manager = create_user("amil@baznas.example", "a long password 1", role=Role.manager)
    assign_staff(campaign, manager, actor=None)
    db.session.commit()
    login(client, manager)

    registry = client.get(f"/manage/campaigns/riau/workers/{budi.public_id}").get_data(as_text=True)
    assert f'href="/manage/campaigns/riau/workers/{budi.public_id}/card"' in registry
    page = client.get(f"/manage/campaigns/riau/workers/{budi.public_id}/card").get_data(as_text=True)
    assert "<svg" not in page and 'href="/manage/campaigns/riau/cards"' in page
    assert client.post(f"/manage/campaigns/riau/workers/{budi.public_id}/card/issue").status_code == 302
    page = client.get(f"/manage/campaigns/riau/workers/{budi.public_id}/card").get_data(as_text=True)
    token = current_status_token(budi)
    link = f"http://lindungi.test/status/link/{token}"
    assert "<svg" in page and link in page
    # The QR code on the card is the personal link itself.
    expected = re.search(r' d="([^"]+)"', segno.make(link, error="m").svg_inline(scale=4)).group(1)
    assert re.search(r' d="([^"]+)"', page).group(1) == expected
    assert "B*** S******" in page and worker_nik(budi) not in page

    assert client.post(f"/manage/campaigns/riau/workers/{budi.public_id}/card/revoke").status_code == 302
    assert current_status_token(budi) is None
    revoked = db.session.scalar(sa.select(StatusLink).where(StatusLink.worker_id == budi.id))
    assert revoked.revoked_by_id == manager.id

    make.workers(campaign, 2)
    db.session.commit()
    client.post("/manage/campaigns/riau/cards/issue")
    sheet = client.get("/manage/campaigns/riau/cards").get_data(as_text=True)
    assert sheet.count("<svg") == 3


@pytest.mark.parametrize("role", [Role.donor, Role.verifier, Role.manager])
def test_cards_are_for_the_campaign_managers_only(client, make, campaign, budi, role):
    assert client.get(f"/manage/campaigns/riau/workers/{budi.public_id}/card").status_code in (302, 401)
    other = make.campaign("kalbar")
    user = create_user("someone@example.org", "a long password 1", role=role)
    if role != Role.donor:
        assign_staff(other if role == Role.manager else campaign, user, actor=None)
    db.session.commit()
    login(client, user)
    assert client.get(f"/manage/campaigns/riau/workers/{budi.public_id}/card").status_code == 403
    assert client.post(f"/manage/campaigns/riau/workers/{budi.public_id}/card/issue").status_code == 403
    assert client.post(f"/manage/campaigns/riau/workers/{budi.public_id}/card/revoke").status_code == 403
    assert client.get("/manage/campaigns/riau/cards").status_code == 403
    assert client.post("/manage/campaigns/riau/cards/issue").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatusLink)) == 0


def test_status_form_page(client):
    page = client.get("/status/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="nik"' in text and 'name="kpj"' in text and 'method="post"' in text



def test_issuing_and_revoking_a_card_link_is_audited(client, make):
    from donate.models import AuditEvent
    from donate.services.access.staff import assign_staff

    campaign = make.campaign()
    worker = make.worker(campaign)
    manager = create_user("card-manager@example.test", "password123", role=Role.manager)
    assign_staff(campaign, manager, actor=None)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = manager.get_id()
        session["_fresh"] = True
    assert client.post(f"/manage/campaigns/test-campaign/workers/{worker.public_id}/card/issue").status_code == 302
    assert client.post(f"/manage/campaigns/test-campaign/workers/{worker.public_id}/card/revoke").status_code == 302
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["status_link.issue", "status_link.revoke"]
