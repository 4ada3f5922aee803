"""The weekly limit's words, as pure functions of the minutes used (the controller reads the
minutes and decides when to stop; these say it)."""

from __future__ import annotations

#: The share of the limit at which the freelancer is warned once a week.
WARNING_RATIO = 0.9


def hours_words(n: int) -> str:
    return f"{n} hour" if n == 1 else f"{n} hours"


def reached(used_minutes: int, limit_hours: int | None, title: str) -> str | None:
    """The message when this week's billable minutes reached the limit, else None."""
    if not limit_hours or used_minutes < limit_hours * 60:
        return None
    return (
        f"You reached this week's limit of {hours_words(limit_hours)} on “{title}”. "
        "Logging can start again on Monday (00:00 UTC), or when your client raises the limit."
    )


def warning(used_minutes: int, limit_hours: int | None) -> str | None:
    """The warning once the week is near the limit (and not past it), else None."""
    if not limit_hours or not WARNING_RATIO * limit_hours * 60 <= used_minutes < limit_hours * 60:
        return None
    left = limit_hours * 60 - used_minutes
    return (
        f"{left // 60}:{left % 60:02d} left of your {limit_hours}-hour weekly limit; logging stops when you reach it."
    )
