"""Preferences: every change takes effect at once (even while logging) and persists."""

from __future__ import annotations

import base64
import io

from flask import Blueprint, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block

from desktop import autostart as autostart_mod
from sync.account import current_account
from tracker.privacy import PATTERN_SYNTAX
from web import preferences as prefs_mod
from web.htmx import is_htmx
from web.services import services

bp = Blueprint("prefs", __name__)


def apply(prefs: prefs_mod.Preferences) -> None:
    """Hand the new preferences to the running capture loop and camera."""
    svc = services()
    svc.loop.set_preferences(prefs.capture())
    camera = svc.camera
    if camera is not None and hasattr(camera, "source"):
        from tracker.sources.camera_cv import parse_camera_source

        camera.source = parse_camera_source(prefs.camera_source)


def autostart():
    """Start at login: the platform's entry (tests may swap it through the services)."""
    svc = services()
    entry = getattr(svc, "autostart", None)
    return entry if entry is not None else autostart_mod.for_platform()


def _login_command() -> list[str]:
    settings = services().settings
    custom = settings.sources.get("data_dir", "default") != "default"
    return autostart_mod.launch_command(settings.data_dir if custom else None)


def _set_start_at_login(wanted: bool) -> str | None:
    """Make the login entry match the switch; the error message when the OS refuses."""
    entry = autostart()
    try:
        if wanted and not entry.enabled():
            entry.enable(_login_command())
        elif not wanted and entry.enabled():
            entry.disable()
    except OSError as exc:
        what = "switched on" if wanted else "switched off"
        return f"Start at login could not be {what}: {exc.strerror or exc} ({entry.where()})."
    return None


def _page(prefs, error=None, saved=False, status=200):
    account = current_account()
    entry = autostart()
    ctx = {
        "start_at_login": entry.enabled(),
        "autostart_where": entry.where(),
        "title": "Preferences",
        "account": account,
        "prefs": prefs,
        "error": error,
        "saved": saved,
        "timezones": prefs_mod.timezone_names(),
        "review_choices": prefs_mod.REVIEW_CHOICES,
        "reminder_choices": prefs_mod.REMINDER_CHOICES,
        "idle_choices": prefs_mod.IDLE_CHOICES,
        "pattern_syntax": PATTERN_SYNTAX,
    }
    if is_htmx():
        return render_block("prefs.html", "form", **ctx), 200
    return render_template("prefs.html", **ctx), status


@bp.get("/preferences")
def page():
    if current_account() is None:
        return redirect(url_for("auth.signin"))
    return _page(prefs_mod.load())


@bp.post("/preferences")
def save():
    if current_account() is None:
        return redirect(url_for("auth.signin"))
    current = prefs_mod.load()
    try:
        prefs = prefs_mod.from_form(request.form, current)
    except prefs_mod.PreferenceError as exc:
        return _page(current, error=exc, status=422)
    prefs_mod.save(prefs)
    apply(prefs)
    problem = _set_start_at_login(request.form.get("start_at_login") == "on")
    if problem is not None:
        return _page(prefs, error=prefs_mod.PreferenceError("start_at_login", problem), status=500)
    return _page(prefs, saved=True)


@bp.post("/preferences/camera-test")
def camera_test():
    """One frame from the camera source typed in the form, shown at once (nothing is stored)."""
    from tracker.sources.camera_cv import OpenCVCamera, parse_camera_source

    source = request.form.get("camera_source", "").strip()
    camera = OpenCVCamera(parse_camera_source(source or "0"))
    frame = camera.grab()
    if frame is None:
        return render_template("_camera_test.html", image=None, message=camera.health())
    frame.thumbnail((320, 240))
    buffer = io.BytesIO()
    frame.convert("RGB").save(buffer, "JPEG", quality=80)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return render_template("_camera_test.html", image=f"data:image/jpeg;base64,{data}", message=None)
