"""The freelancer's preferences: what they are, how they are checked, where they are kept.

Kept as one JSON value in the local cache's app_state table; every change takes effect at
once (the capture loop reads its part at each snapshot) and survives restarts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from models.local import get_state, set_state
from tracker.privacy import DEFAULT_HIDDEN_TITLE_PATTERNS, title_pattern_problem
from tracker.snapshot import Preferences as CapturePreferences
from tracker.snapshot import Scope

STATE_KEY = "preferences"
REVIEW_CHOICES = (10, 30, 60, 120)
REMINDER_CHOICES = (0, 10, 30, 60)
IDLE_CHOICES = (0, 5, 10, 20)
MAX_PATTERNS = 50


class PreferenceError(ValueError):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Preferences:
    scope: str = Scope.DESKTOP.value
    notifications: bool = True
    review_seconds: int = 30
    camera_enabled: bool = False
    camera_source: str = "0"
    reminder_minutes: int = 0
    idle_minutes: int = 10
    hidden_title_patterns: tuple[str, ...] = field(default_factory=lambda: tuple(DEFAULT_HIDDEN_TITLE_PATTERNS))
    timezone: str = "UTC"

    def capture(self) -> CapturePreferences:
        return CapturePreferences(
            scope=Scope(self.scope),
            camera_enabled=self.camera_enabled,
            hidden_title_patterns=list(self.hidden_title_patterns),
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _choice(name: str, raw, choices: tuple[int, ...], what: str) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if value not in choices:
        raise PreferenceError(name, f"{what} must be one of {', '.join(map(str, choices))}.")
    return value


def parse_patterns(text: str) -> tuple[str, ...]:
    """One pattern a line, each checked by the same function the matcher uses."""
    patterns = tuple(p.strip() for p in text.splitlines() if p.strip())
    if len(patterns) > MAX_PATTERNS:
        raise PreferenceError("hidden_title_patterns", f"At most {MAX_PATTERNS} patterns.")
    for p in patterns:
        problem = title_pattern_problem(p)
        if problem:
            raise PreferenceError("hidden_title_patterns", problem)
    return patterns


def validate_timezone(name: str) -> str:
    name = (name or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PreferenceError("timezone", f"“{name}” is not a time zone, e.g. Europe/Berlin or UTC.") from None
    return name


def from_form(form, current: Preferences) -> Preferences:
    """Build new preferences from a submitted form; raise PreferenceError naming the field."""
    scope = form.get("scope", current.scope)
    if scope not in (s.value for s in Scope):
        raise PreferenceError("scope", "Choose the whole desktop or the active screen.")
    camera_source = form.get("camera_source", current.camera_source).strip()
    if len(camera_source) > 500:
        raise PreferenceError("camera_source", "The camera source is a number (0, 1, …) or a file path.")
    return replace(
        current,
        scope=scope,
        notifications=form.get("notifications") == "on",
        review_seconds=_choice("review_seconds", form.get("review_seconds"), REVIEW_CHOICES, "The review time"),
        camera_enabled=form.get("camera_enabled") == "on",
        camera_source=camera_source or "0",
        reminder_minutes=_choice("reminder_minutes", form.get("reminder_minutes"), REMINDER_CHOICES, "Reminders"),
        idle_minutes=_choice("idle_minutes", form.get("idle_minutes"), IDLE_CHOICES, "The idle timeout"),
        hidden_title_patterns=parse_patterns(form.get("hidden_title_patterns", "")),
        timezone=validate_timezone(form.get("timezone", current.timezone)),
    )


def load() -> Preferences:
    raw = get_state(STATE_KEY)
    if not raw:
        return Preferences()
    try:
        data = json.loads(raw)
        data["hidden_title_patterns"] = tuple(data.get("hidden_title_patterns", DEFAULT_HIDDEN_TITLE_PATTERNS))
        known = {k: v for k, v in data.items() if k in Preferences.__dataclass_fields__}
        return Preferences(**known)
    except (ValueError, TypeError):
        return Preferences()


def save(prefs: Preferences) -> None:
    data = asdict(prefs)
    data["hidden_title_patterns"] = list(prefs.hidden_title_patterns)
    set_state(STATE_KEY, json.dumps(data))


def timezone_names() -> list[str]:
    return sorted(available_timezones())
