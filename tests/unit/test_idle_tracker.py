from datetime import UTC, datetime, timedelta

from desktop.idle import IdleTracker

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def test_idle_starts_after_the_preferred_minutes_and_ends_when_input_comes_back():
    idle = IdleTracker()
    idle.restart(T0)
    assert idle.minute([T0 + MIN], T0 + MIN, 5) is None
    for m in range(2, 7):  # five minutes without input
        assert idle.minute([], T0 + m * MIN, 5) is None
    assert idle.idle_since == T0 + MIN
    assert idle.minute([T0 + 8 * MIN], T0 + 8 * MIN, 5) == (T0 + MIN, T0 + 7 * MIN)
    assert idle.idle_since is None and idle.last_active == T0 + 8 * MIN


def test_idle_detection_off_never_reports():
    idle = IdleTracker()
    idle.restart(T0)
    for m in range(1, 30):
        assert idle.minute([], T0 + m * MIN, 0) is None
    assert idle.minute([T0 + 31 * MIN], T0 + 31 * MIN, 0) is None
