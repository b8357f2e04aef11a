"""Bank transfer with a unique code: the exact amount, statement uploads (BCA, Mandiri, BSI, generic), matching."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from donate import clock, payments
from donate.extensions import db
from donate.models import (
    Account,
    AuditEvent,
    BankTransfer,
    CoverageMonth,
    Designation,
    Hold,
    LineState,
    Payment,
    PaymentState,
    Receipt,
    Role,
    StatementLine,
)
from donate.models.base import utcnow
from donate.services import ledger
from donate.services.money.checkout import Donor, give_to_pool
from donate.services.money.statements import (
    StatementUnreadable,
    parse_amount,
    parse_statement,
)
from donate.services.money.transfers import CODES, assign_line, upload_statement
from tests.manage_helpers import login, user

GIFT = 100_000


@pytest.fixture
def bank_app(app):
    """Enable bank transfer beside the sandbox, with the foundation's account."""
    app.config.update(PAYMENT_PROVIDER="sandbox,bank_transfer", BANK_NAME="Bank Syariah Indonesia",
                      BANK_ACCOUNT_NUMBER="7123456789", BANK_ACCOUNT_NAME="Yayasan Lindungi Pekerja")
    payments.init_app(app)
    return app


@pytest.fixture
def campaign(bank_app, make):
    campaign = make.campaign("gn-lingkaran")
    db.session.commit()
    return campaign


def give(client, campaign, amount=GIFT, method="bank_transfer"):
    return client.post(f"/donor/campaigns/{campaign.slug}/give",
                       data={"amount": str(amount), "designation": "infak", "donor_name": "Siti",
                             "donor_email": "siti@example.com", "method": method})


def transfer_of(payment) -> BankTransfer:
    return db.session.scalar(sa.select(BankTransfer).where(BankTransfer.payment_id == payment.id))


def bca_statement(*lines, period=None) -> str:
    """A KlikBCA export: account lines, the header, transactions, balance totals."""
    today = wib_today()  # statements are dated in Jakarta time, which is a day ahead from 17:00 UTC
    period = period or f"{today:%d/%m/%Y} - {today:%d/%m/%Y}"
    rows = ["No. rekening : 7123456789", "Nama : YAYASAN LINDUNGI PEKERJA", f"Periode : {period}",
            "Kode Mata Uang : Rp", "", "Tanggal Transaksi,Keterangan,Cabang,Jumlah,Saldo"]
    for day, text, amount in lines:
        rows.append(f"'{day},{text},'0000,{amount},5000000.00")
    rows += ["", "Saldo Awal,=,4000000.00", "Mutasi Kredit,=,1000000.00,2", "Saldo Akhir,=,5000000.00"]
    return "\n".join(rows) + "\n"


def wib_today() -> dt.date:
    return (utcnow() + dt.timedelta(hours=7)).date()


def test_form_offers_bank_transfer_last_and_shows_the_account_and_exact_amount(client, campaign):
    page = client.get(f"/donor/campaigns/{campaign.slug}/give").get_data(as_text=True)
    methods = re.findall(r'name="method" (?:required )?type="radio" value="(\w+)"', page)
    assert methods[0] == "qris" and methods[-1] == "bank_transfer" and "card" in methods

    response = give(client, campaign)
    payment = db.session.scalar(sa.select(Payment))
    transfer = transfer_of(payment)
    assert payment.provider == "bank_transfer" and payment.method == "bank_transfer"
    assert transfer.code in CODES and transfer.open_code == transfer.code
    assert payment.amount_idr == transfer.amount_due_idr == GIFT + transfer.code
    assert payment.donation.amount_idr == GIFT
    assert payment.expires_at == transfer.expires_at
    assert transfer.expires_at - transfer.created_at == dt.timedelta(hours=24)

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "7123456789" in page and "Yayasan Lindungi Pekerja" in page
    assert f"Rp {payment.amount_idr:,}".replace(",", ".") in page
    assert payment.state in (PaymentState.created, PaymentState.pending)


def test_codes_are_unique_among_open_transfers_and_no_two_open_amounts_agree(bank_app, campaign):
    for amount in [GIFT] * 60 + [GIFT + 3, GIFT + 7, GIFT - 5]:
        give_to_pool(campaign, amount, Designation.infak, Donor(name="Siti", email="s@example.com"),
                     lambda payment: ("/ok", "/batal"), method="bank_transfer", now=clock.now())
    transfers = db.session.scalars(sa.select(BankTransfer)).all()
    assert len({t.open_code for t in transfers}) == len(transfers)
    assert len({t.amount_due_idr for t in transfers}) == len(transfers)


def test_expired_codes_are_free_again(client, campaign):
    give(client, campaign)
    first = db.session.scalar(sa.select(BankTransfer))
    first.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    give(client, campaign)
    db.session.expire_all()
    assert first.open_code is None


def test_statement_line_confirms_the_transfer_once_however_often_uploaded(client, campaign, make):
    give(client, campaign)
    payment = db.session.scalar(sa.select(Payment))
    manager = user("bendahara@example.org", Role.manager)
    statement = bca_statement((f"{wib_today():%d/%m}", "TRSF E-BANKING CR 0112/FTSCY/WS95031 SITI", 
                               f"{payment.amount_idr}.00 CR"),
                              (f"{wib_today():%d/%m}", "BIAYA ADM", "10000.00 DB"))

    report = upload_statement(statement.encode(), "bca", user=manager, now=clock.now(), today=clock.today())
    db.session.commit()
    assert (report.credits, len(report.matched), len(report.unmatched), report.repeated) == (1, 1, 0, 0)
    db.session.expire_all()
    assert payment.state == PaymentState.paid
    assert transfer_of(payment).open_code is None
    assert db.session.scalar(sa.select(Receipt.payment_id)) == payment.id
    campaign_id = payment.donation.campaign_id
    # The code is part of the gift: all of it reached the pool.
    assert ledger.balance(campaign_id, Account.received) == -payment.amount_idr
    assert ledger.balance(campaign_id, Account.pool) + ledger.balance(campaign_id, Account.allocated) \
        == payment.amount_idr

    again = upload_statement(statement.encode(), "bca", user=manager, now=clock.now(), today=clock.today())
    db.session.commit()
    assert (len(again.matched), again.repeated) == (0, 1)
    assert ledger.balance(campaign_id, Account.received) == -payment.amount_idr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatementLine)) == 1
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("bank_statement.upload") == 2
    assert ledger.check_ledger() == []


def test_named_worker_held_for_as_long_as_the_transfer_is_open(client, campaign, make):
    worker = make.worker(campaign)
    db.session.commit()
    client.post(f"/donor/campaigns/{campaign.slug}/workers/{worker.public_id}",
                data={"months": "6", "designation": "infak", "donor_name": "Siti", "donor_email": "s@example.com",
                      "method": "bank_transfer"})
    payment = db.session.scalar(sa.select(Payment))
    hold = db.session.scalar(sa.select(Hold))
    assert hold.expires_at == payment.expires_at == transfer_of(payment).expires_at
    manager = user("bendahara@example.org", Role.manager)
    upload_statement(bca_statement((f"{wib_today():%d/%m}", "SETORAN TUNAI", f"{payment.amount_idr}.00 CR")),
                     "bca", user=manager, now=clock.now(), today=clock.today())
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageMonth)
                             .where(CoverageMonth.worker_id == worker.id)) == 6
    assert db.session.scalar(sa.select(Hold)) is None


def test_unmatched_and_ambiguous_lines_wait_for_a_manager_who_assigns_them(client, campaign):
    give(client, campaign)
    give(client, campaign)
    first, second = db.session.scalars(sa.select(Payment).order_by(Payment.id)).all()
    # Two open transfers of the same amount (a code freed and drawn again): the credit could be either.
    transfer_of(second).open_code = None
    transfer_of(second).amount_due_idr = second.amount_idr = first.amount_idr
    manager = user("bendahara@example.org", Role.manager)
    day = f"{wib_today():%d/%m}"
    report = upload_statement(bca_statement((day, "TRSF DARI BUDI", f"{first.amount_idr}.00 CR"),
                                            (day, "TRSF DARI ENTAH SIAPA",
                                             "77777.00 CR")), "bca", user=manager, now=clock.now(), today=clock.today())
    db.session.commit()
    assert (len(report.matched), len(report.ambiguous), len(report.unmatched)) == (0, 1, 1)
    line = report.ambiguous[0]
    assert first.state != PaymentState.paid and second.state != PaymentState.paid

    with pytest.raises(Exception, match="77"):
        assign_line(report.unmatched[0], first.id, user=manager, now=clock.now(), today=clock.today())
    db.session.rollback()
    line = db.session.get(StatementLine, line.id)
    assign_line(line, second.id, user=manager, now=clock.now(), today=clock.today())
    db.session.commit()
    db.session.expire_all()
    assert second.state == PaymentState.paid and first.state != PaymentState.paid
    assert line.state == LineState.matched and line.assigned_by_id == manager.id
    assert "bank_statement.assign" in db.session.scalars(sa.select(AuditEvent.action)).all()
    with pytest.raises(Exception):
        assign_line(line, first.id, user=manager, now=clock.now(), today=clock.today())


def test_credit_booked_outside_the_window_is_not_matched(client, campaign):
    give(client, campaign)
    payment = db.session.scalar(sa.select(Payment))
    manager = user("bendahara@example.org", Role.manager)
    long_ago = wib_today() - dt.timedelta(days=10)
    report = upload_statement(f"date,description,amount\n{long_ago.isoformat()},TRANSFER,{payment.amount_idr}\n",
                              "generic", user=manager, now=clock.now(), today=clock.today())
    assert len(report.unmatched) == 1 and payment.state != PaymentState.paid


def test_manager_uploads_through_the_page_and_donors_cannot(client, campaign):
    give(client, campaign)
    payment = db.session.scalar(sa.select(Payment))
    donor = user("donor@example.org", Role.donor)
    manager = user("bendahara@example.org", Role.manager)
    db.session.commit()
    login(client, donor)
    assert client.get("/manage/bank-transfers").status_code == 403
    login(client, manager)
    page = client.get("/manage/bank-transfers").get_data(as_text=True)
    assert str(payment.amount_idr)[-3:] in page.replace(".", "")
    statement = f"Tanggal;Keterangan;Debet;Kredit;Saldo\n{wib_today():%d/%m/%Y};TRF SITI;;{payment.amount_idr:,}".replace(",", ".") + ",00;1.000.000,00\n"
    import io
    response = client.post("/manage/bank-transfers", data={"bank": "mandiri", "file": (io.BytesIO(statement.encode()), "mutasi.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    db.session.expire_all()
    assert payment.state == PaymentState.paid
    bad = client.post("/manage/bank-transfers", data={"bank": "mandiri", "file": (io.BytesIO(b"Tanggal;Keterangan;Debet;Kredit\n01/13/2026;X;;5.000,00\n"), "m.csv")},
                      content_type="multipart/form-data")
    assert "2" in bad.get_data(as_text=True) and db.session.scalar(sa.select(sa.func.count()).select_from(StatementLine)) == 1


@pytest.mark.parametrize("bank, text, expected", [
    ("bca", bca_statement(("01/12", "TRSF E-BANKING CR SITI", "100123.00 CR"), ("02/12", "TARIK TUNAI", "50000.00,DB"),
                          ("PEND", "TRSF BELUM", "1000.00 CR"), period="01/12/2026 - 31/12/2026"),
     [(dt.date(2026, 12, 1), 100_123)]),
    ("bca", bca_statement(("31/12", "TRSF CR A", "16801.00,CR"), ("02/01", "TRSF CR B", "16802.00 CR"),
                          period="30/12/2026 - 02/01/2027"),
     [(dt.date(2026, 12, 31), 16_801), (dt.date(2027, 1, 2), 16_802)]),
    ("mandiri", "Account No;Date;Val. Date;Transaction Code;Description;Reference No.;Debit;Credit\n"
                "1234;01/12/2026;01/12/2026;5500;TRANSFER DARI SITI;REF1;;100.123,00\n"
                "1234;01/12/2026;01/12/2026;7000;BIAYA;REF2;5.000,00;\n",
     [(dt.date(2026, 12, 1), 100_123)]),
    ("bsi", "Tanggal,Keterangan,Nominal,D/K,Saldo\n2026-12-01,TRANSFER MASUK SITI,\"100,123.00\",K,\"1,000,000.00\"\n"
            "2026-12-01,BIAYA ADMIN,\"10,000.00\",D,\"990,000.00\"\n",
     [(dt.date(2026, 12, 1), 100_123)]),
    ("generic", "\ufeffdate,description,amount\n01/12/2026,TRANSFER,100123\n01/12/2026,PAID OUT,-5000\n",
     [(dt.date(2026, 12, 1), 100_123)]),
])
def test_each_layout_yields_its_credits(bank, text, expected):
    assert [(c.booked_on, c.amount_idr) for c in parse_statement(text, bank)] == expected


def test_an_unreadable_line_names_its_line_and_nothing_is_stored(bank_app):
    text = "date,description,amount\n01/12/2026,OK,100123\n2026-13-45,BROKEN,5000\n"
    with pytest.raises(StatementUnreadable, match="baris 3"):
        upload_statement(text, "generic", user=None, now=clock.now(), today=clock.today())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatementLine)) == 0
    with pytest.raises(StatementUnreadable, match="baris 2"):
        parse_statement("date,description,amount\n01/12/2026,X,12.50\n", "generic")
    with pytest.raises(StatementUnreadable, match="baris judul"):
        parse_statement("foo,bar\n1,2\n", "bca")


@pytest.mark.parametrize("raw, expected", [
    ("100,005.00 CR", 100_005), ("100.005,00", 100_005), ("100.005", 100_005), ("100,005", 100_005),
    ("16800.00", 16_800), ("-50.000", -50_000), ("Rp 1.234.567", 1_234_567), ("50,000.00 DB", -50_000),
    ("12,50", None), ("abc", None),
])
def test_amounts_in_either_convention(raw, expected):
    assert parse_amount(raw) == expected
