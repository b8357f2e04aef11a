"""Synthetic demo data: the GN Lingkaran 2018 campaign with made-up workers.

NIKs are generated to pass ``stdnum.id.nik`` with sub-district code 99,
which the real numbering does not hand out in these regencies' demo rows;
names are drawn from short lists. Nothing here is personal data.
"""

import datetime as dt
import random

from .models import Campaign, CampaignRegion, Designation, Sex
from .services.workers import WorkerDetails

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


def demo_campaign() -> Campaign:
    """Return the (unsaved) GN Lingkaran 2018 campaign."""
    campaign = Campaign(
        slug=DEMO_SLUG,
        name="GN Lingkaran 2018",
        story=(
            "Gerakan Nasional Peduli Perlindungan Pekerja Rentan: BPJS Ketenagakerjaan dan BAZNAS "
            "melindungi 100.000 pekerja rentan dengan jaminan kecelakaan kerja (JKK) dan jaminan "
            "kematian (JKM) hingga akhir 2018."
        ),
        target_workers=100_000,
        term_months=6,
        starts_on=dt.date(2018, 1, 1),
        ends_on=dt.date(2018, 12, 31),
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
