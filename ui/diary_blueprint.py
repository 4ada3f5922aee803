"""The Work Diary's routes, once, for both programs.

:func:`make_diary_blueprint` builds the ``diary`` blueprint (day, week, report, CSV export,
segment viewer, memo form and save, deletion confirm and delete, camera delete, and where
the program has them the snapshot images and manual time) over a
:class:`ui.diary_store.DiaryStore`: the Team app's over its local cache
(``web/diary_store.py``), the diary server's over its tables (``diary_server/diary_store.py``).
The markup is the shared set in ``ui/templates/diary/``; the view-model is
:mod:`ui.diary_view`.

htmx requests (not boosted ones: those want whole pages) get the view's block alone; a
refused edit answers its status (409 a rule, 403 not this viewer's, 422 bad input) with the
block and its message, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, abort, g, redirect, render_template, request
from jinja2_fragments.flask import render_block
from markupsafe import escape
from werkzeug.wrappers import Response as BaseResponse

from core import rules
from ui import diary_view as dv
from ui.diary_store import BadInput, DiaryStore, Refused, is_htmx, param, parse_date

KEEP = "__keep__"


# --- contexts ----------------------------------------------------------------------------


def _store() -> DiaryStore:
    return g.diary


def _zone(store: DiaryStore):
    mine, client = store.zones()
    choices = dv.zone_choices(mine, client, param("tz", "local"))
    return next(c for c in choices if c.selected), choices


def _base_context(store: DiaryStore, zone, choices) -> dict:
    now = store.now()
    return {
        "layout": "base.html",
        "title": "Work Diary",
        "urls": store.urls,
        "tz_key": zone.key,
        "tz_label": zone.text,
        "tz_name": dv.zone_name(zone.zone),
        "tz_choices": choices,
        "contract_url": None,
        "manual_allowed": False,
        "manual_form": {},
        "hm": dv.hm,
        "minute": rules.MINUTE,
        "one_day": timedelta(days=1),
        "today": now.astimezone(zone.zone).date(),
        "now": now,
        "flash": None,
        "error": None,
        **store.page_context(),
    }


def _day_context(store: DiaryStore, day: date | None = None, **extra) -> dict:
    zone, choices = _zone(store)
    ctx = _base_context(store, zone, choices)
    day = day or parse_date(param("day"), ctx["today"])
    start, end = dv.records_range_for_day(day, zone.zone)
    records = store.records(start, end, minutes_for=dv.day_bounds(day, zone.zone))
    view = dv.day_view(
        records,
        day=day,
        tz=zone.zone,
        now=ctx["now"],
        weekly_limit_hours=store.weekly_limit_hours,
        viewer=store.viewer,
    )
    ctx.update(view=view, day=day, **extra)
    return ctx


def _week_context(store: DiaryStore, week: date | None = None, *, grid: bool = True, **extra) -> dict:
    """The week view's context; ``grid=False`` for the export and the report, which also show
    window info and summed counts (the grid and the edit answers read less)."""
    zone, choices = _zone(store)
    ctx = _base_context(store, zone, choices)
    week = week or parse_date(param("week") or param("day"), ctx["now"].date())
    start = rules.week_start(datetime.combine(week, time(), UTC))
    if grid:
        records = store.grid_records(start, start + rules.WEEK)
    else:
        records = store.records(start, start + rules.WEEK, minutes=False)
    view = dv.week_view(
        records,
        week=start,
        tz=zone.zone,
        now=ctx["now"],
        weekly_limit_hours=store.weekly_limit_hours,
        rate=store.rate(start),
        currency=store.currency or "",  # (None would show as "None" after the amount)
        viewer=store.viewer,
    )
    # The Day link opens the week's first day, or today when today is in this week.
    ctx.update(view=view, day=ctx["today"] if start <= ctx["now"] < start + rules.WEEK else week, **extra)
    return ctx


def _page(template: str, block: str, ctx: dict, status: int = 200):
    if is_htmx():
        return render_block(template, block, **ctx), status
    return render_template(template, **ctx), status


def _fragment_error(message: str, status: int, element_id: str = ""):
    ident = f' id="{element_id}"' if element_id else ""
    return f'<div class="alert error" role="alert"{ident}>{escape(message)}</div>', status


def _day_param() -> date | None:
    """The day (or week) an edit came from; a bad one falls back to the default view."""
    try:
        return parse_date(param("day"), None)
    except BadInput:
        return None


def _answer(store: DiaryStore, *, flash=None, error=None, status=200, **extra):
    """Re-render the view the edit came from (day or week), with its message."""
    day = _day_param()
    if param("view") == "week":
        ctx = _week_context(store, week=day, flash=flash, error=error, **extra)
        return _page("diary/week.html", "diary_week", ctx, status)
    ctx = _day_context(store, day=day, flash=flash, error=error, **extra)
    return _page("diary/day.html", "diary_day", ctx, status)


def _week_edit_answer(store: DiaryStore, ids, *, flash=None, error=None, status=200):
    """A week-grid edit answers with its message, the changed cells and the totals only
    (htmx swaps them out of band): the rest of a 1,008-cell grid stays as it is."""
    ctx = _week_context(store, week=_day_param(), flash=flash, error=error)
    wanted = set(ids) if not error else set()
    ctx["changed"] = [c for c in ctx["view"].cells if c.id in wanted]
    return render_block("diary/_week_edit.html", "week_edit", **ctx), status


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


def _local(day: date, hhmm: str, zone) -> datetime:
    try:
        t = time.fromisoformat(hhmm)
    except ValueError:
        raise BadInput(f"“{hhmm[:10]}” is not a time (HH:MM).") from None
    return datetime.combine(day, t, zone).astimezone(UTC)


# --- the blueprint -----------------------------------------------------------------------


def make_diary_blueprint(
    store_factory: Callable[[], DiaryStore | BaseResponse],
    *,
    url_prefix: str,
    import_name: str = __name__,
    blueprint_class: type[Blueprint] = Blueprint,
    snapshots: bool = False,
    manual: bool = False,
    **blueprint_options,
) -> Blueprint:
    """The ``diary`` blueprint over the store ``store_factory()`` gives for each request (it
    may abort, e.g. 404 for a contract that is not the viewer's, or return a response such as
    a redirect to sign in). ``snapshots`` serves snapshot images from the store at
    ``/snapshots/<id>``; ``manual`` adds the manual-time form's route."""
    bp = blueprint_class("diary", import_name, url_prefix=url_prefix, **blueprint_options)

    @bp.before_request
    def _load_store():
        """Every diary route works on one contract of the viewer's."""
        store = store_factory()
        if isinstance(store, BaseResponse):
            return store
        g.diary = store
        return None

    @bp.get("")
    def day():
        store = _store()
        try:
            ctx = _day_context(store)
        except BadInput as exc:
            zone, _choices = _zone(store)
            today = store.now().astimezone(zone.zone).date()
            return _page("diary/day.html", "diary_day", _day_context(store, day=today, error=str(exc)), 422)
        return _page("diary/day.html", "diary_day", ctx)

    @bp.get("/week")
    def week():
        store = _store()
        try:
            ctx = _week_context(store)
        except BadInput as exc:
            ctx = _week_context(store, week=store.now().date(), error=str(exc))
            return _page("diary/week.html", "diary_week", ctx, 422)
        return _page("diary/week.html", "diary_week", ctx)

    def _whole_week() -> dict:
        try:
            return _week_context(_store(), grid=False)
        except BadInput as exc:
            abort(Response(str(exc), 422, mimetype="text/plain"))

    @bp.get("/report")
    def report():
        ctx = _whole_week()
        ctx.update(title="Weekly report", chart=ctx["view"].chart())
        return render_template("diary/report.html", **ctx)

    @bp.get("/export.csv")
    def export_csv():
        view = _whole_week()["view"]
        response = Response(dv.csv_text(view.cells, view.tz), mimetype="text/csv")
        name = f"work-diary-{_store().contract_id}-{view.start:%Y-%m-%d}.csv"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @bp.get("/viewer/<segment_id>")
    def viewer(segment_id: str):
        """The snapshot viewer, stepping through the segment's own local day."""
        store = _store()
        try:
            ids = store.parse_ids(segment_id)
        except Refused:
            abort(404)
        start = store.segment_start(ids[0]) if len(ids) == 1 else None
        if start is None:
            abort(404)
        zone, _choices = _zone(store)
        ctx = _day_context(store, day=start.astimezone(zone.zone).date())
        cell = next((c for c in ctx["view"].cells if c.id == ids[0]), None)
        if cell is None or not cell.selectable:
            abort(404)
        if not is_htmx():
            return redirect(ctx["urls"].day(ctx["view"].day, ctx["tz_key"]) + f"#seg-{cell.id}")
        prev, nxt = ctx["view"].neighbours(cell.id)
        ctx.update(cell=cell, prev=prev, next=nxt)
        return render_block("diary/_viewer.html", "viewer", **ctx)

    if snapshots:

        @bp.get("/snapshots/<snapshot_id>")
        def snapshot(snapshot_id: str):
            """A snapshot image (or its thumbnail), for the contract's parties only; a deleted
            snapshot is gone."""
            found = _store().snapshot(snapshot_id, thumb=request.args.get("size") == "thumb")
            if found is None:
                abort(404)
            data, mime = found
            response = Response(data, mimetype=mime)
            response.headers["Cache-Control"] = "private, max-age=3600"
            return response

    @bp.get("/memo-form")
    def memo_form():
        store = _store()
        try:
            ids = store.parse_ids(request.args.get("ids", ""))
            ctx = _day_context(store)
        except (Refused, BadInput) as exc:
            return _fragment_error(str(exc), 422)
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

    @bp.post("/memo")
    def memo():
        store = _store()
        week_toolbar = param("view") == "week"
        memo_raw, label_raw = request.form.get("memo"), request.form.get("label")
        if week_toolbar:  # the toolbar: an empty memo and "Keep labels" keep what each segment has
            memo_value = memo_raw if memo_raw else None
            label_value = None if label_raw in (None, KEEP) else label_raw
        else:  # the memo bar's editor sets both exactly (a client's has no memo field: kept)
            memo_value = memo_raw
            label_value = label_raw or ""
        ids: list = []
        try:
            ids = store.parse_ids(request.form.getlist("ids"))
            saved = store.set_memo_label(ids, memo_value, label_value)
        except Refused as exc:
            if week_toolbar:
                return _week_edit_answer(store, ids, error=exc.message, status=exc.status)
            return _answer(store, error=exc.message, status=exc.status)
        what = " and ".join(w for w, v in (("memo", memo_value), ("label", label_value)) if v is not None)
        flash = _saved_text(what, len(ids) - saved.kept, saved.kept, bool(saved.changed))
        if week_toolbar:
            return _week_edit_answer(store, ids, flash=flash)
        return _answer(store, flash=flash)

    @bp.post("/delete/confirm")
    def delete_confirm():
        store = _store()
        try:
            plan = store.plan_deletion(store.parse_ids(request.form.getlist("ids")))
        except Refused as exc:
            return _fragment_error(exc.message, exc.status, "confirm-delete")
        view_name = "week" if param("view") == "week" else "day"
        zone, _choices = _zone(store)
        return render_block(
            "diary/_confirm.html",
            "confirm",
            plan=plan,
            urls=store.urls,
            target=f"#diary-{view_name}",
            tz_key=zone.key,
            day=_day_param() or store.now().date(),
            view_name=view_name,
            hm=dv.hm,
        )

    @bp.post("/delete")
    def delete():
        store = _store()
        if request.form.get("confirm") != "yes":
            return _answer(store, error="Confirm the deletion first.", status=422)
        try:
            plan = store.delete(store.parse_ids(request.form.getlist("ids")))
        except Refused as exc:
            return _answer(store, error=exc.message, status=exc.status)
        return _answer(store, flash=f"Deleted {_plural(plan.segments, 'segment')} ({dv.hm(plan.minutes)}).")

    @bp.post("/camera/delete")
    def camera_delete():
        store = _store()
        try:
            store.camera_delete(store.parse_ids(request.form.getlist("ids"))[0])
        except Refused as exc:
            return _answer(store, error=exc.message, status=exc.status)
        return _answer(store, flash="Camera snapshot deleted; the segment's time stays.")

    if manual:

        @bp.post("/manual", endpoint="manual")
        def manual_time():
            store = _store()
            form = {k: request.form.get(k, "") for k in ("from", "to", "memo", "label")}
            try:
                zone, _choices = _zone(store)
                day = parse_date(param("day"), store.now().astimezone(zone.zone).date())
                start = _local(day, form["from"], zone.zone)
                end = _local(day, form["to"], zone.zone)
                if end <= start and form["to"] == "00:00":
                    end = _local(day + timedelta(days=1), "00:00", zone.zone)
                store.add_manual_time(start, end, form["memo"], form["label"] or None)
            except BadInput as exc:
                return _answer(store, error=str(exc), status=422, manual_form=form, manual_open=True)
            except Refused as exc:
                return _answer(store, error=exc.message, status=exc.status, manual_form=form, manual_open=True)
            minutes = int((end - start).total_seconds() // 60)
            return _answer(store, flash=f"Added {dv.hm(minutes)} of manual time.")

    return bp
