"""A company brings its own workers, end to end through the pages.

A company registers with its NPWP and uploads 200 workers; the campaign's
verifier accepts 190 and rejects 10; the company pays for its 190 workers ×
6 months by bank transfer, matched from the uploaded bank statement; the
batch goes to BPJS, which accepts 188 and refuses 2; two claims are
recorded. The company's page and report and the campaign page show exactly
those figures, and ``check-ledger`` and ``reconcile`` are clean.
"""

import csv
import datetime as dt
import io

import sqlalchemy as sa

from donate import clock, payments
from donate.extensions import db
from donate.models import (
    Account,
    CoverageMonth,
    CoverageState,
    Payment,
    PaymentState,
    RemittanceBatch,
    Role,
    Verification,
    Worker,
)
from donate.models.base import utcnow
from donate.months import current_month, month_code
from donate.services import ledger
from donate.services.campaigns.progress import campaign_progress
from tests.conftest import PREMIUM
from tests.manage_helpers import login, staff_user, user

TERM = 6
LISTED, VERIFIED, ACCEPTED = 200, 190, 188


def test_a_company_protects_its_own_workers_from_list_to_claims(app, client, make, runner):
    app.config.update(PAYMENT_PROVIDER="sandbox,bank_transfer", BANK_NAME="Bank Syariah Indonesia",
                      BANK_ACCOUNT_NUMBER="7123456789", BANK_ACCOUNT_NAME="Yayasan Lindungi Pekerja")
    payments.init_app(app)
    campaign = make.campaign("riau-csr", target_workers=1000, term_months=TERM)
    general = make.workers(campaign, 5)  # the general waiting list, which the company's gift must not touch
    manager = staff_user("amil@baznas.example", Role.manager, campaign)
    verifier = staff_user("verifikator@baznas.example", Role.verifier, campaign)
    account = user("csr@sawit.example", Role.donor)
    db.session.commit()

    # The company registers and uploads its list.
    login(client, account)
    assert client.post("/company/register", data={"name": "PT Sawit Makmur", "npwp": "01.300.066.6-091.000",
                                                  "contact_name": "Ibu Rina", "contact_phone": "0812 7000 1234"}
                       ).status_code == 302
    rows = [make.csv_row(regency_code="1402" if i % 2 else "1471", occupation="nelayan" if i % 2 else "buruh tani")
            for i in range(LISTED)]
    response = client.post("/company/upload", data={"campaign": "riau-csr", "file": (
        io.BytesIO(make.worker_csv(rows, delimiter=";", bom=True)), "pekerja.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "200 didaftarkan untuk diverifikasi" in response.get_data(as_text=True)

    # The campaign's verifier accepts 190 and rejects 10.
    login(client, verifier)
    pending = client.get("/manage/campaigns/riau-csr/workers?state=pending&per_page=500").get_data(as_text=True)
    ids = [part.split('"')[0] for part in pending.split('name="worker" value="')[1:]]
    assert len(ids) == LISTED
    assert client.post("/manage/campaigns/riau-csr/workers/verify", data={"worker": ids[:VERIFIED]}).status_code == 302
    db.session.expire_all()
    for worker in db.session.scalars(sa.select(Worker).where(Worker.verification == Verification.pending)).all():
        assert client.post(f"/manage/campaigns/riau-csr/workers/{worker.public_id}", data={
            "verification": "rejected", "reason": "bukan pekerja rentan", "priority": "0"}).status_code == 302
    db.session.expire_all()
    counts = dict(db.session.execute(sa.select(Worker.verification, sa.func.count())
                                     .where(Worker.company_id.is_not(None)).group_by(Worker.verification)).all())
    assert counts == {Verification.verified: VERIFIED, Verification.rejected: LISTED - VERIFIED}
    assert campaign_progress(campaign, today=clock.today())["workers_waiting"] == len(general)

    # The company pays for its 190 workers × 6 months by bank transfer.
    login(client, account)
    price = VERIFIED * TERM * PREMIUM
    assert "Rp 19.152.000" in client.get("/company/campaigns/riau-csr/pay").get_data(as_text=True)
    response = client.post("/company/campaigns/riau-csr/pay",
                           data={"months": str(TERM), "designation": "csr", "method": "bank_transfer"})
    assert response.status_code == 302
    payment = db.session.scalar(sa.select(Payment))
    assert payment.provider == "bank_transfer" and price < payment.amount_idr < price + 1000
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "7123456789" in thanks

    # The manager uploads the bank statement; the credit of the exact amount confirms the payment.
    login(client, manager)
    booked = (utcnow() + dt.timedelta(hours=7)).date()
    statement = f"date,description,amount\n{booked.isoformat()},TRSF PT SAWIT MAKMUR,{payment.amount_idr}\n"
    response = client.post("/manage/bank-transfers", data={
        "bank": "generic", "file": (io.BytesIO(statement.encode()), "mutasi.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).state == PaymentState.paid
    company_ids = set(db.session.scalars(sa.select(Worker.id).where(Worker.company_id.is_not(None),
                                                                    Worker.verification == Verification.verified)))
    funded = set(db.session.scalars(sa.select(CoverageMonth.worker_id).distinct()))
    assert funded == company_ids and len(funded) == VERIFIED
    assert ledger.balance(campaign.id, Account.allocated) == price
    assert ledger.balance(campaign.id, Account.pool) == payment.amount_idr - price  # the transfer's unique code

    # The batch goes to BPJS; BPJS accepts 188 and refuses 2.
    month = current_month(clock.today())
    assert client.post("/manage/campaigns/riau-csr/remittance", data={
        "first_month": month_code(month - 3), "last_month": month_code(month + 11)}).status_code == 302
    batch = db.session.scalar(sa.select(RemittanceBatch))
    assert (batch.workers, batch.months, batch.amount_idr) == (VERIFIED, VERIFIED * TERM, price)
    lines = list(csv.DictReader(io.StringIO(client.get(f"/manage/campaigns/riau-csr/remittance/{batch.id}/bpjs.csv")
                                            .get_data(as_text=True).lstrip("\ufeff"))))
    assert len(lines) == VERIFIED
    assert client.post(f"/manage/campaigns/riau-csr/remittance/{batch.id}/transfer", data={
        "reference": "BSI 7766554433", "transferred_on": clock.today().isoformat()}).status_code == 302
    answers = [f"{r['nik']},{i + 1:011d},diterima," for i, r in enumerate(lines[:ACCEPTED])]
    answers += [f"{r['nik']},,ditolak,NIK tidak ditemukan" for r in lines[ACCEPTED:]]
    response = client.post(f"/manage/campaigns/riau-csr/remittance/{batch.id}/acknowledgement", data={
        "file": (io.BytesIO(("nik,kpj,status,reason\n" + "\n".join(answers) + "\n").encode()), "bpjs.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200

    # Two claims: a fisher's death (JKM) and a farm hand's accident (JKK).
    db.session.expire_all()
    accepted = db.session.scalars(sa.select(Worker).where(Worker.kpj.is_not(None)).order_by(Worker.id)).all()
    assert len(accepted) == ACCEPTED
    fisher = next(w for w in accepted if w.occupation == "nelayan")
    farmer = next(w for w in accepted if w.occupation == "buruh tani")
    today = clock.today().isoformat()
    assert client.post(f"/manage/campaigns/riau-csr/workers/{fisher.public_id}/claims", data={
        "programme": "jkm", "kind": "heirs", "event_date": today, "amount_idr": "42000000",
        "scholarship_idr": "0"}).status_code == 302
    assert client.post(f"/manage/campaigns/riau-csr/workers/{farmer.public_id}/claims", data={
        "programme": "jkk", "kind": "medical", "event_date": today, "amount_idr": "12500000"}).status_code == 302

    # The company's page and report.
    login(client, account)
    home = client.get("/company/").get_data(as_text=True)
    for css, value in (("registered", "200"), ("pending", "0"), ("verified", "190"), ("rejected", "10"),
                       ("waiting", "0"), ("funded", "188"), ("worker-months", "1.128"), ("accepted", "188"),
                       ("protected", "188"), ("bpjs-rejected", "2"), ("claims", "2")):
        assert f'<dd class="{css}">{value}</dd>' in home, css
    assert "190 pekerja, 1.140 pekerja-bulan" in home
    assert f'<dd class="paid">Rp 19.152.{payment.amount_idr - price:03d}</dd>' in home
    assert "Rp 54.500.000" in home
    report = list(csv.DictReader(io.StringIO(client.get("/company/campaigns/riau-csr/report.csv")
                                             .get_data(as_text=True).lstrip("\ufeff"))))
    assert len(report) == LISTED
    assert sum(1 for r in report if r["verification"] == "verified") == VERIFIED
    assert sum(int(r["months_accepted"]) for r in report) == ACCEPTED * TERM
    assert sum(1 for r in report if r["state_this_month"] == "accepted") == ACCEPTED
    assert sum(1 for r in report if r["state_this_month"] == "rejected") == VERIFIED - ACCEPTED
    assert sum(int(r["claims"]) for r in report) == 2
    assert sum(int(r["claims_paid_idr"]) for r in report) == 54_500_000
    assert {r["nik_masked"][-4:] for r in report} == {r["nik"][-4:] for r in rows}
    assert not {r["nik_masked"] for r in report} & {r["nik"] for r in rows}

    # The campaign page and the API.
    page = client.get("/campaigns/riau-csr").get_data(as_text=True)
    assert "Rp 42.000.000 diterima ahli waris seorang nelayan di Indragiri Hulu" in page
    assert "Rp 12.500.000 biaya perawatan seorang buruh tani di Pekanbaru dibayar BPJS" in page
    assert fisher.full_name not in page
    progress = client.get("/api/v1/campaigns/riau-csr").get_json()
    assert (progress["workers_funded"], progress["workers_protected"]) == (ACCEPTED, ACCEPTED)
    assert progress["worker_months_funded"] == ACCEPTED * TERM
    assert progress["raised_idr"] == payment.amount_idr
    assert (progress["claims_paid"], progress["claims_paid_idr"]) == (2, 54_500_000)
    assert progress["workers_waiting"] == len(general)
    assert ledger.balance(campaign.id, Account.pool) == payment.amount_idr - ACCEPTED * TERM * PREMIUM

    # The books: the ledger's invariants and the provider's own records agree.
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["reconcile", "riau-csr"])
    assert result.exit_code == 0, result.output
