"""The Work Diary in the Team app: day and week views of the local cache, edits, export.

The markup is the shared set in ``ui/templates/diary/`` (the diary server renders the same
templates from its own tables); this module only loads records from the local cache
(:func:`models.diary_edits.records_between`), builds the pure view-model
(:mod:`models.diary_view`), passes the Team app's URLs (:class:`TeamDiaryUrls`) and applies
edits through :mod:`models.diary_edits`, which checks the rules. Works offline: nothing
here talks to the diary server.

htmx requests get the view's block alone (the grid updates in place); a refused edit
answers 409 and bad input 422, each with the block and its message (``diary.js`` lets
htmx swap those), and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block
from markupsafe import escape

from models import diary_edits, rules
from models import diary_view as dv
from models.local import Contract
from models.segments import EditRefused
from sync import contracts as contracts_sync
from sync.account import current_account
from ui.diary_urls import DiaryUrls
from web import preferences as prefs_mod
from web.htmx import is_htmx

bp = Blueprint("diary", __name__, url_prefix="/diary")

KEEP = "__keep__"


class BadInput(ValueError):
    """A malformed request (bad date, missing field): 422, nothing changes."""


class TeamDiaryUrls(DiaryUrls):
    """The Team app's diary routes; snapshots come from the main screen's snapshot route."""

    contract_arg = "contract"

    def _snapshot(self, image_id, **values) -> str:
        return url_for("logging.snapshot", image_id=image_id, **values)

    @property
    def manual(self) -> str:  # type: ignore[override]
        return self._url("manual")


# --- request helpers ---------------------------------------------------------------------


def _now() -> datetime:
    return rules.to_utc(current_app.extensions["teamapp"]["capture_clock"].now())


def _param(name: str, default: str = "") -> str:
    return (request.form.get(name) if request.method == "POST" else None) or request.args.get(name) or default


def _contract(account) -> Contract:
    raw = request.args.get("contract") or request.form.get("contract")
    if raw:
        if not raw.isdigit() or len(raw) > 12:
            abort(404)
        cid = int(raw)
    else:
        cid = contracts_sync.selected_contract_id()
    contract = None
    if cid is not None:
        contract = Contract.get_or_none((Contract.diary_url == account.diary_url) & (Contract.id == cid))
    if contract is None:
        abort(404)
    return contract


def _client_zone(contract):
    name = contract.client_timezone
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone(contract):
    prefs = prefs_mod.load()
    choices = dv.zone_choices(prefs.tz, _client_zone(contract), _param("tz", "local"))
    chosen = next(c for c in choices if c.selected)
    return chosen, choices


def _date(raw: str, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"“{raw[:20]}” is not a date (YYYY-MM-DD).") from None


def _rate(contract, week_start: datetime) -> str:
    """The contract's rate for that week (a changed rate applies from its next_rate_from)."""
    nxt = getattr(contract, "next_hourly_rate", None)
    since = getattr(contract, "next_rate_from", None)
    if nxt and since is not None:
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        if week_start >= since:
            return nxt
    return contract.hourly_rate


def _base_context(account, contract, zone, choices) -> dict:
    now = _now()
    return {
        "layout": "base.html",
        "title": "Work Diary",
        "account": account,
        "urls": TeamDiaryUrls(contract.id),
        "tz_key": zone.key,
        "tz_label": zone.text,
        "tz_name": dv.zone_name(zone.zone),
        "tz_choices": choices,
        "contract_title": contract.title,
        "client_name": contract.client_name,
        "party": f"client {contract.client_name}" if contract.client_name else "",
        "contract_url": None,
        "freelancer_name": contract.freelancer_name,
        "labels": diary_edits.labels_of(contract),
        "manual_allowed": bool(contract.manual_time_allowed),
        "manual_form": {},
        "hm": dv.hm,
        "minute": rules.MINUTE,
        "one_day": timedelta(days=1),
        "today": now.astimezone(zone.zone).date(),
        "now": now,
        "flash": None,
        "error": None,
    }


def _day_context(account, contract, day: date | None = None, **extra) -> dict:
    zone, choices = _zone(contract)
    ctx = _base_context(account, contract, zone, choices)
    day = day or _date(_param("day"), ctx["today"])
    start, end = dv.records_range_for_day(day, zone.zone)
    records = diary_edits.records_between(contract.id, start, end, minutes_for=dv.day_bounds(day, zone.zone))
    view = dv.day_view(records, day=day, tz=zone.zone, now=ctx["now"], weekly_limit_hours=contract.weekly_limit_hours)
    ctx.update(view=view, day=day, **extra)
    return ctx


def _week_context(account, contract, week: date | None = None, *, grid: bool = True, **extra) -> dict:
    """The week view's context; ``grid=False`` for the export and the report, which also show
    window info and summed counts (the grid and the edit answers read less)."""
    zone, choices = _zone(contract)
    ctx = _base_context(account, contract, zone, choices)
    week = week or _date(_param("week") or _param("day"), ctx["now"].date())
    start = rules.week_start(datetime.combine(week, time(), UTC))
    if grid:
        records = diary_edits.grid_records_between(contract.id, start, start + rules.WEEK)
    else:
        records = diary_edits.records_between(contract.id, start, start + rules.WEEK, minutes=False)
    view = dv.week_view(
        records,
        week=start,
        tz=zone.zone,
        now=ctx["now"],
        weekly_limit_hours=contract.weekly_limit_hours,
        rate=_rate(contract, start),
        currency=contract.currency,
    )
    # The Day link opens the week's first day, or today when today is in this week.
    ctx.update(view=view, day=ctx["today"] if start <= ctx["now"] < start + rules.WEEK else week, **extra)
    return ctx


@bp.before_request
def _load_account_and_contract():
    """Every diary route works on one contract of the signed-in account (404 if not theirs)."""
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    g.account, g.contract = account, _contract(account)


def _page(template: str, block: str, ctx: dict, status: int = 200):
    if is_htmx():
        return render_block(template, block, **ctx), status
    return render_template(template, **ctx), status


# --- views -------------------------------------------------------------------------------


@bp.get("")
def day():
    account, contract = g.account, g.contract
    try:
        ctx = _day_context(account, contract)
    except BadInput as exc:
        zone, _choices = _zone(contract)
        today = _now().astimezone(zone.zone).date()
        return _page("diary/day.html", "diary_day", _day_context(account, contract, day=today, error=str(exc)), 422)
    return _page("diary/day.html", "diary_day", ctx)


@bp.get("/week")
def week():
    account, contract = g.account, g.contract
    try:
        ctx = _week_context(account, contract)
    except BadInput as exc:
        return _page(
            "diary/week.html", "diary_week", _week_context(account, contract, week=_now().date(), error=str(exc)), 422
        )
    return _page("diary/week.html", "diary_week", ctx)


@bp.get("/report")
def report():
    account, contract = g.account, g.contract
    try:
        ctx = _week_context(account, contract, grid=False)
    except BadInput as exc:
        abort(Response(str(exc), 422, mimetype="text/plain"))
    ctx["title"] = "Weekly report"
    ctx["chart"] = ctx["view"].chart()
    return render_template("diary/report.html", **ctx)


@bp.get("/export.csv")
def export_csv():
    account, contract = g.account, g.contract
    try:
        ctx = _week_context(account, contract, grid=False)
    except BadInput as exc:
        abort(Response(str(exc), 422, mimetype="text/plain"))
    view = ctx["view"]
    body = dv.csv_text(view.cells, view.tz)
    name = f"work-diary-{contract.id}-{view.start:%Y-%m-%d}.csv"
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/viewer/<int:segment_id>")
def viewer(segment_id: int):
    account, contract = g.account, g.contract
    # The viewer steps through the segment's own local day.
    seg = _segment_start(contract.id, segment_id)
    if seg is None:
        abort(404)
    zone, _choices = _zone(contract)
    ctx = _day_context(account, contract, day=seg.astimezone(zone.zone).date())
    cell = next((c for c in ctx["view"].cells if c.id == segment_id), None)
    if cell is None or cell.state == dv.DELETED:
        abort(404)
    prev, nxt = ctx["view"].neighbours(segment_id)
    ctx.update(cell=cell, prev=prev, next=nxt)
    if not is_htmx():
        return redirect(ctx["urls"].day(ctx["view"].day, ctx["tz_key"]) + f"#seg-{segment_id}")
    return render_block("diary/_viewer.html", "viewer", **ctx)


def _segment_start(contract_id: int, segment_id: int) -> datetime | None:
    from models.capture_store import CaptureSegment

    row = CaptureSegment.get_or_none((CaptureSegment.id == segment_id) & (CaptureSegment.contract_id == contract_id))
    return row.start if row else None


@bp.get("/memo-form")
def memo_form():
    account, contract = g.account, g.contract
    try:
        ids = diary_edits.parse_ids(request.args.get("ids", ""))
        ctx = _day_context(account, contract)
    except (EditRefused, BadInput) as exc:
        return f'<div class="alert error" role="alert">{escape(str(exc))}</div>', 422
    cells = [c for c in ctx["view"].cells if c.id in set(ids)]
    if not cells:
        abort(404)
    ctx.update(
        ids=[c.id for c in cells],
        memo=cells[0].memo,
        label=cells[0].label,
        memo_editable=all(c.memo_editable for c in cells),
        target="#diary-day",
        cancel_url=ctx["urls"].day(ctx["view"].day, ctx["tz_key"]),
    )
    return render_block("diary/_memo_form.html", "memo_form", **ctx)


def _answer(account, contract, *, flash=None, error=None, status=200, **extra):
    """Re-render the view the edit came from (day or week), with its message."""
    day = None
    try:
        day = _date(_param("day"), None) if _param("day") else None
    except BadInput:
        day = None
    if _param("view") == "week":
        ctx = _week_context(account, contract, week=day, flash=flash, error=error, **extra)
        return _page("diary/week.html", "diary_week", ctx, status)
    ctx = _day_context(account, contract, day=day, flash=flash, error=error, **extra)
    return _page("diary/day.html", "diary_day", ctx, status)


def _ids() -> list[int]:
    return diary_edits.parse_ids(request.form.getlist("ids"))


@bp.post("/memo")
def memo():
    account, contract = g.account, g.contract
    week_toolbar = _param("view") == "week"
    memo_raw = request.form.get("memo")
    label_raw = request.form.get("label")
    if week_toolbar:  # the toolbar: an empty memo and "Keep labels" keep what each segment has
        memo_value = memo_raw if memo_raw else None
        label_value = None if label_raw in (None, KEEP) else label_raw
    else:  # the memo bar's editor sets both exactly
        memo_value = memo_raw or ""
        label_value = label_raw or ""
    try:
        ids = _ids()
        changed = diary_edits.set_memo_label(
            contract.id, diary_edits.labels_of(contract), ids, memo_value, label_value, _now()
        )
    except EditRefused as exc:
        status = 409 if _is_rule(exc) else 422
        if week_toolbar:
            return _week_edit_answer(account, contract, [], error=str(exc), status=status)
        return _answer(account, contract, error=str(exc), status=status)
    what = " and ".join(w for w, v in (("memo", memo_value), ("label", label_value)) if v is not None)
    n = len(ids)
    flash = f"Saved the {what} of {n} segment{'s' if n != 1 else ''}." if changed else "Nothing to change."
    if week_toolbar:
        return _week_edit_answer(account, contract, ids, flash=flash)
    return _answer(account, contract, flash=flash)


def _week_edit_answer(account, contract, ids, *, flash=None, error=None, status=200):
    """A week-grid edit answers with its message, the changed cells and the totals only
    (htmx swaps them out of band): the rest of a 1,008-cell grid stays as it is."""
    try:
        week = _date(_param("day"), None) if _param("day") else None
    except BadInput:
        week = None
    ctx = _week_context(account, contract, week=week, flash=flash, error=error)
    wanted = set(ids)
    ctx["changed"] = [c for c in ctx["view"].cells if c.id in wanted]
    return render_block("diary/_week_edit.html", "week_edit", **ctx), status


def _is_rule(exc: EditRefused) -> bool:
    text = str(exc)
    return any(w in text for w in ("locked", "ended", "deleted", "does not allow", "already logged", "not exist"))


@bp.post("/delete/confirm")
def delete_confirm():
    contract = g.contract
    try:
        plan = diary_edits.plan_deletion(contract.id, _ids(), _now())
    except EditRefused as exc:
        return f'<div class="alert error" role="alert" id="confirm-delete">{escape(str(exc))}</div>', (
            409 if _is_rule(exc) else 422
        )
    view_name = "week" if _param("view") == "week" else "day"
    zone, _choices = _zone(contract)
    return render_block(
        "diary/_confirm.html",
        "confirm",
        plan=plan,
        urls=TeamDiaryUrls(contract.id),
        target=f"#diary-{view_name}",
        tz_key=zone.key,
        day=_date(_param("day"), _now().date()) if _param("day") else _now().date(),
        view_name=view_name,
        hm=dv.hm,
    )


@bp.post("/delete")
def delete():
    account, contract = g.account, g.contract
    if request.form.get("confirm") != "yes":
        return _answer(account, contract, error="Confirm the deletion first.", status=422)
    data_dir = current_app.extensions["teamapp"]["settings"].data_dir
    try:
        plan = diary_edits.delete_snapshots(contract.id, _ids(), data_dir, _now())
    except EditRefused as exc:
        return _answer(account, contract, error=str(exc), status=409 if _is_rule(exc) else 422)
    n = plan.segments
    return _answer(account, contract, flash=f"Deleted {n} segment{'s' if n != 1 else ''} ({dv.hm(plan.minutes)}).")


@bp.post("/camera/delete")
def camera_delete():
    account, contract = g.account, g.contract
    data_dir = current_app.extensions["teamapp"]["settings"].data_dir
    try:
        seg_id = _ids()[0]
        start = _segment_start(contract.id, seg_id)
        if start is None or not rules.can_delete_snapshot(start, _now()):
            raise EditRefused("The work week of this snapshot has ended; it can no longer be deleted.")
        diary_edits.delete_camera_snapshot(contract.id, seg_id, data_dir, _now())
    except EditRefused as exc:
        return _answer(account, contract, error=str(exc), status=409)
    return _answer(account, contract, flash="Camera snapshot deleted; the segment's time stays.")


@bp.post("/manual")
def manual():
    account, contract = g.account, g.contract
    form = {k: request.form.get(k, "") for k in ("from", "to", "memo", "label")}
    try:
        zone, _choices = _zone(contract)
        day = _date(_param("day"), _now().astimezone(zone.zone).date())
        start = _local(day, form["from"], zone.zone)
        end = _local(day, form["to"], zone.zone)
        if end <= start and form["to"] == "00:00":
            end = _local(day + timedelta(days=1), "00:00", zone.zone)
        diary_edits.add_manual_time(
            contract.id,
            allowed=bool(contract.manual_time_allowed),
            labels=diary_edits.labels_of(contract),
            start=start,
            end=end,
            memo=form["memo"],
            label=form["label"] or None,
            now=_now(),
        )
    except BadInput as exc:
        return _answer(account, contract, error=str(exc), status=422, manual_form=form, manual_open=True)
    except EditRefused as exc:
        return _answer(account, contract, error=str(exc), status=409, manual_form=form, manual_open=True)
    return _answer(account, contract, flash=f"Added {dv.hm(int((end - start).total_seconds() // 60))} of manual time.")


def _local(day: date, hhmm: str, zone) -> datetime:
    try:
        t = time.fromisoformat(hhmm)
    except ValueError:
        raise BadInput(f"“{hhmm[:10]}” is not a time (HH:MM).") from None
    return datetime.combine(day, t, zone).astimezone(UTC)
