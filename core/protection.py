"""Hourly Protection, segment by segment: whether a billed segment qualifies, and every reason
why it does not, in words a freelancer can act on before the week locks.

One pure function for both programs: the diary server marks the week grid and judges
disputes with it, the Team app shows the same marks and the weekly score from its cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """Why a segment does not qualify. The values are stable codes (API, CSV, tests)."""

    MANUAL = "manual"
    NO_SNAPSHOT = "no_snapshot"
    NO_ACTIVITY = "no_activity"
    NO_MEMO = "no_memo"
    OVER_LIMIT = "over_limit"
    IDLE_DISCARDED = "idle_discarded"


#: What each reason means, and what (if anything) can still be done about it.
REASON_TEXT = {
    Reason.MANUAL: "manual time is billed but never protected",
    Reason.NO_SNAPSHOT: "no screen snapshot",
    Reason.NO_ACTIVITY: "activity level 0 (no keyboard or mouse activity)",
    Reason.NO_MEMO: "no memo and no Activity label: add one before the week locks",
    Reason.OVER_LIMIT: "beyond the weekly limit (not billed)",
    Reason.IDLE_DISCARDED: "idle time discarded (not billed)",
}

#: Reasons the freelancer can still fix in the diary before Monday 12:00 UTC.
FIXABLE = frozenset({Reason.NO_MEMO})


@dataclass(frozen=True, slots=True)
class SegmentFacts:
    """What the verdict needs to know of one segment; nothing else."""

    manual: bool
    has_screen_snapshot: bool
    activity: int  # 0-10 minutes with input
    memo: str | None
    label: str | None
    within_weekly_limit: bool
    idle_discarded: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    reasons: tuple[Reason, ...]

    @property
    def qualifies(self) -> bool:
        return not self.reasons

    @property
    def fixable(self) -> bool:
        """Not protected, and adding a memo or a label would protect it."""
        return bool(self.reasons) and set(self.reasons) <= FIXABLE

    def words(self) -> str:
        """The reasons as one sentence (for a tooltip and for screen readers)."""
        if self.qualifies:
            return "Qualifies for Hourly Protection"
        return "Not protected: " + "; ".join(REASON_TEXT[r] for r in self.reasons)


def verdict(facts: SegmentFacts) -> Verdict:
    """Every reason why the segment does not qualify, in a fixed order (empty: it qualifies)."""
    reasons = []
    if facts.manual:
        reasons.append(Reason.MANUAL)
    if not facts.manual and not facts.has_screen_snapshot:
        reasons.append(Reason.NO_SNAPSHOT)
    if not facts.manual and facts.activity <= 0:
        reasons.append(Reason.NO_ACTIVITY)
    if not ((facts.memo or "").strip() or (facts.label or "").strip()):
        reasons.append(Reason.NO_MEMO)
    if not facts.within_weekly_limit:
        reasons.append(Reason.OVER_LIMIT)
    if facts.idle_discarded:
        reasons.append(Reason.IDLE_DISCARDED)
    return Verdict(tuple(reasons))


@dataclass(frozen=True, slots=True)
class WeekScore:
    """The share of a week's billed time that qualifies, and what is left to fix."""

    billed_minutes: int
    protected_minutes: int
    needs_memo: int  # segments that a memo or a label would protect

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 99.6 % is not yet 100 %."""
        return 100 if not self.billed_minutes else (100 * self.protected_minutes) // self.billed_minutes

    def words(self) -> str:
        if not self.billed_minutes:
            return "No billed time this week yet"
        text = f"{self.percent} % of this week's billed time qualifies for Hourly Protection"
        if self.needs_memo:
            plural = "segment needs" if self.needs_memo == 1 else "segments need"
            text += f"; {self.needs_memo} {plural} a memo"
        return text


def week_score(segments: Iterable[tuple[int, Verdict]]) -> WeekScore:
    """Score of ``(billed minutes, verdict)`` pairs: segments billing nothing do not count."""
    billed = protected = needs_memo = 0
    for minutes, v in segments:
        if minutes <= 0:
            continue
        billed += minutes
        if v.qualifies:
            protected += minutes
        elif v.fixable:
            needs_memo += 1
    return WeekScore(billed, protected, needs_memo)
