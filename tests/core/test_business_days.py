from datetime import date

import pytest

from liaison.core.business_days import add_business_days, business_days_between

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(("end", "expected"), [
    (date(2026, 11, 23), 0),   # same day
    (date(2026, 11, 24), 1),   # Tuesday
    (date(2026, 11, 27), 4),   # Friday
    (date(2026, 11, 29), 4),   # Sunday: the weekend adds nothing
    (date(2026, 11, 30), 5),   # next Monday
    (date(2026, 11, 20), -1),  # the Friday before
])
def test_business_days_between(end, expected):
    assert business_days_between(MONDAY, end) == expected


def test_custom_working_days():
    # A back office working Sunday to Thursday.
    assert business_days_between(date(2026, 11, 26), date(2026, 11, 29), "71234") == 1


def test_add_business_days_skips_weekends():
    assert add_business_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert add_business_days(MONDAY, -1) == date(2026, 11, 20)
    assert add_business_days(MONDAY, 0) == MONDAY
    assert add_business_days(date(2026, 11, 28), 0) == date(2026, 11, 27)  # a Saturday rolls back
