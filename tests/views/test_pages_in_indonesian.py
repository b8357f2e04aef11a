"""Manage pages, donor pages and the import report speak Indonesian: no English refusal, code or plural slips through.

Each sentence below once reached an Indonesian page: a service's English
message, a ledger memo, an audit action code or a provider's code name.
"""

import io
import re

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import Designation, Donation, Role
from donate.months import current_month, month_code
from donate.services.coverage.allocation import allocate_pool
from tests.manage_helpers import login, staff_user

#: English that must never show on an Indonesian page.
ENGLISH = (
    "does not agree with the birth date inside the NIK", "birth_date:", "already registered", "nik:",
    "can be refunded now", "no funded months of this period are waiting to be sent to BPJS",
    "payment_received", "for donation", "1 months", "payment.refund", "allocation.run", "funding.record",
    "refund of payment",
    # Audit details once stored as English text ("1 workers, 6 months", "imported N (verified)…").
    "workers, ", "6 months", "imported ", "(verified)", "pending verification", "ref TRF-1", "refunded (refund",
    "assigned to",
)
#: Codes that must show in words.
CODES = re.compile(r"\bmanual\b|\bsandbox payment\b")


def _assert_indonesian(html: str, where: str) -> None:
    assert '<html lang="id">' in html, where
    shown = re.sub(r'\s(?:value|href|action|name|id|for|class)="[^"]*"', "", html)  # what a reader sees
    found = [sentence for sentence in ENGLISH if sentence in shown] + CODES.findall(shown)
    assert found == [], f"English on {where}: {found}"


def test_manage_donor_pages_and_import_report_are_in_indonesian(app, client, make):
    campaign = make.campaign("riau")
    registered = make.worker(campaign)
    make.paid_gift(campaign, 16_800, designation=Designation.infak, donor_email="rina@example.org")
    manager = staff_user("m@example.org", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    pages: dict[str, str] = {}

    def keep(name: str, response) -> None:
        assert response.status_code in (200, 400), (name, response.status_code)
        pages[name] = response.get_data(as_text=True)

    # A worker typed in with a birth date the NIK contradicts, then a NIK already registered.
    row = make.csv_row()
    keep("worker form: birth date", client.post("/manage/campaigns/riau/workers/new",
                                                data={**row, "birth_date": "1999-12-31"}))
    assert "tidak sesuai dengan tanggal lahir di dalam NIK" in pages["worker form: birth date"]
    first = client.post("/manage/campaigns/riau/workers/new", data={**row, "mustahik": "y", "consent": "y"})
    assert first.status_code == 302
    keep("worker form: registered", client.post("/manage/campaigns/riau/workers/new", data=row))
    assert "NIK ini sudah terdaftar" in pages["worker form: registered"]

    # The import report: a bad birth date, a registered NIK, a duplicate line.
    again, bad_date = make.csv_row(), make.csv_row()
    bad_date["birth_date"] = "1999-12-31"
    csv = make.worker_csv([again, again, bad_date, row])
    keep("import report", client.post("/manage/campaigns/riau/workers/upload",
                                      data={"file": (io.BytesIO(csv), "register.csv")},
                                      content_type="multipart/form-data", follow_redirects=True))
    report = pages["import report"]
    assert "NIK: sama dengan baris 2" in report and "NIK: sudah terdaftar" in report
    assert "tanggal lahir: tidak sesuai dengan tanggal lahir di dalam NIK" in report

    # Manual funding, allocated and sent to BPJS: only what is left in the pool can be refunded.
    funded = client.post("/manage/campaigns/riau/funding", data={
        "source": "apbd", "funder": "Pemprov Riau", "amount_idr": str(6 * 16_800 * 2 + 100_000),
        "designation": "infak", "reference": "TRF-1"})
    assert funded.status_code == 302
    allocate_pool(campaign, today=clock.today(), now=clock.now())
    month = current_month(clock.today())
    period = {"first_month": month_code(month), "last_month": month_code(month + 11)}
    assert client.post("/manage/campaigns/riau/remittance", data=period).status_code == 302
    keep("remittance: nothing left", client.post("/manage/campaigns/riau/remittance", data=period))
    assert "tidak ada bulan yang sudah didanai" in pages["remittance: nothing left"]
    manual = db.session.scalar(sa.select(Donation).where(Donation.funder == "Pemprov Riau")).payments[0]
    refund = f"/manage/campaigns/riau/gifts/{manual.id}/refund"
    keep("refund refused", client.post(refund, data={"amount_idr": "", "reason": "salah transfer"}))
    assert "hanya Rp" in pages["refund refused"]
    assert client.post(refund, data={"amount_idr": "16800", "reason": "salah transfer"}).status_code == 302

    for url in ("/manage/campaigns/riau", "/manage/campaigns/riau/gifts", refund, "/manage/audit",
                "/manage/campaigns/riau/allocation", "/manage/campaigns/riau/remittance",
                f"/manage/campaigns/riau/workers/{registered.public_id}"):
        keep(url, client.get(url))
    assert "Donasi diterima" in pages["/manage/campaigns/riau"]
    assert "Donasi dikembalikan" in pages["/manage/audit"]

    # The donor's pages, logged out.
    client.get("/auth/logout")
    with client.session_transaction() as session:
        session.clear()
    for url in ("/donor/campaigns/riau/workers", "/donor/campaigns/riau/give", "/donor/campaigns/riau/fund",
                f"/donor/campaigns/riau/workers/{registered.public_id}"):
        keep(url, client.get(url))
    keep("fund: too many", client.post("/donor/campaigns/riau/fund", data={
        "workers": "500", "months": "6", "designation": "infak", "donor_name": "Rina",
        "donor_email": "rina@example.org"}))
    keep("give: too little", client.post("/donor/campaigns/riau/give", data={
        "amount_idr": "5", "designation": "infak", "donor_name": "Rina", "donor_email": "rina@example.org"}))

    for where, html in pages.items():
        _assert_indonesian(html, where)
