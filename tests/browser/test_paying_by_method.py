"""Paying the way Indonesians pay, in a real browser: QRIS on a 360 px phone, bank transfer matched from a statement."""

import datetime as dt
import re

import sqlalchemy as sa

from donate import payments
from donate.extensions import db
from donate.models import Payment, PaymentState, Role
from donate.models.base import utcnow
from tests.browser.test_manage import log_in
from tests.manage_helpers import user


def fill_donor(page, name: str, email: str) -> None:
    if page.locator("input[name=designation]:checked").count() == 0:
        page.check("input[name=designation][value=infak]")
    page.fill("input[name=donor_name]", name)
    page.fill("input[name=donor_email]", email)


def test_donor_picks_qris_on_a_phone_and_pays_in_the_sandbox(app, make, page):
    campaign = make.campaign("gn-lingkaran-2018", name="GN Lingkaran 2018")
    worker = make.worker(campaign, full_name="Budi Santoso", occupation="ojek")
    db.session.commit()
    page.set_viewport_size({"width": 360, "height": 780})

    page.goto(f"/donor/campaigns/{campaign.slug}/workers/{worker.public_id}")
    tiles = page.locator("label.method-tile")
    assert tiles.first.inner_text().strip().startswith("QRIS")
    box = tiles.first.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 140  # a thumb can hit it
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    fill_donor(page, "Siti", "siti@example.com")
    tiles.filter(has_text="QRIS").click()
    page.locator("form.stack button[type=submit]").click()

    assert page.locator("main svg").count() >= 1  # the QR code to scan
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("button[value=pay]")
    assert "Terima kasih" in page.inner_text("main")
    payment = db.session.scalar(sa.select(Payment))
    db.session.refresh(payment)
    assert (payment.method, payment.state) == ("qris", PaymentState.paid)


def test_donor_pays_by_bank_transfer_and_a_manager_matches_it_from_the_statement(app, make, page, live_server,
                                                                                  tmp_path):
    app.config.update(PAYMENT_PROVIDER="sandbox,bank_transfer", BANK_NAME="Bank Syariah Indonesia",
                      BANK_ACCOUNT_NUMBER="7123456789", BANK_ACCOUNT_NAME="Yayasan Lindungi Pekerja")
    payments.init_app(app)
    campaign = make.campaign("gn-lingkaran-2018", name="GN Lingkaran 2018")
    manager = user("bendahara@example.org", Role.manager)
    db.session.commit()

    page.goto(f"/donor/campaigns/{campaign.slug}/give")
    page.fill("input[name=amount]", "150000")
    fill_donor(page, "Rina", "rina@example.com")
    page.locator("label.method-tile", has_text="Transfer bank").click()
    page.locator("form.stack button[type=submit]").click()
    text = page.inner_text("main")
    assert "7123456789" in text and "Yayasan Lindungi Pekerja" in text
    shown = page.locator("[data-testid=transfer-amount]").inner_text()
    amount = int(re.sub(r"\D", "", shown))
    assert 150_001 <= amount <= 150_999

    # The bank's statement, as KlikBCA exports it, with the donor's credit on it.
    day = (utcnow() + dt.timedelta(hours=7)).date()
    statement = tmp_path / "mutasi.csv"
    statement.write_text(
        f"No. rekening : 7123456789\nPeriode : {day:%d/%m/%Y} - {day:%d/%m/%Y}\n\n"
        "Tanggal Transaksi,Keterangan,Cabang,Jumlah,Saldo\n"
        f"'{day:%d/%m},TRSF E-BANKING CR RINA,'0000,{amount}.00 CR,9000000.00\n"
        f"'{day:%d/%m},TRSF E-BANKING CR ORANG LAIN,'0000,77777.00 CR,9077777.00\n")
    log_in(page, live_server, manager)
    page.goto("/manage/bank-transfers")
    page.select_option("select[name=bank]", "bca")
    page.set_input_files("input[name=file]", str(statement))
    page.locator("form.stack button[type=submit]").click()
    report = page.inner_text("main")
    assert "1 terkonfirmasi" in report and "1 tanpa transfer" in report
    payment = db.session.scalar(sa.select(Payment))
    db.session.refresh(payment)
    assert payment.state == PaymentState.paid and payment.amount_idr == amount
