"""The Work Diary on the diary server's own pages, for the client and the freelancer of a contract.

The same shared templates (``ui/templates/diary/``) and pure view-model
(``models/diary_view.py``) as the Team app's diary; this module supplies the diary server's
side: its records (:mod:`diary_server.diary_records`), its URLs (:class:`ServerDiaryUrls`),
who is looking (the client or the freelancer: per-object authorization, 404 for anyone else,
as the contract pages do) and the edits, applied through ``sync_service``
(:mod:`diary_server.diary_page_edits`) so they reach the Team app through the changes feed.

The freelancer edits memos and labels until the week's lock and deletes snapshots until the
end of the work week; the client sets Activity labels only and sees deletions as removed time.
A refused edit answers 409 (a rule) / 403 / 422 with its message and changes nothing; htmx
requests get a block of the page, other requests the whole page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from io import BytesIO

from apiflask import APIBlueprint
from flask import Response, abort, g, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block
from markupsafe import escape

from diary_server import contracts as contracts_svc
from diary_server import diary_page_edits as edits
from diary_server.accounts import timezones_of
from diary_server.diary_models import DiaryBlob, DiarySegment, DiarySnapshot
from diary_server.diary_records import grid_records_between, records_between
from diary_server.models import Contract, User
from models import diary_view as dv
from models import rules
from ui.diary_urls import DiaryUrls

# An APIBlueprint only so APIFlask can look at its before_request hook (it reads
# ``enable_openapi`` on every blueprint that has one); these HTML pages stay out of the spec.
diary_bp = APIBlueprint("diary", __name__, url_prefix="/contracts/<int:contract_id>/diary", enable_openapi=False)

KEEP = "__keep__"
THUMB_SIZE = (320, 180)


class BadInput(ValueError):
    """A malformed request (a bad date): 422, nothing changes."""


class ServerDiaryUrls(DiaryUrls):
    """The diary server's diary routes, snapshots served only to the contract's parties (manual
    time is added in the Team app, where time is logged)."""

    contract_arg = "contract_id"

    def _snapshot(self, image_id, **values) -> str:
        return self._url("snapshot", snapshot_id=image_id, **values)


# --- request helpers ---------------------------------------------------------------------


@diary_bp.url_value_preprocessor
def _take_contract_id(endpoint, values) -> None:
    g.contract_id = values.pop("contract_id")


@diary_bp.before_request
def _load_contract():
    """Every diary URL names a contract: load it for its parties, 404 for anyone else
    (runs after the app's hooks have found who is signed in)."""
    if g.user is None:
        return redirect(url_for("pages.signin", next=request.path))
    try:
        g.contract = contracts_svc.get_visible(g.user, g.contract_id)
    except contracts_svc.ContractError:
        abort(404)
    return None


def _viewer() -> str:
    return dv.FREELANCER if g.contract.freelancer_id == g.user.id else dv.CLIENT


def _now() -> datetime:
    return g.now.replace(tzinfo=UTC)


def _param(name: str, default: str = "") -> str:
    return (request.form.get(name) if request.method == "POST" else None) or request.args.get(name) or default


def _zone():
    c: Contract = g.contract
    zones = timezones_of(list({g.user.id, c.client_id}))
    mine, client = zones.get(g.user.id, UTC), zones.get(c.client_id, UTC)
    choices = dv.zone_choices(mine, client, _param("tz", "local"))
    return next(z for z in choices if z.selected), choices


def _date(raw: str, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"“{raw[:20]}” is not a date (YYYY-MM-DD).") from None


def _base_context(zone, choices) -> dict:
    c: Contract = g.contract
    now = _now()
    other = User.get_by_id(c.freelancer_id if _viewer() == dv.CLIENT else c.client_id)
    return {
        "layout": "diary_layout.html",
        "title": f"Work Diary · {c.title}",
        "urls": ServerDiaryUrls(c.id),
        "tz_key": zone.key,
        "tz_label": zone.text,
        "tz_name": dv.zone_name(zone.zone),
        "tz_choices": choices,
        "contract_title": c.title,
        "contract_url": url_for("pages.contract", contract_id=c.id),
        "party": f"{'freelancer' if _viewer() == dv.CLIENT else 'client'} {other.name}",
        "client_name": other.name if _viewer() == dv.FREELANCER else g.user.name,
        "freelancer_name": other.name if _viewer() == dv.CLIENT else g.user.name,
        "labels": contracts_svc.active_labels(c),
        "manual_allowed": False,
        "manual_form": {},
        "hm": dv.hm,
        "minute": rules.MINUTE,
        "one_day": timedelta(days=1),
        "today": now.astimezone(zone.zone).date(),
        "now": now,
        "flash": None,
        "error": None,
    }


def _day_context(day: date | None = None, **extra) -> dict:
    zone, choices = _zone()
    ctx = _base_context(zone, choices)
    day = day or _date(_param("day"), ctx["today"])
    start, end = dv.records_range_for_day(day, zone.zone)
    records = records_between(g.contract.id, start, end, minutes_for=dv.day_bounds(day, zone.zone))
    view = dv.day_view(
        records,
        day=day,
        tz=zone.zone,
        now=ctx["now"],
        weekly_limit_hours=g.contract.weekly_limit_hours,
        viewer=_viewer(),
    )
    ctx.update(view=view, day=day, **extra)
    return ctx


def _week_context(week: date | None = None, *, grid: bool = True, **extra) -> dict:
    """The week view's context; ``grid=False`` for the export and the report, which also show
    window info and summed counts (the grid and the edit answers read less)."""
    zone, choices = _zone()
    ctx = _base_context(zone, choices)
    week = week or _date(_param("week") or _param("day"), ctx["now"].date())
    start = rules.week_start(datetime.combine(week, time(), UTC))
    if grid:
        records = grid_records_between(g.contract.id, start, start + rules.WEEK)
    else:
        records = records_between(g.contract.id, start, start + rules.WEEK, minutes=False)
    rate = contracts_svc.rate_info(g.contract, start.replace(tzinfo=None))
    view = dv.week_view(
        records,
        week=start,
        tz=zone.zone,
        now=ctx["now"],
        weekly_limit_hours=g.contract.weekly_limit_hours,
        rate=contracts_svc.format_rate(rate.current_cents),
        currency=g.contract.currency,
        viewer=_viewer(),
    )
    ctx.update(view=view, day=ctx["today"] if start <= ctx["now"] < start + rules.WEEK else week, **extra)
    return ctx


def _page(template: str, block: str, ctx: dict, status: int = 200):
    if request.headers.get("HX-Request") == "true":
        return render_block(template, block, **ctx), status
    return render_template(template, **ctx), status


def _fragment_error(message: str, status: int, element_id: str = ""):
    ident = f' id="{element_id}"' if element_id else ""
    return f'<div class="alert error" role="alert"{ident}>{escape(message)}</div>', status


# --- views -------------------------------------------------------------------------------


@diary_bp.get("")
def day():
    try:
        ctx = _day_context()
    except BadInput as exc:
        zone, _choices = _zone()
        today = _now().astimezone(zone.zone).date()
        return _page("diary/day.html", "diary_day", _day_context(day=today, error=str(exc)), 422)
    return _page("diary/day.html", "diary_day", ctx)


@diary_bp.get("/week")
def week():
    try:
        ctx = _week_context()
    except BadInput as exc:
        return _page("diary/week.html", "diary_week", _week_context(week=_now().date(), error=str(exc)), 422)
    return _page("diary/week.html", "diary_week", ctx)


@diary_bp.get("/report")
def report():
    try:
        ctx = _week_context(grid=False)
    except BadInput as exc:
        abort(Response(str(exc), 422, mimetype="text/plain"))
    ctx.update(title="Weekly report", chart=ctx["view"].chart())
    return render_template("diary/report.html", **ctx)


@diary_bp.get("/export.csv")
def export_csv():
    try:
        ctx = _week_context(grid=False)
    except BadInput as exc:
        abort(Response(str(exc), 422, mimetype="text/plain"))
    view = ctx["view"]
    response = Response(dv.csv_text(view.cells, view.tz), mimetype="text/csv")
    name = f"work-diary-{g.contract.id}-{view.start:%Y-%m-%d}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@diary_bp.get("/viewer/<segment_id>")
def viewer(segment_id: str):
    try:
        (uid,) = edits.parse_ids(segment_id)
    except edits.PageRefusal:
        abort(404)
    seg = DiarySegment.get_or_none((DiarySegment.uuid == uid) & (DiarySegment.contract == g.contract.id))
    if seg is None:
        abort(404)
    zone, _choices = _zone()
    ctx = _day_context(day=seg.start.replace(tzinfo=UTC).astimezone(zone.zone).date())
    cell = next((c for c in ctx["view"].cells if c.id == uid), None)
    if cell is None or not cell.selectable:
        abort(404)
    if request.headers.get("HX-Request") != "true":
        return redirect(ctx["urls"].day(ctx["view"].day, ctx["tz_key"]) + f"#seg-{uid}")
    prev, nxt = ctx["view"].neighbours(uid)
    ctx.update(cell=cell, prev=prev, next=nxt)
    return render_block("diary/_viewer.html", "viewer", **ctx)


@diary_bp.get("/snapshots/<snapshot_id>")
def snapshot(snapshot_id: str):
    """A snapshot image (or its thumbnail), for the parties of its contract only; a deleted
    snapshot is gone (its content left the diary when it was deleted)."""
    try:
        (uid,) = edits.parse_ids(snapshot_id)
    except edits.PageRefusal:
        abort(404)
    snap = (
        DiarySnapshot.select(DiarySnapshot, DiarySegment)
        .join(DiarySegment)
        .where((DiarySnapshot.uuid == uid) & (DiarySegment.contract == g.contract.id))
        .first()
    )
    if snap is None or snap.deleted_at is not None or snap.segment.deleted_at is not None or not snap.sha256:
        abort(404)
    if request.args.get("size") == "thumb":
        data, mime = _thumbnail(snap.sha256), "image/jpeg"
    else:
        blob = DiaryBlob.get_or_none(DiaryBlob.sha256 == snap.sha256)
        if blob is None:
            abort(404)
        data, mime = bytes(blob.data), snap.mime or "application/octet-stream"
    response = Response(data, mimetype=mime)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@lru_cache(maxsize=512)
def _thumbnail(sha256: str) -> bytes:
    """A 320x180 JPEG of a stored snapshot (content-addressed, so a cache entry never goes stale)."""
    from PIL import Image

    blob = DiaryBlob.get_or_none(DiaryBlob.sha256 == sha256)
    if blob is None:
        abort(404)
    with Image.open(BytesIO(bytes(blob.data))) as img:
        img = img.convert("RGB")
        img.thumbnail(THUMB_SIZE)
        out = BytesIO()
        img.save(out, "JPEG", quality=70)
    return out.getvalue()


@diary_bp.get("/memo-form")
def memo_form():
    try:
        ids = edits.parse_ids(request.args.get("ids", ""))
        ctx = _day_context()
    except (edits.PageRefusal, BadInput) as exc:
        return _fragment_error(getattr(exc, "message", str(exc)), 422)
    wanted = set(ids)
    cells = [c for c in ctx["view"].cells if c.id in wanted]
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


def _answer(*, flash=None, error=None, status=200, **extra):
    """Re-render the view the edit came from (day or week), with its message."""
    try:
        day = _date(_param("day"), None) if _param("day") else None
    except BadInput:
        day = None
    if _param("view") == "week":
        return _page(
            "diary/week.html", "diary_week", _week_context(week=day, flash=flash, error=error, **extra), status
        )
    return _page("diary/day.html", "diary_day", _day_context(day=day, flash=flash, error=error, **extra), status)


def _week_edit_answer(ids: list[str], *, flash=None, error=None, status=200):
    """A week-grid edit answers with its message, the changed cells and the totals only
    (htmx swaps them out of band): the rest of a 1,008-cell grid stays as it is."""
    try:
        week = _date(_param("day"), None) if _param("day") else None
    except BadInput:
        week = None
    ctx = _week_context(week=week, flash=flash, error=error)
    wanted = set(ids) if not error else set()
    ctx["changed"] = [c for c in ctx["view"].cells if c.id in wanted]
    return render_block("diary/_week_edit.html", "week_edit", **ctx), status


def _ids() -> list[str]:
    return edits.parse_ids(request.form.getlist("ids"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _saved_text(what: str, saved: int, kept: int, changed: bool) -> str:
    """The message after a memo or label edit of a selection (``saved``: those that now have
    the value, including ones that had it; ``kept``: those where a later edit stays)."""
    text = f"Saved the {what} of {_plural(saved, 'segment')}." if changed else "Nothing to change."
    if kept:
        text += (
            f" {_plural(kept, 'segment')} kept a later edit made on another computer"
            " (the last edit wins; that computer's clock may run ahead)."
        )
    return text


@diary_bp.post("/memo")
def memo():
    week_toolbar = _param("view") == "week"
    memo_raw, label_raw = request.form.get("memo"), request.form.get("label")
    if week_toolbar:  # the toolbar: an empty memo and "Keep labels" keep what each segment has
        memo_value = memo_raw if memo_raw else None
        label_value = None if label_raw in (None, KEEP) else label_raw
    else:  # the memo bar's editor sets both exactly (a client's has no memo field)
        memo_value = None if memo_raw is None else memo_raw
        label_value = label_raw or ""
    ids: list[str] = []
    try:
        ids = _ids()
        result = edits.set_memo_label(g.user, g.contract, ids, memo_value, label_value, g.now)
    except edits.PageRefusal as exc:
        if week_toolbar:
            return _week_edit_answer(ids, error=exc.message, status=exc.status)
        return _answer(error=exc.message, status=exc.status)
    what = " and ".join(w for w, v in (("memo", memo_value), ("label", label_value)) if v is not None)
    flash = _saved_text(what, len(ids) - len(result.kept), len(result.kept), bool(result.changed))
    if week_toolbar:
        return _week_edit_answer(ids, flash=flash)
    return _answer(flash=flash)


@diary_bp.post("/delete/confirm")
def delete_confirm():
    try:
        plan = edits.plan_deletion(g.user, g.contract, _ids(), g.now)
    except edits.PageRefusal as exc:
        return _fragment_error(exc.message, exc.status, "confirm-delete")
    view_name = "week" if _param("view") == "week" else "day"
    zone, _choices = _zone()
    try:
        day = _date(_param("day"), _now().date())
    except BadInput:
        day = _now().date()
    return render_block(
        "diary/_confirm.html",
        "confirm",
        plan=plan,
        urls=ServerDiaryUrls(g.contract.id),
        target=f"#diary-{view_name}",
        tz_key=zone.key,
        day=day,
        view_name=view_name,
        hm=dv.hm,
    )


@diary_bp.post("/delete")
def delete():
    if request.form.get("confirm") != "yes":
        return _answer(error="Confirm the deletion first.", status=422)
    try:
        plan = edits.delete_snapshots(g.user, g.contract, _ids(), g.now)
    except edits.PageRefusal as exc:
        return _answer(error=exc.message, status=exc.status)
    n = plan.segments
    return _answer(flash=f"Deleted {n} segment{'s' if n != 1 else ''} ({dv.hm(plan.minutes)}).")


@diary_bp.post("/camera/delete")
def camera_delete():
    try:
        edits.delete_camera_snapshot(g.user, g.contract, _ids()[0], g.now)
    except edits.PageRefusal as exc:
        return _answer(error=exc.message, status=exc.status)
    return _answer(flash="Camera snapshot deleted; the segment's time stays.")
