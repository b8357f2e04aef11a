"""Factories that build test data through the same services the app uses."""

import datetime as dt
import itertools

from donate import clock
from donate.demo import synthetic_nik
from donate.extensions import db
from donate.models import Campaign, CampaignRegion, Designation, DonationKind, Sex
from donate.services.money.donations import (
    confirm_payment,
    create_donation,
    start_payment,
)
from donate.services.workers.registry import WorkerDetails, register_worker

_sequence = itertools.count(1)


def campaign(slug: str = "test-campaign", *, target_workers: int = 1000, term_months: int = 6,
             regions: tuple[tuple[str, int | None], ...] = (), **fields) -> Campaign:
    """Create an open campaign accepting every designation."""
    item = Campaign(slug=slug, name=fields.pop("name", slug.replace("-", " ").title()),
                    target_workers=target_workers, term_months=term_months, **fields)
    item.regions = [CampaignRegion(code=code, target_workers=target) for code, target in regions]
    db.session.add(item)
    db.session.flush()
    return item


def worker_details(*, regency_code: str = "1471", sex: Sex = Sex.male, birth_date: dt.date | None = None,
                   full_name: str | None = None, mustahik: bool = True, consent: bool = True,
                   income: int = 1_000_000, occupation: str = "ojek") -> WorkerDetails:
    """Return valid details with a fresh synthetic NIK."""
    n = next(_sequence)
    birth_date = birth_date or dt.date(1970, 1, 1) + dt.timedelta(days=n % 9000)
    return WorkerDetails(
        nik=synthetic_nik(regency_code, birth_date, sex, n), full_name=full_name or f"Pekerja Uji {n}",
        birth_date=birth_date, sex=sex, phone=None, occupation=occupation, regency_code=regency_code,
        monthly_income_idr=income, is_mustahik=mustahik, consent=consent,
    )


def worker(campaign: Campaign, *, verified: bool = True, priority: int = 0, **details):
    """Register a worker (verified by default)."""
    item = register_worker(campaign, worker_details(**details), verified=verified, now=clock.now())
    item.priority = priority
    db.session.flush()
    return item


def workers(campaign: Campaign, count: int, **kwargs) -> list:
    """Register ``count`` workers, each registered after the previous one."""
    return [worker(campaign, **kwargs) for _ in range(count)]


def paid_gift(campaign: Campaign, amount_idr: int, *, designation: Designation = Designation.infak,
              kind: DonationKind = DonationKind.pool, **fields):
    """Create a gift and confirm its payment as the sandbox would."""
    donation = create_donation(campaign, kind=kind, designation=designation, amount_idr=amount_idr, **fields)
    payment = start_payment(donation, "sandbox", f"sbx_test_{next(_sequence)}")
    confirm_payment(payment.id, now=clock.now(), today=clock.today())
    return donation


def csv_row(*, regency_code: str = "1471", sex: Sex = Sex.male, birth_date: dt.date | None = None,
            **fields: str) -> dict[str, str]:
    """Return one valid worker-CSV row (text values) with a fresh synthetic NIK; ``fields`` override."""
    n = next(_sequence)
    birth_date = birth_date or dt.date(1970, 1, 1) + dt.timedelta(days=n % 9000)
    row = {
        "nik": synthetic_nik(regency_code, birth_date, sex, n), "full_name": f"Pekerja Impor {n}",
        "birth_date": birth_date.isoformat(), "sex": sex.value, "phone": "", "occupation": "ojek",
        "regency_code": regency_code, "monthly_income_idr": "1000000", "mustahik": "ya", "consent": "ya",
    }
    row.update(fields)
    return row


def worker_csv(rows: list[dict[str, str]], *, delimiter: str = ",", newline: str = "\n",
               bom: bool = False) -> bytes:
    """Return the worker-CSV file of ``rows`` as UTF-8 bytes."""
    from donate.services.workers.imports import COLUMNS

    lines = [delimiter.join(COLUMNS)] + [delimiter.join(row.get(c, "") for c in COLUMNS) for row in rows]
    return ("\ufeff" if bom else "").encode() + newline.join(lines).encode() + newline.encode()


def campaign_with_progress(slug: str = "riau-2018") -> Campaign:
    """Create a campaign part way to its target, allocated and committed.

    Regions 1402 (target 10) and 1471 (no target); four verified workers and
    one pending. A CSR gift funds three workers for the term (Rp 1.000 left
    over), an infak gift of Rp 50.000 is too small for a term: 3 funded
    (two in 1402), 1 waiting, 18 worker-months, Rp 353.400 raised from 2 donors,
    Rp 302.400 allocated, Rp 51.000 in the pool.
    """
    from donate.services.coverage.allocation import allocate_pool

    item = campaign(slug, name="Pekerja Rentan Riau 2018", target_workers=1000, term_months=6,
                    regions=(("1402", 10), ("1471", None)))
    worker(item, regency_code="1402")
    worker(item, regency_code="1402")
    worker(item, regency_code="1471")
    worker(item, regency_code="1471")
    worker(item, regency_code="1471", verified=False)
    paid_gift(item, 3 * 6 * 16_800 + 1_000, designation=Designation.csr, donor_email="csr@sawit.example")
    paid_gift(item, 50_000, designation=Designation.infak, donor_email="ahmad@example.org")
    allocate_pool(item, now=clock.now(), today=clock.today())
    db.session.commit()
    return item
