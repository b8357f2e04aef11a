"""Load the demo campaign through the same services real data goes through."""

import csv
import datetime as dt
import io

import sqlalchemy as sa

from ..demo import demo_campaign, synthetic_workers
from ..extensions import db
from ..models import CoverageMonth, Designation, DonationKind, Role, User, Worker
from ..months import current_month
from .accounts import create_user
from .allocation import allocate_pool
from .donations import confirm_payment, create_donation, record_funding, start_payment
from .manage import assign_staff
from .progress import campaign_progress
from .remittance import acknowledge_batch, create_batch, record_transfer
from .workers import worker_nik, worker_row

#: Paid demo gifts: (donor, designation, amount, anonymous).
DEMO_GIFTS = (
    ("PT Sawit Lestari (CSR)", Designation.csr, 6_048_000, False),
    ("Ahmad Fauzi", Designation.zakat, 1_209_600, False),
    ("Siti Rahma", Designation.infak, 302_400, True),
    ("Muzakki Pekanbaru", Designation.zakat, 2_419_200, False),
)


def load_demo(workers: int, *, manager_email: str, manager_password: str) -> dict[str, int]:
    """Create the demo campaign, synthetic workers, funding and gifts, and allocate the pool."""
    campaign = demo_campaign()
    db.session.add(campaign)
    db.session.flush()
    manager = create_user(manager_email, manager_password, role=Role.manager, name="Amil Demo")
    assign_staff(campaign, manager, actor=None)
    rows = [worker_row(campaign, details, verified=True) for details in synthetic_workers(workers)]
    if rows:
        db.session.execute(campaign.__table__.metadata.tables["workers"].insert(), rows)
    record_funding(campaign, 20_160_000, funder="APBD Provinsi Riau", designation=Designation.csr,
                   reference="DEMO-APBD-RIAU-2018")
    record_funding(campaign, 10_080_000, funder="BAZNAS Provinsi Riau", designation=Designation.zakat,
                   reference="DEMO-BAZNAS-RIAU-2018")
    for name, designation, amount, anonymous in DEMO_GIFTS:
        donation = create_donation(campaign, kind=DonationKind.pool, designation=designation, amount_idr=amount,
                                   donor_name=name, is_anonymous=anonymous)
        payment = start_payment(donation, "sandbox")
        confirm_payment(payment.id)
    allocate_pool(campaign)
    _remit(campaign, manager)
    progress = campaign_progress(campaign)
    return {"workers": len(rows), "donations": len(DEMO_GIFTS) + 2, "funded": progress["workers_funded"]}


def _remit(campaign, manager: User) -> None:
    """Send the funded months to BPJS; BPJS accepts most workers, rejects two, and has yet to answer for the rest."""
    month = current_month()
    try:
        batch = create_batch(campaign, month, month + campaign.term_months - 1, user=manager)
    except ValueError:  # nothing funded (a demo with no workers)
        return
    record_transfer(batch, "DEMO-TRANSFER-BPJS-001", transferred_on=dt.date.today(), user=manager)
    workers = db.session.scalars(
        sa.select(Worker).where(Worker.id.in_(sa.select(CoverageMonth.worker_id)
                                              .where(CoverageMonth.batch_id == batch.id)))
        .order_by(Worker.id)).all()
    answered = workers[: len(workers) * 3 // 4]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("nik", "kpj", "status", "reason"))
    for index, worker in enumerate(answered):
        if index < 2:
            writer.writerow((worker_nik(worker), "", "ditolak", "NIK tidak ditemukan di data Dukcapil"))
        else:
            # Synthetic KPJ numbers: 11 digits starting with 9, derived from the row id.
            writer.writerow((worker_nik(worker), f"9{worker.id:010d}", "diterima", ""))
    acknowledge_batch(batch, out.getvalue(), user=manager)
