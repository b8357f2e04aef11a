"""Checking a worker's details and registering them with the NIK encrypted."""

import datetime as dt

import pytest
import sqlalchemy as sa

from donate.demo import synthetic_nik
from donate.extensions import db
from donate.models import Sex, Verification, Worker
from donate.services.coverage.lookup import StatusQueryInvalid, compact_kpj
from donate.services.workers.registry import (
    WorkerInvalid,
    check_worker,
    display_name,
    find_worker_by_nik,
    is_kpj,
    normalise_kpj,
    register_worker,
    worker_nik,
)
from tests.conftest import NOW, TODAY

BIRTH = dt.date(1985, 3, 12)
NIK = synthetic_nik("1471", BIRTH, Sex.male, 7)
NIK_WOMAN = synthetic_nik("1402", BIRTH, Sex.female, 8)


def row(**fields) -> dict[str, str]:
    """Return a valid CSV row (as text), with ``fields`` replaced."""
    base = {
        "nik": NIK, "full_name": "Budi Santoso", "birth_date": BIRTH.isoformat(), "sex": "L",
        "phone": "0812-3456-7890", "occupation": "Ojek", "regency_code": "1471",
        "monthly_income_idr": "1.500.000", "mustahik": "ya", "consent": "yes",
    }
    base.update(fields)
    return base


def invalid_field(raw: dict[str, str]) -> str:
    """Return the field :func:`check_worker` names when it refuses ``raw``."""
    with pytest.raises(WorkerInvalid) as caught:
        check_worker(raw, today=TODAY)
    return caught.value.field


def test_valid_row_is_normalised():
    details = check_worker(row(full_name="  budi   santoso ", nik=f" {NIK[:6]}.{NIK[6:12]}.{NIK[12:]} "),
    today=TODAY)
    assert details.nik == NIK
    assert details.full_name == "budi santoso"
    assert details.birth_date == BIRTH
    assert details.sex == Sex.male
    assert details.phone == "081234567890"
    assert details.occupation == "ojek"
    assert details.regency_code == "1471"
    assert details.monthly_income_idr == 1_500_000
    assert details.is_mustahik is True
    assert details.consent is True


def test_woman_has_forty_added_to_her_birth_day():
    assert NIK_WOMAN[6:8] == "52"
    details = check_worker(row(nik=NIK_WOMAN, sex="p", regency_code="1402"), today=TODAY)
    assert details.sex == Sex.female
    assert details.birth_date == BIRTH


def test_blank_income_and_flags_take_defaults():
    details = check_worker(row(monthly_income_idr="", mustahik="", consent="tidak", phone=""), today=TODAY)
    assert details.monthly_income_idr == 1_000_000
    assert details.is_mustahik is False
    assert details.consent is False
    assert details.phone is None


@pytest.mark.parametrize("nik", [
    NIK[:-1],                      # 15 digits
    NIK + "0",                     # 17 digits
    "14719912A3850007",            # not digits
    "9971991203850007",            # province 99 does not exist
    "1471993203850007",            # day 32
    "1471991213850007",            # month 13
    "1471993002850007",            # 30 February
    "",
])
def test_invalid_nik_is_refused(nik):
    assert invalid_field(row(nik=nik)) == "nik"


def test_birth_date_disagreeing_with_the_nik_is_refused():
    assert invalid_field(row(birth_date="1985-03-13")) == "birth_date"
    assert invalid_field(row(birth_date="1986-03-12")) == "birth_date"
    assert invalid_field(row(birth_date="12-03-1985")) == "birth_date"


def test_sex_disagreeing_with_the_nik_is_refused():
    assert invalid_field(row(sex="P")) == "sex"
    assert invalid_field(row(nik=NIK_WOMAN, sex="L")) == "sex"
    assert invalid_field(row(sex="X")) == "sex"


@pytest.mark.parametrize("code", ["1499", "9999", "147", "14711", "abcd", ""])
def test_unknown_regency_is_refused(code):
    assert invalid_field(row(regency_code=code)) == "regency_code"


@pytest.mark.parametrize("income", ["satu juta", "1,5 juta", "-1000000", "1.000.000,50", "Rp 1.000.000"])
def test_bad_income_is_refused(income):
    assert invalid_field(row(monthly_income_idr=income)) == "monthly_income_idr"


@pytest.mark.parametrize("field", ["mustahik", "consent"])
def test_bad_yes_no_is_refused(field):
    assert invalid_field(row(**{field: "mungkin"})) == field


@pytest.mark.parametrize("field", ["full_name", "occupation"])
def test_missing_name_or_occupation_is_refused(field):
    assert invalid_field(row(**{field: "   "})) == field
    raw = row()
    del raw[field]
    assert invalid_field(raw) == field


def test_message_names_the_field(app):
    with pytest.raises(WorkerInvalid, match=r"^kode kabupaten/kota: kode kabupaten/kota '1499' tidak dikenal"):
        check_worker(row(regency_code="1499"), today=TODAY)


def test_nik_is_stored_encrypted_and_found_by_its_hash(app, make):
    campaign = make.campaign()
    worker = register_worker(campaign, check_worker(row(), today=TODAY), verified=True, now=NOW)
    db.session.commit()
    raw = db.session.execute(
        sa.select(Worker.__table__.c.nik_encrypted, Worker.__table__.c.nik_hash, Worker.__table__.c.phone_encrypted)
    ).one()
    assert NIK.encode() not in bytes(raw.nik_encrypted)
    assert NIK not in bytes(raw.nik_encrypted).decode("latin-1")
    assert b"081234567890" not in bytes(raw.phone_encrypted)
    assert raw.nik_hash != NIK and NIK not in raw.nik_hash
    assert len(raw.nik_hash) == 64
    assert worker.verification == Verification.verified

    db.session.expunge_all()
    found = find_worker_by_nik(NIK)
    assert found is not None and found.id == worker.id
    assert find_worker_by_nik(f"{NIK[:6]} {NIK[6:]}").id == worker.id
    assert worker_nik(found) == NIK
    assert find_worker_by_nik(NIK_WOMAN) is None


def test_same_nik_cannot_register_twice(app, make):
    campaign = make.campaign()
    register_worker(campaign, check_worker(row(), today=TODAY), now=NOW)
    with pytest.raises(WorkerInvalid) as caught:
        register_worker(campaign, check_worker(row(full_name="Budi Lain"), today=TODAY), now=NOW)
    assert caught.value.field == "nik"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 1


def test_registered_worker_is_pending_unless_verified(app, make):
    worker = register_worker(make.campaign(), check_worker(row(), today=TODAY), now=NOW)
    assert worker.verification == Verification.pending


def test_display_name_is_pseudonymous(app, make):
    worker = register_worker(make.campaign(), check_worker(row(), today=TODAY), now=NOW)
    assert worker.display_name == "Budi S., ojek, Pekanbaru"
    assert "Santoso" not in worker.display_name
    assert display_name("siti", "pedagang", "1402") == "Siti, pedagang, Indragiri Hulu"
    assert display_name("SITI NUR AISYAH", "nelayan", "6171") == "Siti N., nelayan, Pontianak"


def test_one_kpj_rule_for_acknowledgements_and_status_checks():
    assert normalise_kpj(" 123.456-789 01 ") == "12345678901" and normalise_kpj(None) == ""
    assert is_kpj("12345678901") and not is_kpj("1234567890") and not is_kpj("١٢٣٤٥٦٧٨٩٠١")
    assert compact_kpj("123 456 789 01") == "12345678901"
    with pytest.raises(StatusQueryInvalid):
        compact_kpj("123-456")
