"""Working days (hari kerja): Monday to Friday minus national holidays and cuti bersama.

The `holidays` package keeps Indonesia's public holidays and joint leave days
(its "government" category) current each year; its version is recorded with
every deadline so an auditor knows which calendar decided it.
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib.metadata import version
from zoneinfo import ZoneInfo

import holidays
from holidays.countries.indonesia import Indonesia

WIB = ZoneInfo("Asia/Jakarta")
CALENDAR_VERSION = f"holidays-{version('holidays')}/ID"


@lru_cache(maxsize=64)
def _days_off(year: int) -> frozenset[date]:
    calendar = holidays.country_holidays(
        "ID", years=year, categories=Indonesia.supported_categories
    )
    return frozenset(calendar.keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _days_off(day.year)


def working_day_deadline(start: datetime, working_days: int) -> datetime:
    """The end (23:59:59 WIB) of the n-th working day after the day `start` falls on."""
    day = _nth_working_day_after(start.astimezone(WIB).date(), working_days)
    return datetime.combine(day, time(23, 59, 59), tzinfo=WIB)


@lru_cache(maxsize=8192)
def _nth_working_day_after(day: date, working_days: int) -> date:
    # Every complaint filed on a day shares its deadlines: counted once per day and length.
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: datetime, end: datetime) -> int:
    """How many working days end after the day `start` falls on, up to the day of `end`."""
    day, last = start.astimezone(WIB).date(), end.astimezone(WIB).date()
    count = 0
    while day < last:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
