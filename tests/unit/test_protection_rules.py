"""Hourly Protection verdicts (core/protection.py): every reason alone, combined, the words
a freelancer reads, and the weekly score."""

from __future__ import annotations

import itertools

import pytest

from core import rules
from core.protection import Reason, SegmentFacts, Verdict, verdict, week_score

GOOD = SegmentFacts(
    manual=False, has_screen_snapshot=True, activity=6, memo="Logo", label=None, within_weekly_limit=True
)


def facts(**changes) -> SegmentFacts:
    values = {name: getattr(GOOD, name) for name in SegmentFacts.__slots__}
    return SegmentFacts(**{**values, **changes})


def test_a_good_segment_qualifies():
    v = verdict(GOOD)
    assert v.qualifies and v.reasons == () and v.words() == "Qualifies for Hourly Protection"
    assert verdict(facts(memo=None, label="Design")).qualifies


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"manual": True}, Reason.MANUAL),
        ({"has_screen_snapshot": False}, Reason.NO_SNAPSHOT),
        ({"activity": 0}, Reason.NO_ACTIVITY),
        ({"memo": "   ", "label": None}, Reason.NO_MEMO),
        ({"within_weekly_limit": False}, Reason.OVER_LIMIT),
        ({"idle_discarded": True}, Reason.IDLE_DISCARDED),
    ],
)
def test_each_reason_alone(change, reason):
    v = verdict(facts(**change))
    assert v.reasons == (reason,) and not v.qualifies
    assert v.fixable == (reason is Reason.NO_MEMO)
    assert v.words().startswith("Not protected: ")


def test_reasons_combine_in_a_fixed_order_and_agree_with_is_protected():
    flags = {
        "has_screen_snapshot": (True, False),
        "activity": (3, 0),
        "memo": ("Logo", None),
        "within_weekly_limit": (True, False),
        "manual": (False, True),
    }
    for combo in itertools.product(*flags.values()):
        f = facts(**dict(zip(flags, combo, strict=True)))
        v = verdict(f)
        assert list(v.reasons) == sorted(v.reasons, key=list(Reason).index)
        assert v.qualifies == rules.is_protected(
            manual=f.manual,
            has_screen_snapshot=f.has_screen_snapshot,
            activity=f.activity,
            memo=f.memo,
            label=f.label,
            within_weekly_limit=f.within_weekly_limit,
        )
    # Manual time has no snapshot or activity to speak of: only "manual" is said.
    assert verdict(facts(manual=True, has_screen_snapshot=False, activity=0)).reasons == (Reason.MANUAL,)
    both = verdict(facts(activity=0, memo=None))
    assert both.reasons == (Reason.NO_ACTIVITY, Reason.NO_MEMO) and not both.fixable
    assert "activity level 0" in both.words() and "no memo" in both.words()


def test_week_score():
    ok, memo = Verdict(()), Verdict((Reason.NO_MEMO,))
    score = week_score([(10, ok)] * 47 + [(10, memo)] * 3 + [(0, Verdict((Reason.OVER_LIMIT,)))])
    assert score.percent == 94 and score.needs_memo == 3
    assert score.words() == "94 % of this week's billed time qualifies for Hourly Protection; 3 segments need a memo"
    assert week_score([(10, ok)] * 199 + [(1, memo)]).percent == 99  # rounded down, never up to 100
    assert week_score([]).words() == "No billed time this week yet"
    assert week_score([(10, memo)]).words().endswith("1 segment needs a memo")
