"""The ``flask --app donate`` commands, run through the app's CLI runner."""

import csv
import datetime as dt

import sqlalchemy as sa

from donate import clock
from donate.demo import DEMO_SLUG
from donate.extensions import db
from donate.models import (
    Account,
    Campaign,
    CampaignStatus,
    Designation,
    Donation,
    DonationKind,
    Hold,
    Payment,
    PaymentState,
    Role,
    User,
    Verification,
    Worker,
)
from donate.services import ledger
from donate.services.campaigns.progress import campaign_progress
from donate.services.coverage.holds import hold_worker
from donate.services.money.donations import create_donation, start_payment
from donate.services.workers.registry import find_worker_by_nik, worker_nik


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def invoke(runner, *args: str):
    """Run a command; the test's own session then sees what the command committed."""
    db.session.commit()
    result = runner.invoke(args=list(args))
    db.session.rollback()
    return result


def test_init_db(runner):
    result = invoke(runner, "init-db")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_demo_creates_the_campaign_once(runner):
    result = invoke(runner, "demo", "--workers", "50")
    assert result.exit_code == 0, result.output
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == DEMO_SLUG))
    assert (campaign.target_workers, campaign.term_months) == (100_000, 6)
    assert [r.code for r in campaign.regions] == ["1402", "1471", "6171"]
    assert count(Worker) == 50
    assert ledger.check_ledger() == []
    # BPJS has answered for part of the demo batch: some workers protected, some funded and waiting, two flagged.
    progress = campaign_progress(campaign, today=clock.today())
    assert 0 < progress["workers_protected"] < progress["workers_funded"]
    flagged = sa.select(sa.func.count()).select_from(Worker).where(Worker.flag_reason.is_not(None))
    assert db.session.scalar(flagged) == 2

    login = next(line for line in result.output.splitlines() if line.startswith("Manager login: "))
    email, password = login.removeprefix("Manager login: ").split(" / ")
    manager = db.session.scalar(sa.select(User).where(User.email == email))
    assert manager.role == Role.manager
    assert manager.check_password(password)

    counts = (count(Campaign), count(Worker), count(Donation), count(User))
    again = invoke(runner, "demo", "--workers", "50")
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output
    assert "Manager login" not in again.output
    assert (count(Campaign), count(Worker), count(Donation), count(User)) == counts


def test_create_user(runner):
    result = invoke(runner, "create-user", "Amil@Example.org", "--role", "manager", "--password", "rahasia-amil")
    assert result.exit_code == 0, result.output
    assert "Created manager amil@example.org" in result.output
    user = db.session.scalar(sa.select(User))
    assert (user.email, user.role) == ("amil@example.org", Role.manager)
    assert user.check_password("rahasia-amil")
    assert user.password_hash != "rahasia-amil"

    duplicate = invoke(runner, "create-user", "amil@EXAMPLE.org", "--role", "admin", "--password", "lain-lagi-1")
    assert duplicate.exit_code == 1
    assert "amil@example.org sudah punya akun" in duplicate.stderr
    assert "Traceback" not in duplicate.output
    assert count(User) == 1


def test_create_user_refuses_a_short_password_and_unknown_role(runner):
    short = invoke(runner, "create-user", "a@example.org", "--password", "pendek")
    assert short.exit_code == 1
    assert "minimal 8 karakter" in short.stderr
    unknown = invoke(runner, "create-user", "a@example.org", "--role", "owner", "--password", "panjang-sekali")
    assert unknown.exit_code == 2
    assert count(User) == 0


def write_csv(path, make, rows, **shape):
    path.write_bytes(make.worker_csv(rows, **shape))
    return str(path)


def test_import_workers(runner, make, tmp_path):
    make.campaign("riau")
    rows = [make.csv_row(), make.csv_row(regency_code="1402")]
    path = write_csv(tmp_path / "register.csv", make, rows, delimiter=";")
    result = invoke(runner, "import-workers", "riau", path)
    assert result.exit_code == 0, result.output
    assert "Imported 2 of 2 workers (verified) into riau." in result.stdout
    assert result.stderr == ""
    assert list(db.session.scalars(sa.select(Worker.verification))) == [Verification.verified] * 2
    assert find_worker_by_nik(rows[1]["nik"]).regency_code == "1402"


def test_import_workers_pending(runner, make, tmp_path):
    make.campaign("riau")
    path = write_csv(tmp_path / "register.csv", make, [make.csv_row(), make.csv_row()])
    result = invoke(runner, "import-workers", "riau", path, "--pending")
    assert result.exit_code == 0, result.output
    assert "(pending verification)" in result.stdout
    assert list(db.session.scalars(sa.select(Worker.verification))) == [Verification.pending] * 2


def bad_register(make, campaign, tmp_path):
    """Write a register whose lines 3, 4 and 5 are bad; return its path and good rows."""
    registered = make.worker(campaign)
    good = [make.csv_row(), make.csv_row()]
    rows = [
        good[0],                                                          # line 2
        make.csv_row(nik="9971991203850001"),                             # line 3: unknown province
        make.csv_row(regency_code="1471", sex=registered.sex,             # line 4: already registered
                     birth_date=registered.birth_date, nik=worker_nik(registered)),
        dict(good[0], full_name="Dua Kali"),                              # line 5: duplicate of line 2
        good[1],                                                          # line 6
    ]
    return write_csv(tmp_path / "register.csv", make, rows), good


def test_import_workers_with_bad_rows_imports_nothing(runner, make, tmp_path):
    campaign = make.campaign("riau")
    path, _ = bad_register(make, campaign, tmp_path)
    before = count(Worker)
    result = invoke(runner, "import-workers", "riau", path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}:3: NIK: bukan NIK yang sah")
    assert lines[1] == f"{path}:4: NIK: sudah terdaftar"
    assert lines[2] == f"{path}:5: NIK: sama dengan baris 2"
    assert "3 of 5 rows are invalid; nothing was imported" in result.stderr
    assert "Imported" not in result.stdout
    assert count(Worker) == before == 1
    assert not (tmp_path / "register.csv.rejected.csv").exists()


def test_import_workers_skip_invalid_writes_the_rejected(runner, make, tmp_path):
    campaign = make.campaign("riau")
    path, good = bad_register(make, campaign, tmp_path)
    result = invoke(runner, "import-workers", "riau", path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "Imported 2 of 5 workers (verified) into riau." in result.stdout
    assert f"{path}:3: NIK" in result.stderr
    assert count(Worker) == 3
    assert all(find_worker_by_nik(row["nik"]) for row in good)
    rejected_path = tmp_path / "register.csv.rejected.csv"
    assert f"Rejected rows written to {rejected_path}." in result.stderr
    with open(rejected_path, newline="", encoding="utf-8") as fh:
        rejected = list(csv.DictReader(fh))
    assert [(r["line"], r["reason"]) for r in rejected][1:] == [
        ("4", "NIK: sudah terdaftar"), ("5", "NIK: sama dengan baris 2")]
    assert rejected[2]["full_name"] == "Dua Kali"


def test_import_workers_skip_invalid_to_a_chosen_file(runner, make, tmp_path):
    campaign = make.campaign("riau")
    path, _ = bad_register(make, campaign, tmp_path)
    chosen = tmp_path / "ditolak.csv"
    result = invoke(runner, "import-workers", "riau", path, "--skip-invalid", "--rejected", str(chosen))
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(chosen.open(encoding="utf-8")))) == 3


def test_import_workers_refuses_an_unreadable_file(runner, make, tmp_path):
    make.campaign("riau")
    path = tmp_path / "register.csv"
    path.write_bytes("nik,full_name\n1471,Bédi\n".encode("latin-1"))
    result = invoke(runner, "import-workers", "riau", str(path))
    assert result.exit_code == 1
    assert f"{path}: " in result.stderr and "UTF-8" in result.stderr
    path.write_text("nik,full_name\n")
    result = invoke(runner, "import-workers", "riau", str(path))
    assert result.exit_code == 1
    assert "tidak memuat birth_date, sex" in result.stderr


def test_import_workers_unknown_campaign(runner, make, tmp_path):
    path = write_csv(tmp_path / "register.csv", make, [make.csv_row()])
    result = invoke(runner, "import-workers", "nowhere", path)
    assert result.exit_code == 1
    assert "no campaign with slug 'nowhere'" in result.stderr
    assert count(Worker) == 0


def test_record_funding_counts_a_reference_once(runner, make):
    campaign = make.campaign("riau")
    args = ("record-funding", "riau", "20160000", "--funder", "APBD Provinsi Riau",
            "--designation", "zakat", "--reference", "TRF-2018-001")
    first = invoke(runner, *args)
    assert first.exit_code == 0, first.output
    assert "Recorded Rp 20.160.000 from APBD Provinsi Riau (zakat)" in first.stdout
    second = invoke(runner, *args)
    assert second.exit_code == 0, second.output
    assert count(Donation) == count(Payment) == 1
    donation = db.session.scalar(sa.select(Donation))
    assert (donation.kind, donation.designation, donation.funder) == (
        DonationKind.funding, Designation.zakat, "APBD Provinsi Riau")
    assert donation.payments[0].state == PaymentState.paid
    assert ledger.balance(campaign.id, Account.pool, Designation.zakat) == 20_160_000
    assert ledger.check_ledger() == []

    clash = invoke(runner, "record-funding", "riau", "100", "--funder", "X", "--reference", "TRF-2018-001")
    assert clash.exit_code == 1
    assert "sudah dicatat" in clash.stderr


def test_record_funding_without_reference_defaults_to_csr(runner, make):
    campaign = make.campaign("riau")
    for _ in range(2):
        result = invoke(runner, "record-funding", "riau", "1000000", "--funder", "PT Sawit Lestari, Tbk")
        assert result.exit_code == 0, result.output
        assert "Recorded Rp 1.000.000 from PT Sawit Lestari, Tbk (csr)" in result.stdout
    assert ledger.balance(campaign.id, Account.pool, Designation.csr) == 2_000_000
    assert invoke(runner, "record-funding", "riau", "0", "--funder", "PT Sawit").exit_code == 2
    assert invoke(runner, "record-funding", "riau", "1000", "--funder", "  ").exit_code == 1


def test_allocate(runner, make):
    campaign = make.campaign("riau")
    make.workers(campaign, 3)
    make.paid_gift(campaign, 2 * 6 * 16_800 + 500, designation=Designation.csr)
    result = invoke(runner, "allocate", "riau")
    assert result.exit_code == 0, result.output
    assert "riau: new (csr): 2 workers, 12 months, Rp 201.600" in result.stdout
    assert ledger.balance(campaign.id, Account.pool) == 500
    again = invoke(runner, "allocate", "riau")
    assert "riau: nothing to allocate." in again.stdout
    assert ledger.check_ledger() == []


def test_allocate_every_open_campaign(runner, make):
    riau = make.campaign("riau")
    kalbar = make.campaign("kalbar")
    closed = make.campaign("closed")
    for campaign in (riau, kalbar, closed):
        make.workers(campaign, 1)
        make.paid_gift(campaign, 6 * 16_800)
    closed.status = CampaignStatus.closed
    result = invoke(runner, "allocate")
    assert result.exit_code == 0, result.output
    assert "riau: new (infak): 1 worker," in result.stdout
    assert "kalbar: new (infak): 1 worker," in result.stdout
    assert "closed" not in result.stdout
    assert ledger.balance(closed.id, Account.pool) == 6 * 16_800


def test_allocate_unknown_campaign(runner):
    result = invoke(runner, "allocate", "nowhere")
    assert result.exit_code == 1
    assert "no campaign with slug 'nowhere'" in result.stderr


def test_check_ledger(runner, make):
    campaign = make.campaign()
    make.paid_gift(campaign, 50_000)
    result = invoke(runner, "check-ledger")
    assert result.exit_code == 0, result.output
    assert "Ledger OK" in result.stdout

    # Money marked paid behind the ledger's back: the books no longer match the payments.
    donation = create_donation(campaign, kind=DonationKind.pool, designation=Designation.infak, amount_idr=7_000)
    payment = start_payment(donation, "sandbox", "sbx_behind_the_back")
    db.session.execute(sa.update(Payment).where(Payment.id == payment.id).values(state=PaymentState.paid))
    broken = invoke(runner, "check-ledger")
    assert broken.exit_code == 1
    assert "received (infak) is 50000 but paid payments total 57000" in broken.stderr
    assert "Ledger OK" not in broken.output


def test_tick_expires_a_past_hold(runner, make):
    campaign = make.campaign()
    held, current = make.workers(campaign, 2)
    long_ago = clock.now() - dt.timedelta(hours=2)
    for worker, now in ((held, long_ago), (current, clock.now())):
        donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.infak,
                                   amount_idr=16_800, worker=worker, months=1)
        hold_worker(donation, now=now, today=clock.today())
    result = invoke(runner, "tick")
    assert result.exit_code == 0, result.output
    assert "holds expired: 1" in result.stdout
    assert list(db.session.scalars(sa.select(Hold.worker_id))) == [current.id]


def test_one_campaigns_failed_allocation_does_not_stop_the_others(runner, make, monkeypatch):
    from donate import cli
    from donate.services.coverage import allocation

    broken, kalbar = make.campaign("broken"), make.campaign("kalbar")
    for campaign in (broken, kalbar):
        make.workers(campaign, 1)
        make.paid_gift(campaign, 6 * 16_800)
    db.session.commit()
    real = allocation.allocate_pool

    def allocate_pool(campaign, **kwargs):
        if campaign.slug == "broken":  # as a bigint overflow in one campaign's figures once did
            raise sa.exc.DataError("UPDATE ...", {}, Exception("bigint out of range"))
        return real(campaign, **kwargs)

    monkeypatch.setattr(cli, "allocate_pool", allocate_pool)  # the command's own reference
    result = invoke(runner, "allocate")
    assert result.exit_code == 1
    assert "broken: allocation failed, nothing was allocated" in result.stderr
    assert "kalbar: new (infak): 1 worker," in result.stdout
    assert ledger.balance(broken.id, Account.pool) == 6 * 16_800
    assert ledger.balance(kalbar.id, Account.pool) == 0
