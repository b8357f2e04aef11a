"""Load the demo campaign through the same services real data goes through."""

import csv
import datetime as dt
import io
import random

import sqlalchemy as sa

from .extensions import db
from .models import (
    Campaign,
    CampaignRegion,
    CoverageMonth,
    Designation,
    DonationKind,
    Role,
    Sex,
    User,
    Worker,
)
from .months import current_month, month_end, month_start
from .services.access.accounts import create_user
from .services.access.staff import assign_staff
from .services.campaigns.progress import campaign_progress
from .services.coverage.allocation import allocate_pool
from .services.money.donations import (
    confirm_payment,
    create_donation,
    record_funding,
    start_payment,
)
from .services.remittance.batches import (
    BatchEmpty,
    acknowledge_batch,
    create_batch,
    record_transfer,
)
from .services.workers.registry import WorkerDetails, insert_worker_rows, worker_nik, worker_row

DEMO_SLUG = "gn-lingkaran-2018"


#: (regency code, target workers): Indragiri Hulu (BAZNAS Riau), Pontianak (BAZNAS Kalbar), Pekanbaru.
DEMO_REGIONS = (("1402", 1041), ("6171", 3533), ("1471", None))


FIRST_NAMES = {
    Sex.male: ("Budi", "Agus", "Ahmad", "Joko", "Rahmat", "Hendra", "Usman", "Yusuf", "Dedi", "Rudi"),
    Sex.female: ("Siti", "Sri", "Dewi", "Nur", "Aisyah", "Rina", "Yati", "Fitri", "Lestari", "Wati"),
}


LAST_NAMES = ("Santoso", "Saputra", "Hidayat", "Siregar", "Lubis", "Nasution", "Harahap", "Wijaya",
              "Kurniawan", "Rahman", "Syahputra", "Hasibuan")


OCCUPATIONS = ("ojek", "pedagang kaki lima", "nelayan", "buruh tani", "marbot", "guru ngaji",
               "pemulung", "tukang becak")


#: Paid demo gifts: (donor, designation, amount, anonymous, doa).
DEMO_GIFTS = (
    ("PT Sawit Lestari (CSR)", Designation.csr, 6_048_000, False, ""),
    ("Ahmad Fauzi", Designation.zakat, 1_209_600, False,
     "Semoga para pekerja selalu diberi keselamatan dan rezeki yang berkah."),
    ("Siti Rahma", Designation.infak, 302_400, True, "Semoga keluarga mereka tenang bekerja. Aamiin."),
    ("Muzakki Pekanbaru", Designation.zakat, 2_419_200, False, ""),
)

#: The demo's story, in Markdown as a manager would write it.
DEMO_STORY = """\
**Gerakan Nasional Peduli Perlindungan Pekerja Rentan**: BPJS Ketenagakerjaan dan BAZNAS
melindungi 100.000 pekerja rentan — ojek, pedagang kaki lima, nelayan, buruh tani, marbot —
dengan jaminan kecelakaan kerja (JKK) dan jaminan kematian (JKM).

- Rp 16.800 melindungi satu pekerja selama satu bulan.
- Jika pekerja meninggal dunia, keluarganya menerima Rp 42 juta dan beasiswa untuk dua anak.
- Kecelakaan kerja dirawat tanpa batas biaya.
"""

#: Months the demo campaign has been running, and months it has left (its dates follow today).
DEMO_MONTHS_RUNNING = 2
DEMO_MONTHS_LEFT = 10


def demo_campaign(today: dt.date) -> Campaign:
    """Return the (unsaved) GN Lingkaran 2018 campaign, running around ``today``."""
    month = current_month(today)
    campaign = Campaign(
        slug=DEMO_SLUG,
        name="GN Lingkaran 2018",
        story=DEMO_STORY,
        target_workers=100_000,
        term_months=6,
        starts_on=month_start(month - DEMO_MONTHS_RUNNING),
        ends_on=month_end(month + DEMO_MONTHS_LEFT),
        designations_accepted=",".join(d.value for d in Designation),
    )
    campaign.regions = [CampaignRegion(code=code, target_workers=target) for code, target in DEMO_REGIONS]
    return campaign


def synthetic_nik(regency_code: str, birth_date: dt.date, sex: Sex, sequence: int) -> str:
    """Return a NIK that validates but belongs to nobody (sub-district 99)."""
    day = birth_date.day + (40 if sex == Sex.female else 0)
    return f"{regency_code}99{day:02d}{birth_date:%m%y}{sequence % 10000:04d}"


def synthetic_workers(count: int, *, seed: int = 2018,
                      regions=tuple(c for c, _ in DEMO_REGIONS)) -> list[WorkerDetails]:
    """Return ``count`` made-up workers spread over the demo regions."""
    rng = random.Random(seed)
    regions = list(regions)
    workers, seen = [], set()
    for i in range(count):
        code = regions[i % len(regions)]
        while True:
            sex = rng.choice((Sex.male, Sex.female))
            birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
            nik = synthetic_nik(code, birth, sex, rng.randrange(1, 10000))
            if nik not in seen:
                seen.add(nik)
                break
        workers.append(WorkerDetails(
            nik=nik,
            full_name=f"{rng.choice(FIRST_NAMES[sex])} {rng.choice(LAST_NAMES)}",
            birth_date=birth, sex=sex, phone=None, occupation=rng.choice(OCCUPATIONS),
            regency_code=code, monthly_income_idr=1_000_000,
            is_mustahik=rng.random() < 0.7, consent=rng.random() < 0.95,
        ))
    return workers


def load_demo(workers: int, *, manager_email: str, manager_password: str,
              today: dt.date, now: dt.datetime) -> dict[str, int]:
    """Create the demo campaign, synthetic workers, funding and gifts, and allocate the pool."""
    campaign = demo_campaign(today)
    db.session.add(campaign)
    db.session.flush()
    manager = create_user(manager_email, manager_password, role=Role.manager, name="Amil Demo")
    assign_staff(campaign, manager, actor=None)
    rows = [worker_row(campaign, details, verified=True, now=now) for details in synthetic_workers(workers)]
    insert_worker_rows(campaign, rows)
    record_funding(campaign, 20_160_000, funder="APBD Provinsi Riau", designation=Designation.csr,
                   reference="DEMO-APBD-RIAU-2018", today=today, now=now)
    record_funding(campaign, 10_080_000, funder="BAZNAS Provinsi Riau", designation=Designation.zakat,
                   reference="DEMO-BAZNAS-RIAU-2018", today=today, now=now)
    for name, designation, amount, anonymous, doa in DEMO_GIFTS:
        donation = create_donation(campaign, kind=DonationKind.pool, designation=designation, amount_idr=amount,
                                   donor_name=name, is_anonymous=anonymous, message=doa)
        payment = start_payment(donation, "sandbox")
        confirm_payment(payment.id, today=today, now=now)
    allocate_pool(campaign, today=today, now=now)
    _remit(campaign, manager, today=today)
    progress = campaign_progress(campaign, today=today)
    return {"workers": len(rows), "donations": len(DEMO_GIFTS) + 2, "funded": progress["workers_funded"]}


def _remit(campaign, manager: User, *, today: dt.date) -> None:
    """Send the funded months to BPJS; BPJS accepts most workers, rejects two, and has yet to answer for the rest."""
    month = current_month(today)
    try:
        batch = create_batch(campaign, month, month + campaign.term_months - 1, user=manager)
    except BatchEmpty:  # nothing funded (a demo with no workers)
        return
    record_transfer(batch, "DEMO-TRANSFER-BPJS-001", transferred_on=today, user=manager)
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
