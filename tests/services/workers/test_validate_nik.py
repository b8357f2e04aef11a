"""``validate_nik`` remembers stdnum's look-ups but must give stdnum's own verdict on every number."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError
from stdnum.id import nik as stdnum_nik

from donate import clock
from donate.services.workers.registry import check_worker, validate_nik


def verdict(check, number: str) -> str:
    """Return "valid" or the name of the stdnum exception ``check`` raises."""
    try:
        check(number)
    except ValidationError as exc:
        return type(exc).__name__
    return "valid"


def nik_like():
    """16 digits shaped like a NIK (region, sub-district, DDMMYY with women's +40, sequence)."""
    return st.builds(
        lambda region, sub, day, month, year, seq: f"{region:04d}{sub:02d}{day:02d}{month:02d}{year:02d}{seq:04d}",
        st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99),
        st.integers(0, 99), st.integers(0, 9999),
    )


@settings(max_examples=3000, deadline=None)
@given(st.one_of(nik_like(), st.text("0123456789 -.a", max_size=20), st.text(max_size=20)))
@example("3171011708450001")  # stdnum's own examples
@example("3171012902001234")  # 29 Feb: 1900 is no leap year, 2000 is
@example("3171013002001234")
@example("9971011708450001")  # unknown province
@example("1471995708850001")  # a woman (day + 40)
@example("1471997108850001")  # day 31 + 40
@example("1471997208850001")
@example("")
def test_same_verdict_as_stdnum(number):
    number = stdnum_nik.compact(number)
    assert verdict(validate_nik, number) == verdict(stdnum_nik.validate, number)


@pytest.mark.parametrize("nik", ["1471990101700001", "1471 9901 0170 0001", "1471-99-010170-0001",
                                 "1471.990101.700001", " 1471990101700001 "])
def test_check_worker_compacts_separators(nik):
    row = {"nik": nik, "full_name": "Budi", "birth_date": "1970-01-01", "sex": "L", "occupation": "ojek",
           "regency_code": "1471", "mustahik": "ya", "consent": "ya"}
    assert check_worker(row, today=clock.today()).nik == "1471990101700001"
