"""The main screen: the On/Off switch, "What are you working on?", snapshot review, prompts.

Every part of the screen is a block of log.html; the same block is rendered inside the page,
returned alone to htmx, and pushed over the WebSocket when the capture loop changes it.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, redirect, request, send_file, url_for
from jinja2_fragments.flask import render_block

from desktop.refusals import StartRefused
from models import segments as seg_store
from models.local import Contract
from sync import contracts as contracts_sync
from sync.account import current_account
from web.htmx import is_htmx, render
from web.services import services
from web.views.main_screen import PARTS, controller, render_parts, screen_context, selected_contract

bp = Blueprint("logging", __name__)


def _answer(block: str, message: str | None = None, error: str | None = None, status: int = 200):
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    if not is_htmx():
        return redirect(url_for("home.index"))
    controller().say(message, error)
    ctx = screen_context(account)
    body = render_block("log.html", block, **ctx)
    # Other parts may have changed too (e.g. the switch changes the status line).
    extras = [p for p in ("status_line", "prompts") if p != block]
    body += "\n".join(render_block("log.html", p, **{**ctx, "oob": True}) for p in extras)
    return body, status


@bp.post("/logging/toggle")
def toggle():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    ctl = controller()
    if ctl.logging:
        ctl.stop()
        return _answer("panel", message="Logging is off.")
    try:
        ctl.start(contracts_sync.selected_contract_id())
    except StartRefused as exc:
        return _answer("panel", error=str(exc), status=200 if is_htmx() else 409)
    return _answer("panel", message="Logging is on.")


@bp.post("/logging/memo")
def memo():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    contract = selected_contract(account)
    try:
        controller().set_memo(request.form.get("memo", ""), request.form.get("label", ""), contract)
    except seg_store.EditRefused as exc:
        ctx = screen_context(account, memo_error=str(exc), memo=request.form.get("memo", ""))
        return (render_block("log.html", "memo", **ctx), 200) if is_htmx() else (render("log.html", "memo", **ctx), 422)
    return _answer("memo", message="Memo saved. It applies to this segment and the next ones.")


@bp.post("/logging/review/<int:image_id>")
def review(image_id: int):
    action = request.form.get("action")
    if action not in ("keep", "delete"):
        abort(400)
    try:
        message = controller().answer_review(image_id, delete=action == "delete")
    except seg_store.EditRefused as exc:
        return _answer("prompts", error=str(exc))
    return _answer("prompts", message=message)


@bp.post("/logging/idle")
def idle():
    action = request.form.get("action")
    if action not in ("keep", "discard"):
        abort(400)
    return _answer("prompts", message=controller().answer_idle(keep=action == "keep"))


@bp.post("/logging/reminder/dismiss")
def dismiss_reminder():
    controller().dismiss_reminder()
    return _answer("prompts")


@bp.get("/logging/state")
def state():
    """Every live part of the main screen, for a page whose WebSocket reconnected."""
    account = current_account()
    if account is None:
        return "", 204
    return "\n".join(render_parts(account, set(PARTS) - {"memo"}).values())


@bp.post("/presence")
def presence():
    """The page says whether it is in front, so notifications only appear when it is not."""
    services().presence.report(request.form.get("page", "?"), request.form.get("visible") == "1")
    return "", 204


@bp.get("/snapshots/<int:image_id>")
def snapshot(image_id: int):
    """Serve a snapshot file, only of the signed-in account's contracts."""
    account = current_account()
    image = seg_store.image_by_id(image_id)
    if account is None or image is None or image.path is None:
        abort(404)
    seg = image.segment
    owned = Contract.select().where((Contract.diary_url == account.diary_url) & (Contract.id == seg.contract_id))
    if not owned.exists():
        abort(404)
    rel = image.thumb_path if request.args.get("size") == "thumb" else image.path
    data_dir = services().settings.data_dir.resolve()
    path = (data_dir / rel).resolve()
    if data_dir not in path.parents or not path.is_file():
        abort(404)
    mime = "image/jpeg" if rel.endswith(".jpg") else (image.mime or "application/octet-stream")
    response = send_file(path, mimetype=mime, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


#: Longest quiet time on the page's WebSocket before a keep-alive message: only to notice a page
#: that vanished without closing its socket (a closed one is noticed at once), so it is long.
KEEPALIVE_SECONDS = 600


def register_socket(app, sock) -> None:
    """The page's one WebSocket: the whole state on connect, then every change."""
    hub = services(app).hub

    @app.before_request
    def _refuse_foreign_socket():
        """A foreign page may not listen in: 403 at the handshake, before any upgrade (inside the
        route the connection is already upgraded, and could only be closed)."""
        from web.security import is_cross_site

        origin = request.headers.get("Origin")
        if request.path == "/ws" and origin and is_cross_site("POST", origin, None, request.host):
            return Response("Forbidden: cross-site WebSocket refused.\n", 403, mimetype="text/plain")
        return None

    @sock.route("/ws")
    def ws(socket):
        account = current_account()
        if account is None:
            return
        connection = hub.connect()
        try:
            # No state is sent on connect: the page was just rendered, and a push now would replace
            # blocks under the user's first click. A page that *re*connects asks /logging/state.
            while True:
                html = connection.take(timeout=KEEPALIVE_SECONDS)
                socket.send(html if html is not None else "<div id='ws-ping' hidden></div>")
        finally:
            hub.disconnect(connection)


def register_test_clock(app) -> None:
    """``--test-clock`` only: let browser tests move the app's time forward."""

    @app.post("/test/clock")
    def advance_clock():
        ctl = services(app).controller
        clock = ctl.clock
        try:
            seconds = float(request.form.get("seconds") or (request.get_json(silent=True) or {}).get("seconds", 0))
        except (TypeError, ValueError):
            abort(400)
        if not 0 < seconds <= 7 * 24 * 3600:
            abort(400)
        # A stop the switch asked for is stored at the time it was asked: let it finish first.
        ctl.wait_stopped()
        target = clock.now() + timedelta(seconds=seconds)
        if ctl.loop.running:
            # Let the loop walk its wake-ups up to the target; it may stop on its way there
            # (the weekly limit), after which the rest of the time simply passes.
            clock.allow_until(target)
            give_up = time.monotonic() + 60
            while ctl.loop.running and not clock.wait_reached(target, timeout=0.2):
                if time.monotonic() > give_up:
                    abort(504)
        if clock.now() < target:
            clock.advance(target - clock.now())
        ctl.drain()
        return current_app.response_class(json.dumps({"now": clock.now().isoformat()}), mimetype="application/json")
