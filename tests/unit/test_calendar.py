from datetime import UTC, date, datetime

from shared.domain.calendar import WIB, is_working_day, working_day_deadline


def test_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert is_working_day(date(2026, 11, 23))  # Monday


def test_national_holidays_and_cuti_bersama_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 8, 17))  # Hari Kemerdekaan
    assert not is_working_day(date(2026, 3, 23))  # cuti bersama Idul Fitri
    assert not is_working_day(date(2026, 12, 24))  # cuti bersama Natal


def test_five_working_days_from_a_friday_skip_the_weekend() -> None:
    due = working_day_deadline(datetime(2026, 11, 20, 9, 0, tzinfo=WIB), 5)
    assert due == datetime(2026, 11, 27, 23, 59, 59, tzinfo=WIB)


def test_a_complaint_filed_the_friday_before_idul_fitri_waits_out_the_holidays() -> None:
    # Nyepi 19 March and Idul Fitri 21-22 March 2026, with cuti bersama 18, 20, 23 and 24 March.
    due = working_day_deadline(datetime(2026, 3, 13, 14, 0, tzinfo=WIB), 5)
    assert due.date() == date(2026, 3, 27)  # 16, 17, 25, 26, 27 March


def test_the_day_is_counted_in_western_indonesia_time() -> None:
    # 18:00 UTC on Thursday is already Friday 01:00 in Jakarta.
    due = working_day_deadline(datetime(2026, 11, 19, 18, 0, tzinfo=UTC), 1)
    assert due.date() == date(2026, 11, 23)
