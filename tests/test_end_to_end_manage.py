"""A campaign run end to end through the manager pages.

500 workers uploaded by CSV (some bad rows), verified, an APBD transfer
recorded, the pool allocated, a batch exported to BPJS and acknowledged in
two uploads (490 accepted, 10 rejected): 490 protected, 10 flagged, their
money back in the pool, and the ledger sound.
"""

import csv
import datetime as dt
import io

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import (
    Account,
    AuditEvent,
    CoverageMonth,
    CoverageState,
    Designation,
    RemittanceBatch,
    Role,
    Verification,
    Worker,
)
from donate.months import current_month, month_start
from donate.services import ledger
from donate.services.campaigns.progress import campaign_progress
from tests.conftest import PREMIUM
from tests.manage_helpers import login, staff_user

TERM = 6


def month_text(month: int) -> str:
    return month_start(month).strftime("%Y-%m")


def test_campaign_from_upload_to_bpjs_acknowledgement(app, client, make, runner):
    campaign = make.campaign("riau-apbd", target_workers=1000, term_months=TERM,
                             regions=(("1402", 600), ("1471", None)))
    manager = staff_user("amil@baznas.example", Role.manager, campaign)
    verifier = staff_user("verifikator@baznas.example", Role.verifier, campaign)
    db.session.commit()

    good = [make.csv_row(regency_code="1402" if i % 2 else "1471") for i in range(500)]
    bad = [make.csv_row(nik="1234"), {**make.csv_row(), "sex": "X"}, make.csv_row(regency_code="9999"),
           dict(good[7]), {**make.csv_row(), "birth_date": "1990-02-30"}]
    rows = good[:100] + bad + good[100:]
    data = make.worker_csv(rows, delimiter=";", bom=True)

    # A verifier uploads: bad rows are reported by line and nothing is imported.
    login(client, verifier)
    page = client.post("/manage/campaigns/riau-apbd/workers/upload",
                       data={"file": (io.BytesIO(data), "pekerja.csv"), "pending": "y"},
                       content_type="multipart/form-data", follow_redirects=True)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for line in (102, 103, 104, 105, 106):
        assert f"<td>{line}</td>" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 0
    link = next(part.split('"')[0] for part in text.split('href="') if "/workers/rejected/" in part.split('"')[0])
    rejected = list(csv.DictReader(io.StringIO(client.get(link).get_data(as_text=True).lstrip("\ufeff"))))
    assert [int(r["line"]) for r in rejected] == [102, 103, 104, 105, 106]
    assert rejected[3]["reason"] == "NIK: sama dengan baris 9"
    assert db.session.scalar(sa.select(AuditEvent.user_id).where(AuditEvent.action == "worker.rejected_rows")) \
        == verifier.id

    # Again, importing the good rows; they wait for verification.
    page = client.post("/manage/campaigns/riau-apbd/workers/upload",
                       data={"file": (io.BytesIO(data), "pekerja.csv"), "pending": "y", "skip_invalid": "y"},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "500" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)
                             .where(Worker.verification == Verification.pending)) == 500

    # The verifier ticks and verifies them, page by page.
    pending = client.get("/manage/campaigns/riau-apbd/workers?state=pending&per_page=500").get_data(as_text=True)
    ids = [part.split('"')[0] for part in pending.split('name="worker" value="')[1:]]
    assert len(ids) == 500
    assert client.post("/manage/campaigns/riau-apbd/workers/verify", data={"worker": ids}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)
                             .where(Worker.verification == Verification.verified)) == 500

    # The verifier may not touch money.
    assert client.get("/manage/campaigns/riau-apbd/funding").status_code == 403

    # The manager records the provincial budget transfer.
    login(client, manager)
    amount = 500 * TERM * PREMIUM
    response = client.post("/manage/campaigns/riau-apbd/funding", data={
        "source": "apbd", "funder": "APBD Provinsi Riau", "amount_idr": str(amount),
        "designation": "csr", "reference": "SP2D-2026-0042"})
    assert response.status_code == 302
    assert ledger.balance(campaign.id, Account.pool) == amount

    # Preview, then allocate.
    preview = client.get("/manage/campaigns/riau-apbd/allocation").get_data(as_text=True)
    assert 'class="new-workers">500<' in preview
    assert ledger.balance(campaign.id, Account.pool) == amount, "the preview must not move money"
    assert client.post("/manage/campaigns/riau-apbd/allocation", data={"confirm": "y"}).status_code == 302
    assert ledger.balance(campaign.id, Account.pool) == 0
    assert campaign_progress(campaign, today=clock.today())["workers_funded"] == 500

    # A batch of the funded months, its file for BPJS (full NIKs, audited) and the transfer.
    now = current_month(clock.today())
    response = client.post("/manage/campaigns/riau-apbd/remittance",
                           data={"first_month": month_text(now - 3), "last_month": month_text(now + 11)})
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(RemittanceBatch))
    assert (batch.workers, batch.months, batch.amount_idr) == (500, 500 * TERM, amount)
    exported = client.get(f"/manage/campaigns/riau-apbd/remittance/{batch.id}/bpjs.csv")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    lines = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(lines) == 500
    assert {r["nik"] for r in lines} == {r["nik"] for r in good}
    assert {r["months"] for r in lines} == {str(TERM)}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "remittance.export", AuditEvent.user_id == manager.id)) == 1
    assert client.post(f"/manage/campaigns/riau-apbd/remittance/{batch.id}/transfer",
                       data={"reference": "BNI 0099887766", "transferred_on": dt.date.today().isoformat()}
                       ).status_code == 302

    # BPJS answers in two files; the second repeats the first's rows, which count once.
    answers = [(r["nik"], f"{i + 1:011d}", "diterima", "") for i, r in enumerate(lines[:490])]
    answers += [(r["nik"], "", "ditolak", "NIK tidak terdaftar di Dukcapil") for r in lines[490:]]

    def upload(rows):
        body = "nik,kpj,status,reason\n" + "\n".join(",".join(row) for row in rows) + "\n"
        return client.post(f"/manage/campaigns/riau-apbd/remittance/{batch.id}/acknowledgement",
                           data={"file": (io.BytesIO(body.encode()), "ack.csv")},
                           content_type="multipart/form-data")

    assert upload(answers[:300]).status_code == 200
    second = upload(answers)
    assert second.status_code == 200
    assert "300" in second.get_data(as_text=True)
    db.session.expire_all()

    counts = dict(db.session.execute(sa.select(CoverageMonth.state, sa.func.count())
                                     .group_by(CoverageMonth.state)).all())
    assert counts == {CoverageState.accepted: 490 * TERM, CoverageState.rejected: 10 * TERM}
    assert campaign_progress(campaign, today=clock.today())["workers_protected"] == 490
    flagged = db.session.scalars(sa.select(Worker).where(Worker.flag_reason.is_not(None))).all()
    assert len(flagged) == 10 and {w.flag_reason for w in flagged} == {"NIK tidak terdaftar di Dukcapil"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker).where(Worker.kpj.is_not(None))) == 490
    assert ledger.balance(campaign.id, Account.pool, Designation.csr) == 10 * TERM * PREMIUM
    assert ledger.balance(campaign.id, Account.remitted) == 490 * TERM * PREMIUM
    assert db.session.get(RemittanceBatch, batch.id).state.value == "reconciled"
    assert ledger.check_ledger() == []
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 0, result.output

    # The dashboard shows it all, from the ledger and the audit log.
    page = client.get("/manage/campaigns/riau-apbd").get_data(as_text=True)
    assert "APBD Provinsi Riau" in page and "<svg" in page
    assert "Tanda terima BPJS diimpor" in page
