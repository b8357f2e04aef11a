"""Importing a partner's worker CSV: every row checked, then all or nothing."""

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import Sex, Verification, Worker
from donate.services.workers.imports import (
    ImportFileInvalid,
    import_workers,
    write_rejected,
)
from donate.services.workers.registry import find_worker_by_nik, worker_nik
from tests.conftest import NOW, TODAY


def count_workers() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Worker))


def verifications() -> list[Verification]:
    return list(db.session.scalars(sa.select(Worker.verification).order_by(Worker.id)))


@pytest.mark.parametrize("shape", [
    {},
    {"delimiter": ";"},
    {"bom": True},
    {"newline": "\r\n"},
    {"delimiter": ";", "bom": True, "newline": "\r\n"},
])
def test_good_file_imports_every_row_verified(app, make, shape):
    campaign = make.campaign()
    rows = [make.csv_row(), make.csv_row(sex=Sex.female, regency_code="1402"),
            make.csv_row(regency_code="6171", monthly_income_idr="1.500.000", mustahik="tidak", consent="no")]
    report = import_workers(campaign, make.worker_csv(rows, **shape), today=TODAY, now=NOW)
    assert report.ok
    assert (report.rows, report.imported, report.rejected) == (3, 3, [])
    assert count_workers() == 3
    assert verifications() == [Verification.verified] * 3
    second = find_worker_by_nik(rows[1]["nik"])
    assert second.sex == Sex.female
    assert second.regency_code == "1402"
    assert second.full_name == rows[1]["full_name"]
    third = find_worker_by_nik(rows[2]["nik"])
    assert third.monthly_income_idr == 1_500_000
    assert third.is_mustahik is False
    assert third.consent_at is None


def test_text_and_blank_lines_are_read(app, make):
    campaign = make.campaign()
    data = make.worker_csv([make.csv_row(), make.csv_row()]).decode() + "\n ,,,,,,,,,\n"
    report = import_workers(campaign, data, today=TODAY, now=NOW)
    assert (report.rows, report.imported) == (2, 2)


def test_pending_import_leaves_rows_for_a_verifier(app, make):
    campaign = make.campaign()
    report = import_workers(campaign, make.worker_csv([make.csv_row(), make.csv_row()]), verified=False,
                            today=TODAY, now=NOW)
    assert report.imported == 2
    assert verifications() == [Verification.pending] * 2


def mixed_file(make, campaign):
    """Return a file whose lines 3, 5, 6 and 7 are bad in four different ways, and its good rows."""
    registered = make.worker(campaign)
    good = [make.csv_row(), make.csv_row(), make.csv_row()]
    wrong_birth = make.csv_row(birth_date=dt.date(1980, 5, 17))
    wrong_birth["birth_date"] = "1980-05-18"
    rows = [
        good[0],                                              # line 2
        make.csv_row(nik="1471991299850001"),                 # line 3: month 99
        good[1],                                              # line 4
        wrong_birth,                                          # line 5
        dict(good[0], full_name="Lagi"),                      # line 6: duplicate of line 2
        make.csv_row(nik=worker_nik(registered), sex=registered.sex,
                     birth_date=registered.birth_date),       # line 7: already registered
        good[2],                                              # line 8
    ]
    db.session.commit()
    return make.worker_csv(rows), good


def test_bad_rows_are_each_reported_and_nothing_is_imported(app, make):
    campaign = make.campaign()
    data, _ = mixed_file(make, campaign)
    before = count_workers()
    report = import_workers(campaign, data, today=TODAY, now=NOW)
    assert not report.ok
    assert report.rows == 7
    assert report.imported == 0
    assert [(r.line, r.reason.field) for r in report.rejected] == [
        (3, "nik"), (5, "birth_date"), (6, "nik"), (7, "nik")]
    reasons = {r.line: str(r.reason) for r in report.rejected}
    assert "bukan NIK yang sah" in reasons[3]
    assert reasons[5] == "tanggal lahir: tidak sesuai dengan tanggal lahir di dalam NIK"
    assert reasons[6] == "NIK: sama dengan baris 2"
    assert reasons[7] == "NIK: sudah terdaftar"
    db.session.commit()
    assert count_workers() == before == 1


def test_skip_invalid_imports_the_good_rows_and_writes_the_bad(app, make):
    campaign = make.campaign()
    data, good = mixed_file(make, campaign)
    report = import_workers(campaign, data, skip_invalid=True, today=TODAY, now=NOW)
    assert report.imported == 3
    assert count_workers() == 4
    assert all(find_worker_by_nik(row["nik"]) is not None for row in good)

    out = io.StringIO()
    write_rejected(report, out)
    written = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["line"], r["reason"].split(":")[0]) for r in written] == [
        ("3", "NIK"), ("5", "tanggal lahir"), ("6", "NIK"), ("7", "NIK")]
    assert written[1]["birth_date"] == "1980-05-18"
    assert written[2]["full_name"] == "Lagi"
    assert list(written[0])[:3] == ["line", "reason", "nik"]


@pytest.mark.parametrize("missing", ["nik", "regency_code", "consent"])
def test_missing_header_column_is_named(app, make, missing):
    campaign = make.campaign()
    text = make.worker_csv([make.csv_row()]).decode()
    header, rest = text.split("\n", 1)
    header = ",".join(name if name != missing else "something_else" for name in header.split(","))
    with pytest.raises(ImportFileInvalid, match=missing):
        import_workers(campaign, header + "\n" + rest, today=TODAY, now=NOW)
    assert count_workers() == 0


def test_header_is_case_and_space_insensitive(app, make):
    campaign = make.campaign()
    text = make.worker_csv([make.csv_row()], delimiter=";").decode()
    header, rest = text.split("\n", 1)
    header = "; ".join(name.upper() for name in header.split(";"))
    assert import_workers(campaign, header + "\n" + rest, today=TODAY, now=NOW).imported == 1


def test_empty_file_is_invalid(app, make):
    with pytest.raises(ImportFileInvalid, match="nik"):
        import_workers(make.campaign(), b"", today=TODAY, now=NOW)


def test_non_utf8_bytes_are_invalid(app, make):
    campaign = make.campaign()
    data = make.worker_csv([make.csv_row(full_name="Budi Santoso")]).replace(b"Budi", "Bédi".encode("latin-1"))
    with pytest.raises(ImportFileInvalid, match="UTF-8"):
        import_workers(campaign, data, today=TODAY, now=NOW)
    with pytest.raises(ImportFileInvalid, match="UTF-8"):
        import_workers(campaign, make.worker_csv([make.csv_row()]).decode().encode("utf-16"), today=TODAY,
                       now=NOW)
    assert count_workers() == 0
