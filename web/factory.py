"""The Team app's application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from flask import Flask, g

from models.local import local_db, open_local_database
from settings_load import Settings, ensure_private_dir
from sync.credentials import TokenStore, choose_token_store
from sync.diary_client import DiaryClient
from web import security
from web.services import EXTENSION, TeamServices, services

log = logging.getLogger(__name__)

LOCAL_DB_NAME = "teamapp.sqlite3"


def create_app(
    settings: Settings,
    *,
    launch_secret: str | None = None,
    path_prefix: str | None = None,
    diary_url: str | None = None,
    token_store: TokenStore | None = None,
    client_factory: Callable[..., DiaryClient] = DiaryClient,
    demo_accounts_file: Path | None = None,
    clock=None,
    sources: dict | None = None,
    test_clock: bool = False,
    notifier=None,
) -> Flask:
    """Build the Team app's Flask app.

    ``diary_url`` is the diary to sign in to by default (the embedded one when app.py
    started it, else the diary_url setting). ``client_factory`` makes the diary client,
    so tests can route it to an in-process diary server. ``clock`` is the Clock port shared
    with the capture loop (default: the system clock); ``sources`` the capture sources
    (default: the real ones for this platform, opened only when logging starts).
    The app answers under ``path_prefix`` (default: a random one, ``app.config["PATH_PREFIX"]``);
    its test client and ``security.launch_url`` add it.
    Call ``services(app).shutdown()`` to stop logging and the UI worker.
    """
    data_dir = ensure_private_dir(Path(settings.data_dir))
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=None,
        LAUNCH_SECRET=launch_secret or security.new_launch_secret(),
        DEFAULT_DIARY_URL=diary_url if diary_url is not None else settings.diary_url,
        DEMO_ACCOUNTS_FILE=demo_accounts_file,
        DATA_DIR=data_dir,
        MAX_CONTENT_LENGTH=64 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    security.mount(app, path_prefix or security.new_path_prefix())
    if clock is None:
        from tracker.clock import SystemClock

        clock = SystemClock()
    app.extensions[EXTENSION] = TeamServices(
        settings=settings,
        clock=clock,
        token_store=token_store or choose_token_store(settings.token_store, data_dir),
        client_factory=client_factory,
        notifier=notifier,
    )

    from web.errors import install_converter

    install_converter(app)  # before any route: ids larger than the databases hold are a 404
    from dbkit.db_recovery import describe, recover_if_damaged

    damage = recover_if_damaged(data_dir / LOCAL_DB_NAME, clock.now())
    if damage is not None:
        services(app).db_damage = describe(
            damage, {"capture_segment": "segments", "capture_image": "snapshots", "sync_outbox": "waiting uploads"}
        )
    db = open_local_database(data_dir / LOCAL_DB_NAME)
    services(app).db = db
    _wire_logging(app, clock, sources, data_dir)

    @app.before_request
    def _connect() -> None:
        g.opened_db = local_db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        # Only what this request opened: a worker rendering fragments holds its own connection.
        if g.get("opened_db") and not local_db.is_closed():
            local_db.close()

    import ui

    ui.install(app)
    app.jinja_env.filters["hm"] = lambda minutes: f"{minutes // 60}:{minutes % 60:02d}"
    app.jinja_env.filters["at"] = lambda t, tz, fmt="%H:%M": t.astimezone(tz).strftime(fmt)
    security.install(app)
    from web import errors

    errors.install(app)

    from flask_sock import Sock

    from web.views import auth, contracts, diary, help_page, home, prefs, time_logging

    app.register_blueprint(prefs.bp)
    app.register_blueprint(help_page.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(contracts.bp)
    app.register_blueprint(time_logging.bp)
    app.register_blueprint(diary.bp)
    from web.views import sync as sync_views

    app.register_blueprint(sync_views.bp)
    # No WebSocket pings (a wake-up of the server and the page every 20 s while nothing happens):
    # the page is on this computer, where no proxy drops an idle connection; a closed page is
    # noticed by the socket's reader at once, a vanished one at the next send (see KEEPALIVE).
    app.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": None}
    time_logging.register_socket(app, Sock(app))
    if test_clock:
        time_logging.register_test_clock(app)
    return app


def _wire_logging(app: Flask, clock, sources: dict | None, data_dir: Path) -> None:
    """The capture loop, its SQLite sink and the controller that drives the main screen."""
    from desktop.time_logging import TimeLoggingController
    from models.capture_store import SqliteCaptureSink
    from models.local import Contract
    from tracker.loop import CaptureLoop
    from web import preferences as prefs_mod
    from web.live import Hub

    svc = services(app)
    hooks: list = []

    def upload_soon() -> None:  # the outbox has work: the worker pushes it when due, not on a timer
        if svc.sync_worker is not None:
            from sync.outbox import earliest_due

            when = earliest_due(clock.now())
            if when is not None:
                svc.sync_worker.due_at(when)  # (a segment being logged: at its end)

    sink = SqliteCaptureSink(
        data_dir, in_transaction=lambda *args: [hook(*args) for hook in hooks], after_commit=upload_soon
    )
    with local_db.connection_context():
        moved = sink.recover()
        prefs = prefs_mod.load()
    storage_notice = None
    if moved:
        log.warning("%d snapshot files that no row names were moved to %s", len(moved), sink.orphans_moved_to)
    if moved and (sink.database_looks_new or svc.db_damage):
        storage_notice = (
            f"The database has no record of {len(moved)} snapshot files in this data dir: it may have been "
            f"lost or replaced. Nothing was deleted: the files were moved to {sink.orphans_moved_to}."
        )
    storage_notice = " ".join(filter(None, [svc.db_damage, storage_notice])) or None
    svc.storage_notice = storage_notice
    if sources is None:
        from tracker.sources.camera_cv import parse_camera_source
        from tracker.sources.platform import real_sources

        sources = real_sources(camera=parse_camera_source(prefs.camera_source))
    loop = CaptureLoop(clock=clock, sink=sink, preferences=prefs.capture(), **sources)
    hub = Hub()

    def contract_lookup(contract_id: int):
        from sync.account import current_account

        account = current_account()
        if account is None:
            return None
        return Contract.get_or_none((Contract.diary_url == account.diary_url) & (Contract.id == contract_id))

    def on_change(parts: set[str]) -> None:
        if not hub.connections:
            return
        from sync.account import current_account
        from web.views.main_screen import render_parts

        with app.test_request_context("/"):
            account = current_account()
            if account is not None:
                hub.publish(render_parts(account, parts))

    from desktop.notify import DesktopNotifier, Presence
    from ui import ICON_PNG

    presence = Presence()
    notifier = svc.notifier or DesktopNotifier("Team", ICON_PNG)

    def notify(notice) -> None:
        if not presence.in_front():
            notifier.send(notice)

    controller = TimeLoggingController(
        loop=loop,
        clock=clock,
        preferences=prefs_mod.load,
        contract_lookup=contract_lookup,
        on_change=on_change,
        notify=notify,
        data_dir=data_dir,
    )
    controller.state.start_notice = storage_notice
    hooks.append(controller.fill_memo)
    from sync.outbox import capture_hook

    hooks.append(capture_hook(lambda: (lambda p: p.review_seconds if p.notifications else 0)(prefs_mod.load())))
    controller.start_worker()
    svc.loop = loop
    svc.controller = controller
    svc.hub = hub
    svc.camera = sources.get("camera")
    svc.presence = presence
    svc.notifier = notifier
    svc.shutdown = lambda: (controller.shutdown(), notifier.close())
