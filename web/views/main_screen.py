"""The main screen's view-model: what log.html shows, for the page, htmx and the WebSocket.

The logging and contracts blueprints both render the main screen (the switch answers with the
panel, the picker with itself and the panel), and the WebSocket pushes its parts; all of them
read it from here, so neither blueprint imports the other.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from jinja2_fragments.flask import render_block

from core import rules
from models import diary_records
from models import segments as seg_store
from models.capture_store import CaptureImage, CaptureSegment
from models.local import Contract, get_state
from sync import contracts as contracts_sync
from tracker.ports import OK, STARTING
from ui import diary_view as dv
from web import preferences as prefs_mod
from web.diary_store import TeamDiaryUrls
from web.services import services

#: Screen parts that can be pushed alone, by name -> block of log.html.
PARTS = {"panel": "panel", "prompts": "prompts", "status": "status_line", "memo": "memo", "picker": "picker"}


def controller():
    return services().controller


def selected_contract(account) -> Contract | None:
    cid = contracts_sync.selected_contract_id()
    if cid is None:
        return None
    return Contract.get_or_none((Contract.diary_url == account.diary_url) & (Contract.id == cid))


def picker_context(account, error: str | None = None, notice: str | None = None) -> dict:
    now = services().now()
    return {
        "rows": contracts_sync.picker_rows(account.diary_url, now),
        "picker_error": error,
        "picker_notice": notice,
        "problem": get_state(contracts_sync.PROBLEM_KEY),
        "refreshed_at": _refreshed_at(),
        "tz": prefs_mod.load().tz,
    }


def _refreshed_at() -> datetime | None:
    value = get_state(contracts_sync.REFRESHED_KEY)
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def screen_context(account, **extra) -> dict:
    """Everything log.html shows, read fresh (so a reconnecting page gets the whole truth)."""
    ctl = controller()
    prefs = prefs_mod.load()
    now = ctl.clock.now()
    picker = picker_context(account)
    contract = next((row.contract for row in picker["rows"] if row.selected), None)
    status = ctl.status()
    logging_contract = status.contract_id if status.logging else None
    ctx: dict = {
        "account": account,
        "contract": contract,
        "status": status,
        "logging": status.logging and contract is not None and logging_contract == contract.id,
        "prefs": prefs,
        "tz": prefs.tz,
        "now": now,
        "ui": ctl.state,
        "memo": ctl.memo()[0],
        "label": ctl.memo()[1],
        "memo_max": seg_store.MEMO_MAX_LENGTH,
        "reviews": [],
        "totals": None,
        "protection": None,
        "meter": [0] * rules.MINUTES_PER_SEGMENT,
        "last": None,
        "health_items": health_items(status, prefs),
        "problem": None,
        "segment_length": rules.SEGMENT,
    }
    reviews = ctl.pending_reviews()
    if reviews:
        # One query for every prompt on screen (several can be pending at once).
        images = {
            image.id: image
            for image in CaptureImage.select(CaptureImage, CaptureSegment)
            .join(CaptureSegment)
            .where(CaptureImage.id.in_([r.image_id for r in reviews]))
        }
        for review in reviews:
            image = images.get(review.image_id)
            if image is not None and image.path:
                seg = image.segment
                ctx["reviews"].append(
                    {
                        "id": review.image_id,
                        "seconds_left": max(0, int((review.deadline - now).total_seconds())),
                        "app": seg.app_name,
                        "title": seg.window_title,
                        "taken_at": image.taken_at,
                    }
                )
    if contract is not None:
        totals = seg_store.totals(contract.id, now, contract.weekly_limit_hours, prefs.tz)
        if status.unsaved_minutes and logging_contract == contract.id:  # a full disk: not stored yet, still logged
            totals = replace(
                totals,
                today_minutes=totals.today_minutes + status.unsaved_minutes,
                week_minutes=totals.week_minutes + status.unsaved_minutes,
            )
        ctx["totals"] = totals
        ctx["protection"], ctx["protection_url"] = week_protection(contract, now)
        last = seg_store.last_snapshot(contract.id)
        if last is not None:
            ctx["last"] = {"segment": last[0], "image": last[1]}
        if status.logging and status.segment is not None:
            current = seg_store.segment(contract.id, status.segment)
            if current is not None:
                ctx["meter"] = [sum(c) for c in seg_store.minute_counts(current)]
    ctx.update(picker)
    ctx.update(extra)
    return ctx


def week_protection(contract: Contract, now: datetime) -> tuple[dv.Protection, str]:
    """This week's Hourly Protection score of ``contract`` (the Work Diary's, from the same
    view-model) and the link to its fix list in the week view."""
    start = rules.week_start(now)
    records = diary_records.grid_records_between(contract.id, start, start + rules.WEEK)
    cells = dv.annotate(records, now=now, weekly_limit_hours=contract.weekly_limit_hours)
    url = TeamDiaryUrls(contract.id).week(start.date(), "local") + "#fix-list"
    return dv.protection(cells, dv.lock_state(start, now)), url


HEALTH_LABELS = {"capture": "Screen", "input": "Input", "window": "Window", "camera": "Camera", "storage": "Storage"}


def health_items(status, prefs) -> list[tuple[str, str, bool]]:
    """(label, message, good) for the status line. While logging is off only real problems show
    (e.g. Wayland), not "input counting is not running", which is simply what off means."""
    items = []
    for name, value in status.health().items():
        if name == "camera" and not prefs.camera_enabled:
            continue
        good = value in (OK, STARTING)
        if status.logging or (not good and name in ("capture", "storage")):
            items.append((HEALTH_LABELS[name], value, good))
    return items


def render_parts(account, parts: set[str], **extra) -> dict[str, str]:
    """The named blocks, marked for an out-of-band swap: what the WebSocket pushes."""
    ctx = screen_context(account, oob=True, **extra)
    if "panel" in parts:
        parts = {*parts, "picker"}  # the picker shows this week's hours too
    return {p: render_block("log.html", PARTS[p], **ctx) for p in sorted(parts) if p in PARTS}
