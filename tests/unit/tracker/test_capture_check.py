"""Honest capture status: the pure rules that flag blank and frozen snapshots."""

import pytest

from tracker.capture_check import BLANK_SCREEN, FROZEN_REPEATS, FROZEN_SCREEN, CaptureCheck, Shot


def shot(sha="a", *, blank=False, counted=True):
    return Shot(blank=blank, sha256=sha, input_counted=counted)


def test_a_blank_snapshot_is_flagged_at_once_and_says_what_to_do():
    check = CaptureCheck()
    assert check.judge(shot(None, blank=True)) == BLANK_SCREEN
    assert BLANK_SCREEN.startswith("Screen capture returns a blank image:")
    assert "X11" in BLANK_SCREEN and "Screen Recording" in BLANK_SCREEN and "time is kept" in BLANK_SCREEN


def test_identical_snapshots_with_input_are_flagged_after_n_repeats():
    check = CaptureCheck()
    verdicts = [check.judge(shot("same")) for _ in range(FROZEN_REPEATS + 2)]
    assert verdicts[:FROZEN_REPEATS] == [None] * FROZEN_REPEATS
    assert verdicts[FROZEN_REPEATS:] == [FROZEN_SCREEN, FROZEN_SCREEN]


def test_a_changed_image_clears_the_flag():
    check = CaptureCheck(repeats=2)
    assert [check.judge(shot("x")) for _ in range(3)] == [None, None, FROZEN_SCREEN]
    assert check.judge(shot("y")) is None
    assert check.judge(shot("y")) is None  # only one earlier "y"


@pytest.mark.parametrize("quiet_at", [0, 1, 2])
def test_a_segment_without_input_is_no_evidence_of_a_frozen_capture(quiet_at):
    """Nobody at the keyboard: a still screen is what one expects, not a fault."""
    check = CaptureCheck(repeats=2)
    verdicts = [check.judge(shot("same", counted=i != quiet_at)) for i in range(3)]
    assert FROZEN_SCREEN not in verdicts


def test_a_failed_grab_neither_flags_nor_breaks_the_run():
    check = CaptureCheck(repeats=2)
    assert check.judge(shot("s")) is None
    assert check.judge(shot(None)) is None  # no image: the grab's own error says why
    assert check.judge(shot("s")) is None
    assert check.judge(shot("s")) == FROZEN_SCREEN


def test_blank_images_do_not_count_as_repeats_of_each_other():
    check = CaptureCheck(repeats=1)
    assert check.judge(shot(None, blank=True)) == BLANK_SCREEN
    assert check.judge(shot("z")) is None


def test_repeats_must_be_positive():
    with pytest.raises(ValueError):
        CaptureCheck(repeats=0)
