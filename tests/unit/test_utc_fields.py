"""dbkit.fields: aware UTC in, aware UTC out; naive datetimes are refused."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dbkit.fields import UTCDateTimeField, from_db, to_db

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_field_refuses_naive_datetimes_and_stores_utc():
    field = UTCDateTimeField()
    with pytest.raises(ValueError, match="naive"):
        field.db_value(datetime(2026, 11, 23, 9))
    plus_two = datetime(2026, 11, 23, 11, tzinfo=timezone(timedelta(hours=2)))
    assert field.db_value(plus_two) == "2026-11-23 09:00:00.000000"
    assert field.db_value(None) is None
    assert field.python_value("2026-11-23 09:00:00") == MONDAY
    assert field.python_value(plus_two) == MONDAY and field.python_value(plus_two).tzinfo is UTC
    assert to_db(plus_two, True) == MONDAY and to_db(plus_two, True).tzinfo is UTC


def test_stored_text_sorts_as_time_and_reads_back():
    times = [MONDAY + timedelta(microseconds=n) for n in (0, 1, 999_999)] + [MONDAY + timedelta(seconds=1)]
    texts = [to_db(t, False) for t in times]
    assert sorted(texts) == texts and {len(t) for t in texts} == {26}
    assert [from_db(t) for t in texts] == times
    with pytest.raises(TypeError):
        to_db("2026-11-23 09:00:00", False)  # type: ignore[call-overload]
