"""Privacy: no NIK in plain text in the database or the logs; donors' data download and erasure."""

import json
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import (
    Designation,
    Donation,
    OutboxMessage,
    PrivacyRequest,
    PrivacyRequestKind,
    Role,
    Subscription,
    SubscriptionState,
    User,
)
from donate.models.base import utcnow
from donate.services.access.accounts import create_user
from donate.services.campaigns.progress import campaign_progress
from donate.services.ledger import check_ledger
from tests.conftest import ON_POSTGRES, TODAY


def _database_text(app) -> str:
    """Return every row of every table as text, plus (on SQLite) the raw database files."""
    chunks = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            chunks.append(repr(tuple(row)))
    if not ON_POSTGRES:
        db.session.commit()
        path = Path(db.engine.url.database)
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{path}{suffix}").exists():
                chunks.append(Path(f"{path}{suffix}").read_bytes().decode("latin-1"))
    return "\n".join(chunks)


def test_no_nik_in_plain_text_after_import_and_status_checks(app, client, runner, make, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # every statement and its parameters
    make.campaign("riau")
    db.session.commit()
    rows = [make.csv_row(full_name="Siti Aminah", phone="081234567890"), make.csv_row(), make.csv_row()]
    niks = [row["nik"] for row in rows]
    csv_file = tmp_path / "import" / "workers.csv"
    csv_file.parent.mkdir()
    csv_file.write_bytes(make.worker_csv(rows))

    result = runner.invoke(args=["import-workers", "riau", str(csv_file)])
    assert result.exit_code == 0, result.output
    checks = [
        client.post("/status/", data={"nik": niks[0], "full_name": "SITI aminah"}),
        client.post("/status/", data={"nik": niks[1], "full_name": "Wrong Name"}),
        client.post("/status/", data={"nik": niks[2][:-2], "full_name": "Too Short"}),
        client.post("/api/v1/status", json={"nik": niks[2], "full_name": "Wrong"}),
    ]
    assert 'data-status="waiting"' in checks[0].get_data(as_text=True)
    assert 'data-status="not_found"' in checks[1].get_data(as_text=True)
    assert checks[2].status_code == 400

    stored = _database_text(app)
    logged = caplog.text + result.output + "".join(r.get_data(as_text=True) for r in checks)
    assert "SELECT" in caplog.text  # the statements were logged, so the search below means something
    for nik in niks:
        assert nik not in stored
        assert nik not in logged
    assert "081234567890" not in stored


# Donors' own data.

@pytest.fixture
def donor(make):
    user = create_user("ahmad@example.org", "a long password 1", name="Ahmad Fauzi")
    campaign = make.campaign("riau")
    make.paid_gift(campaign, 100_000, designation=Designation.zakat, donor_id=user.id, donor_name="Ahmad Fauzi",
                   donor_email="ahmad@example.org", npwp="012345678901000", message="Semoga berkah")
    make.paid_gift(campaign, 50_000, donor_id=user.id, donor_name="Ahmad Fauzi", donor_email="ahmad@example.org")
    make.paid_gift(campaign, 25_000, donor_name="Someone Else", donor_email="else@example.org")
    worker = make.worker(campaign)
    monthly = make.paid_gift(campaign, 16_800, donor_id=user.id, donor_name="Ahmad Fauzi",
                             donor_email="ahmad@example.org")
    db.session.add(Subscription(donation_id=monthly.id, worker_id=worker.id, donor_id=user.id, provider="sandbox",
                                designation=Designation.infak, amount_idr=16_800, state=SubscriptionState.active))
    db.session.add_all([
        OutboxMessage(to_email="ahmad@example.org", subject="Bukti setor zakat", body="Ahmad Fauzi, NPWP ...",
                      kind="receipt", sent_at=utcnow()),
        OutboxMessage(to_email="ahmad@example.org", subject="Pengingat", body="Ahmad Fauzi ...", kind="renewal"),
    ])
    db.session.commit()
    return user


def login(client, user):
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def test_privacy_page_needs_a_login(client, donor):
    assert client.get("/privacy/").status_code in (302, 401)
    assert client.post("/privacy/export").status_code in (302, 401)
    login(client, donor)
    assert client.get("/privacy/").status_code == 200


def test_donor_downloads_their_data(client, donor):
    login(client, donor)
    response = client.post("/privacy/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data())
    assert data["account"]["email"] == "ahmad@example.org"
    assert sorted(d["amount_idr"] for d in data["donations"]) == [16_800, 50_000, 100_000]
    assert [(s["amount_idr"], s["state"]) for s in data["monthly_sponsorships"]] == [(16_800, "active")]
    assert sorted(m["subject"] for m in data["emails"]) == ["Bukti setor zakat", "Pengingat"]
    zakat = next(d for d in data["donations"] if d["designation"] == "zakat")
    assert zakat["npwp"] == "012345678901000" and zakat["message"] == "Semoga berkah"
    assert zakat["payments"][0]["state"] == "paid"
    assert "Someone Else" not in response.get_data(as_text=True)
    audit = db.session.scalars(sa.select(PrivacyRequest)).all()
    assert [(a.user_id, a.kind, a.donations) for a in audit] == [(donor.id, PrivacyRequestKind.export, 3)]


def test_donor_erases_their_account_and_the_gifts_stay_anonymised(client, donor):
    campaign_id = db.session.scalar(sa.select(Donation.campaign_id))
    before = campaign_progress(db.session.get(Donation, 1).campaign, today=clock.today())
    login(client, donor)

    refused = client.post("/privacy/erase", data={"password": "wrong password", "confirm": "y"})
    assert refused.status_code == 400
    assert db.session.get(User, donor.id).email == "ahmad@example.org"
    unconfirmed = client.post("/privacy/erase", data={"password": "a long password 1"})
    assert unconfirmed.status_code == 400

    response = client.post("/privacy/erase", data={"password": "a long password 1", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, donor.id)
    assert user.email == f"erased-{donor.id}@erased.invalid" and user.name == ""
    assert not user.check_password("a long password 1")
    gifts = db.session.scalars(sa.select(Donation).where(Donation.donor_id == donor.id)).all()
    assert len(gifts) == 3
    for gift in gifts:
        assert gift.public_name == "Hamba Allah"
        assert gift.donor_name == "" and gift.npwp is None and gift.message == ""
        assert "ahmad" not in (gift.donor_email or "")
    after = campaign_progress(db.session.get(Donation, 1).campaign, today=clock.today())
    assert (after["raised_idr"], after["donors"]) == (before["raised_idr"], before["donors"])
    assert check_ledger() == []
    assert db.session.scalar(sa.select(Donation.donor_name).where(Donation.donor_id.is_(None),
                                                                  Donation.campaign_id == campaign_id)) == "Someone Else"
    assert client.get("/privacy/").status_code in (302, 401)  # logged out
    assert db.session.scalar(sa.select(Subscription.state)) == SubscriptionState.cancelled
    mail = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [(m.to_email, m.subject, m.body) for m in mail] == [(user.email, "Bukti setor zakat", "")]
    kinds = db.session.scalars(sa.select(PrivacyRequest.kind)).all()
    assert kinds == [PrivacyRequestKind.erasure]


def test_staff_accounts_cannot_erase_themselves(client, donor):
    manager = create_user("amil@baznas.example", "a long password 1", role=Role.manager)
    db.session.commit()
    login(client, manager)
    response = client.post("/privacy/erase", data={"password": "a long password 1", "confirm": "y"})
    assert response.status_code == 302
    assert db.session.get(User, manager.id).email == "amil@baznas.example"


def test_export_and_erasure_include_gifts_given_under_the_confirmed_address_without_logging_in(app, client, make):
    campaign = make.campaign("kalbar")
    user = create_user("rina@example.org", "a long password 1", name="Rina")
    user.email_confirmed_at = utcnow()
    # Given logged out, before the account existed or since: the same address, no account attached.
    make.paid_gift(campaign, 75_000, donor_name="Rina Wulandari", donor_email="rina@example.org",
                   message="Doa untuk para nelayan dari Rina Wulandari")
    make.paid_gift(campaign, 30_000, donor_name="Orang Lain", donor_email="lain@example.org")
    db.session.commit()
    login(client, user)
    data = json.loads(client.post("/privacy/export").get_data(as_text=True))
    assert [d["donor_name"] for d in data["donations"]] == ["Rina Wulandari"]

    page = client.get("/campaigns/kalbar").get_data(as_text=True)
    assert "Rina Wulandari" in page or "Doa untuk para nelayan" in page
    response = client.post("/privacy/erase", data={"password": "a long password 1", "confirm": "y"})
    assert response.status_code == 302
    page = client.get("/campaigns/kalbar").get_data(as_text=True)
    assert "Rina Wulandari" not in page and "Doa untuk para nelayan" not in page and "rina@example.org" not in page


def test_an_unconfirmed_address_does_not_open_other_gifts_under_it(app, client, make):
    campaign = make.campaign("kalbar")
    make.paid_gift(campaign, 75_000, donor_name="Rina Wulandari", donor_email="rina@example.org")
    user = create_user("rina@example.org", "a long password 1")  # anyone can register any address
    db.session.commit()
    login(client, user)
    data = json.loads(client.post("/privacy/export").get_data(as_text=True))
    assert data["donations"] == [] and data["account"]["gifts_waiting_for_email_confirmation"] == 1


def test_the_donor_count_stays_exact_when_an_erased_address_gives_again(client, make):
    campaign = make.campaign("sumut")
    user = create_user("dewi@example.org", "a long password 1", name="Dewi")
    user.email_confirmed_at = utcnow()
    make.paid_gift(campaign, 40_000, donor_id=user.id, donor_email="dewi@example.org")
    make.paid_gift(campaign, 20_000, donor_email="dewi@example.org")  # the same address, logged out
    make.paid_gift(campaign, 30_000, donor_email="lain@example.org")
    db.session.commit()
    assert campaign_progress(campaign, today=TODAY)["donors"] == 2
    login(client, user)
    assert client.post("/privacy/erase", data={"password": "a long password 1", "confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert campaign_progress(campaign, today=TODAY)["donors"] == 2
    assert check_ledger() == []
    # The address is free again: a gift under it is a donor the erased pseudonym no longer stands for.
    make.paid_gift(campaign, 10_000, donor_email="dewi@example.org")
    db.session.commit()
    assert campaign_progress(campaign, today=TODAY)["donors"] == 3
    assert check_ledger() == []


def test_erasing_an_unproven_account_leaves_the_address_counted_for_its_other_gifts(client, make):
    campaign = make.campaign("sumbar")
    make.paid_gift(campaign, 75_000, donor_email="rina@example.org")
    user = create_user("rina@example.org", "a long password 1")  # the address is not confirmed
    make.paid_gift(campaign, 10_000, donor_id=user.id, donor_email="rina@example.org")
    db.session.commit()
    assert campaign_progress(campaign, today=TODAY)["donors"] == 1
    login(client, user)
    assert client.post("/privacy/erase", data={"password": "a long password 1", "confirm": "y"}).status_code == 302
    db.session.expire_all()
    # The gift given logged out still comes from that address; the account's own is now the pseudonym's.
    assert campaign_progress(campaign, today=TODAY)["donors"] == 2
    assert check_ledger() == []
