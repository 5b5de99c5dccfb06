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


def test_same_answers_as_numpy_busday_functions():
    """The plain-Python arithmetic (kept off numpy so the mail pipe starts fast) agrees with
    numpy's busday_count/busday_offset on every weekmask, direction and day off."""
    import random
    from datetime import timedelta

    np = pytest.importorskip("numpy")
    rng = random.Random(15)
    for _ in range(3000):
        working = "".join(sorted(rng.sample("1234567", rng.randint(1, 7))))
        mask = [str(d) in working for d in range(1, 8)]
        start = date(2024, 1, 1) + timedelta(days=rng.randint(0, 1500))
        end = start + timedelta(days=rng.randint(0, 400))
        days = rng.randint(-300, 300)
        count = int(np.busday_count(start + timedelta(days=1), end + timedelta(days=1), weekmask=mask))
        assert business_days_between(start, end, working) == count
        assert business_days_between(end, start, working) == -count
        roll = "backward" if days >= 0 else "forward"
        assert add_business_days(start, days, working) == np.busday_offset(
            start, days, roll=roll, weekmask=mask).astype(date)


def test_no_working_day_is_refused():
    with pytest.raises(ValueError, match="No working day"):
        add_business_days(MONDAY, 1, "")
