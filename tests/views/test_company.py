"""The company's pages: register with an NPWP, upload the list, see it verified, pay, download the report."""

import io

import sqlalchemy as sa

from donate import payments
from donate.extensions import db
from donate.models import Company, Role, Verification, Worker
from tests.manage_helpers import login, staff_user, user


def test_company_registers_uploads_and_sees_its_workers(app, client, make):
    app.config.update(PAYMENT_PROVIDER="sandbox,bank_transfer", BANK_NAME="Bank Syariah Indonesia",
                      BANK_ACCOUNT_NUMBER="7123456789", BANK_ACCOUNT_NAME="Yayasan Lindungi Pekerja")
    payments.init_app(app)
    campaign = make.campaign("riau-csr")
    account = user("csr@sawit.example", Role.donor)
    verifier = staff_user("verif@baznas.example", Role.verifier, campaign)
    db.session.commit()
    login(client, account)
    assert client.get("/company/").headers["Location"].endswith("/company/register")
    page = client.post("/company/register", data={"name": "PT Sawit Makmur", "npwp": "01.300.066.7-091.000",
                                                  "contact_name": "Ibu Rina"})
    assert page.status_code == 200
    assert "NPWP: NPWP tidak valid" not in page.get_data(as_text=True)
    assert "NPWP tidak valid" in page.get_data(as_text=True)
    assert client.post("/company/register", data={"name": "PT Sawit Makmur", "npwp": "01.300.066.6-091.000",
                                                  "contact_name": "Ibu Rina"}).status_code == 302
    assert db.session.scalar(sa.select(Company.npwp)) == "013000666091000"

    rows = [make.csv_row() for _ in range(3)]
    bad = make.worker_csv(rows + [make.csv_row(nik="123")])
    response = client.post("/company/upload", data={"campaign": "riau-csr", "file": (io.BytesIO(bad), "list.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "<td>5</td>" in response.get_data(as_text=True)
    response = client.post("/company/upload", data={"campaign": "riau-csr", "file": (
        io.BytesIO(make.worker_csv(rows)), "list.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "3 didaftarkan untuk diverifikasi" in response.get_data(as_text=True)

    # The campaign's verifier sees them pending and verifies two.
    login(client, verifier)
    pending = client.get("/manage/campaigns/riau-csr/workers?state=pending").get_data(as_text=True)
    ids = [part.split('"')[0] for part in pending.split('name="worker" value="')[1:]]
    assert len(ids) == 3
    assert client.post("/manage/campaigns/riau-csr/workers/verify", data={"worker": ids[:2]}).status_code == 302
    worker = db.session.scalar(sa.select(Worker).where(Worker.verification == Verification.verified))
    assert "Dari daftar PT Sawit Makmur" in client.get(
        f"/manage/campaigns/riau-csr/workers/{worker.public_id}").get_data(as_text=True)

    login(client, account)
    home = client.get("/company/").get_data(as_text=True)
    assert '<dd class="registered">3</dd>' in home and '<dd class="waiting">2</dd>' in home
    pay = client.get("/company/campaigns/riau-csr/pay").get_data(as_text=True)
    assert "Rp 201.600" in pay  # 2 workers × 6 months × Rp 16.800
    response = client.post("/company/campaigns/riau-csr/pay", data={"months": "6", "designation": "csr",
                                                                    "method": "bank_transfer"})
    assert response.status_code == 302
    report = client.get("/company/campaigns/riau-csr/report.csv")
    assert report.headers["Content-Disposition"].startswith("attachment")
    lines = report.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert len(lines) == 4
    assert all(rows[0]["nik"] not in line for line in lines)


def test_the_company_pages_need_an_account(client):
    assert client.get("/company/").status_code == 302
    assert "/auth/login" in client.get("/company/register").headers["Location"]
