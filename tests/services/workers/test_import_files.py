"""Hostile worker files: NUL bytes, huge fields and incomes, repeated headers; read row by row, logged without names."""

import io
import logging

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import Role, Worker
from donate.services.workers.imports import ImportFileInvalid, import_workers, iter_rows
from tests.conftest import NOW, TODAY
from tests.manage_helpers import login, staff_user


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Worker))


def test_repeated_header_names_are_refused_not_taken_from_the_last_column(app, make):
    campaign = make.campaign()
    data = make.worker_csv([make.csv_row()]).replace(b"full_name,", b"full_name,full_name,", 1)
    with pytest.raises(ImportFileInvalid, match="full_name"):
        import_workers(campaign, data, today=TODAY, now=NOW)
    assert count() == 0


@pytest.mark.parametrize("change, where", [
    (lambda row: {**row, "full_name": "Budi\x00"}, "NUL"),
    (lambda row: {**row, "occupation": "x" * 200_000}, "131072"),
])
def test_a_nul_byte_or_a_200_kb_field_is_refused_with_its_line(app, make, change, where):
    campaign = make.campaign()
    data = make.worker_csv([change(make.csv_row())])
    with pytest.raises(ImportFileInvalid) as refused:
        import_workers(campaign, data, today=TODAY, now=NOW)
    assert where in str(refused.value) and "baris 2" in str(refused.value)  # "line 2", in Indonesian
    assert count() == 0


def test_an_income_of_ten_to_the_thirty_is_a_rejected_row(app, make):
    campaign = make.campaign()
    report = import_workers(campaign, make.worker_csv([make.csv_row(monthly_income_idr="1" + "0" * 30)]),
                            today=TODAY, now=NOW)
    assert [r.line for r in report.rejected] == [2] and "monthly_income_idr" in repr(report.rejected[0].reason.field)
    assert count() == 0


def test_a_file_is_read_row_by_row(app, make):
    rows = [make.csv_row() for _ in range(3)]

    class OneLineAtATime(io.BytesIO):
        """A file that records the most it was asked to hand over at once."""
        biggest = 0

        def read(self, size=-1):
            OneLineAtATime.biggest = max(OneLineAtATime.biggest, size)
            return super().read(size)

        read1 = read

    data = make.worker_csv(rows) + b"".join(make.worker_csv([make.csv_row()]).splitlines(True)[1:] * 2000)
    source = OneLineAtATime(data)
    first = next(iter_rows(source))
    assert first[0] == 2 and source.tell() < len(data)  # the first row came before the file was read
    source.seek(0)
    report = import_workers(make.campaign(), source, skip_invalid=True, today=TODAY, now=NOW)
    assert report.rows == 2003 and report.imported == 4  # the repeated row is a duplicate 1,999 times
    assert len(report.rejected) == 1999


def test_a_failed_upload_logs_no_names_or_birth_dates(app, client, make, caplog):
    campaign = make.campaign()
    manager = staff_user("m@example.org", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    good = make.csv_row(full_name="Siti Rahmawati")
    bad = make.csv_row(full_name="Budi Santoso", regency_code="0000")
    data = make.worker_csv([good, bad]).replace(b"consent\n", b"consent\n", 1)
    with caplog.at_level(logging.DEBUG):
        response = client.post(f"/manage/campaigns/{campaign.slug}/workers/upload",
                               data={"file": (io.BytesIO(data), "w.csv")}, content_type="multipart/form-data",
                               follow_redirects=True)
        broken = client.post(f"/manage/campaigns/{campaign.slug}/workers/upload",
                             data={"file": (io.BytesIO(data.replace(b"Siti", b"Si\x00ti")), "w.csv")},
                             content_type="multipart/form-data")
    assert response.status_code == 200 and broken.status_code == 400
    assert "NUL" in broken.get_data(as_text=True)
    for secret in ("Siti Rahmawati", "Budi Santoso", good["birth_date"], bad["birth_date"], good["nik"], bad["nik"]):
        assert secret not in caplog.text
    assert count() == 0
