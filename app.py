"""Composition root of the Team app and the diary server: the CLI and the wiring, nothing else.

python app.py [options]                          the Team app (embedded diary if no --diary-url)
python app.py diary-server [options]             the diary server alone
python app.py diary-server create-user ...       add an account to the diary server
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

import settings_load
from settings import BY_NAME
from settings_load import Settings, SettingsError, ensure_private_dir
from web.services import services

log = logging.getLogger("teamapp")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="app.py",
        description="Team: log time on hourly contracts; keep a shared Work Diary with your client.",
        epilog="Every option is also a setting: TEAMAPP_<NAME> in the environment, or NAME = value "
        "in settings.toml in the data dir (command line > environment > file > default).",
    )
    settings_load.add_arguments(parser, "app")
    parser.add_argument(
        "--no-window",
        dest="window",
        action="store_const",
        const="none",
        help="Only serve and print the URL to open (same as --window none).",
    )
    parser.add_argument(
        "--diagnostics",
        action="store_true",
        help="Print a diagnostics report for a support request (versions, backends, display server, "
        "permissions, data-dir usage, outbox, last sync, a database check; no tokens, memos, window "
        "titles or snapshots) and exit, without starting the app.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    diary = commands.add_parser(
        "diary-server",
        help="Run the diary server (the shared Work Diary) alone. See: app.py diary-server --help",
        description="Run the diary server: the Work Diary shared by clients and freelancers. "
        "For a team, run it under gunicorn with PostgreSQL (see the README).",
        epilog="Every option is also a setting: TEAMAPP_<NAME> in the environment, or NAME = value "
        "in settings.toml in the diary data dir.",
    )
    settings_load.add_arguments(diary, "diary")
    diary_commands = diary.add_subparsers(dest="diary_command", metavar="COMMAND")
    create = diary_commands.add_parser(
        "create-user",
        help="Add an account (the password is read from a prompt, or from stdin when piped).",
        description="Add an account to the diary server. The password is read from a prompt, "
        "or from the first line of stdin when it is not a terminal.",
    )
    create.add_argument("--role", required=True, choices=("client", "freelancer"), help="Kind of account.")
    create.add_argument("--email", required=True, help="E-mail address used to sign in.")
    create.add_argument("--name", required=True, help="Full name shown to the other side.")
    settings_load.add_arguments(create, "diary")
    return parser


def setup_logging(level: str, log_dir: Path | None) -> None:
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    if log_dir is not None:
        ensure_private_dir(log_dir)
        path = log_dir / "teamapp.log"
        path.touch(mode=0o600, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # httpx logs every request at INFO: a log line (and a disk write) per sync round for nothing.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def cli_values(namespace: argparse.Namespace) -> dict:
    return {k: v for k, v in vars(namespace).items() if k in BY_NAME}


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "diary-server":
            settings = settings_load.load("diary", cli_values(args))
            setup_logging(settings.log_level, None)
            from diary_server import cli as diary_cli

            if args.diary_command == "create-user":
                return diary_cli.create_user_command(settings, args.role, args.email, args.name, out=out)
            return diary_cli.serve(settings, out=out)
        settings = settings_load.load("app", cli_values(args))
    except SettingsError as exc:
        parser.error(str(exc))
    except ValueError as exc:  # e.g. an unsupported database URL
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.diagnostics:
        return print_diagnostics(settings, out)
    return run_team_app(settings, out)


def print_diagnostics(settings: Settings, out: TextIO) -> int:
    """The Help page's diagnostics report from the data dir alone: nothing is started or changed."""
    from datetime import UTC, datetime

    from web.diagnostics import command_line_report

    out.write(command_line_report(settings, datetime.now(UTC)))
    out.flush()
    return 0


def watch_stop_signals(on_stop) -> None:
    """Call ``on_stop`` on Ctrl-C or SIGTERM, even while a GUI toolkit owns the main thread.

    Python runs signal handlers only between bytecodes of the main thread, which never
    happens while Qt's event loop runs. So on POSIX the signals are blocked in every thread
    (threads started later inherit the mask) and one watcher thread takes them with sigwait.
    """
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        for signum in stop_signals:
            signal.signal(signum, on_stop)
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    def watch() -> None:
        while True:
            on_stop(signal.sigwait(stop_signals))

    threading.Thread(target=watch, name="stop-signals", daemon=True).start()


def resume_logging(app) -> str | None:
    """Logging was on when the app last stopped unexpectedly: switch it on again, and say so."""
    from models.local import local_db
    from web import preferences as prefs_mod

    with local_db.connection_context():
        return services(app).controller.resume_after_unclean_stop(prefs_mod.load().tz)


def start_tray(app, url: str):
    """The tray icon where the desktop has a tray; None (and a log line) elsewhere."""
    from desktop.tray import start_tray_for

    svc = services(app)
    return start_tray_for(svc.controller, svc.notifier, url)


def run_team_app(settings: Settings, out: TextIO = sys.stdout) -> int:
    from desktop import memory

    memory.keep_postgres_driver_out()
    memory.keep_httpx_cli_out()
    memory.tune_allocator()

    from web.single_instance import AlreadyRunning, InstanceLock, ask_to_show

    data_dir = ensure_private_dir(Path(settings.data_dir))
    try:
        instance = InstanceLock(data_dir).acquire()
    except AlreadyRunning as exc:
        shown = ask_to_show(exc.running)
        then = "Its window was brought to the front." if shown else "Use that one, or stop it first."
        out.write(f"{exc} {then}\n")
        out.flush()
        return 0
    try:
        return serve_team_app(settings, data_dir, instance, out)
    finally:
        instance.release()


def serve_team_app(settings: Settings, data_dir: Path, instance, out: TextIO) -> int:
    """The Team app on a data dir this process holds the lock of (see run_team_app)."""
    from dbkit.database import close_cleanly, hold_open
    from desktop import window
    from sync import contracts as contracts_sync
    from ui import ICON_PNG
    from web import security
    from web.factory import create_app
    from web.serving import ServerThread
    from web.single_instance import install as install_instance

    setup_logging(settings.log_level, data_dir / "logs")
    stop = threading.Event()

    window_closed = threading.Event()

    def request_stop(signum=None, frame=None) -> None:
        stop.set()
        # The window may not exist yet, or Qt may miss one request while busy: ask again until
        # webview.start() has returned (bounded; it normally returns at the first request).
        for _ in range(40):
            window.close_native_windows()
            if window_closed.wait(0.5):
                break

    watch_stop_signals(request_stop)
    embedded = diary_app = demo_file = None
    diary_url = settings.diary_url
    clock = None
    if settings.test_clock:
        from datetime import UTC, datetime

        from tracker.fakes import FakeClock

        try:
            start = datetime.fromisoformat(settings.test_clock_start or datetime.now(UTC).isoformat())
        except ValueError:
            out.write(f"error: --test-clock-start {settings.test_clock_start!r} is not an ISO 8601 moment.\n")
            return 2
        clock = FakeClock(start if start.tzinfo else start.replace(tzinfo=UTC))
        out.write("TEST CLOCK: time stands still; POST /test/clock moves it.\n")
    previous_embedded = None
    if not diary_url:
        from embedded_diary import follow_embedded_diary, start_embedded_diary

        embedded, diary_app, demo_file, previous_embedded = start_embedded_diary(data_dir, out, clock)
        diary_url = embedded.base_url
    extra = {}
    if embedded is not None:  # the sync worker, the listener and sign-in reach it in-process
        from embedded_diary import in_process_client_factory

        extra["client_factory"] = in_process_client_factory(diary_app, embedded.base_url)
    app = create_app(
        settings,
        diary_url=diary_url,
        demo_accounts_file=demo_file,
        clock=clock,
        test_clock=settings.test_clock,
        **extra,
    )
    services(app).embedded_diary = embedded is not None
    svc = services(app)
    hold_open(svc.db)  # request threads' closes never checkpoint and delete the WAL
    if embedded is not None:
        follow_embedded_diary(services(app).token_store, diary_app, previous_embedded, diary_url, out)
    try:
        server = ServerThread(app, "127.0.0.1", settings.port, name="teamapp-web")
    except OSError:
        out.write(
            f"error: the Team app cannot listen on port {settings.port}: another program uses it. "
            "Choose another with --port, or 0 for any free port.\n"
        )
        svc.shutdown()
        if embedded is not None:
            embedded.stop()
            diary_app.extensions["invoice_scheduler"].stop()  # before its database closes
            close_cleanly(diary_app.extensions["diary_db"])
        close_cleanly(svc.db)
        return 1

    def refresh():
        return contracts_sync.refresh_contracts(
            client_factory=svc.client_factory, token_store=svc.token_store, now=svc.now()
        )

    from sync.clock import FollowingClock
    from sync.worker import SyncWorker
    from tracker.clock import SystemClock

    # The app's clock; under --test-clock the worker follows the test clock without moving it
    # (moving it is the capture loop's job), so backoff and review windows use the same time.
    sync_worker = SyncWorker(
        client_factory=svc.client_factory,
        token_store=svc.token_store,
        clock=SystemClock() if clock is None else FollowingClock(clock),
        data_dir=data_dir,
        on_change=lambda: svc.controller.refresh("status"),  # the status line's upload state
        refresh_contracts=refresh,
        listen=True,  # the diary's changes come by a held pull, not a pull every 15 s
    ).start()
    svc.sync_worker = sync_worker
    svc.controller.after_edit = sync_worker.poke
    mode = window.resolve_mode(settings.window)
    launch_url: list[str] = []

    def show_window() -> bool:
        if window.show_native_window():
            return True
        return mode != "none" and bool(launch_url) and window.open_in_browser(launch_url[0])

    install_instance(app, instance.key, show_window)
    server.start()
    url = security.launch_url(app, server.base_url)  # http://127.0.0.1:PORT/t-…/?key=…
    launch_url.append(url)
    instance.publish(server.base_url + app.config["PATH_PREFIX"])  # a second copy asks there
    if svc.storage_notice:
        out.write(svc.storage_notice + "\n")
    from tracker.sources.status import WAYLAND, session_problem

    if session_problem() == WAYLAND:  # said at start here and on the main screen's status line
        out.write(f"Screen capture: {WAYLAND}\n")
    resumed = resume_logging(app)  # before the ready line: whoever waits for it sees the answer
    if resumed:
        out.write(resumed + "\n")
    out.write(f"Team app running at {url}\n")
    out.flush()

    tray = start_tray(app, url) if settings.tray else None
    try:
        if mode == "native":
            try:
                window.run_native_window(url, ICON_PNG)
                window_closed.set()
                stop.set()  # the user closed the window: quit
            except window.NativeWindowUnavailable as exc:
                log.warning("%s; opening the default browser instead", exc)
                mode = "browser"
        if mode != "native":
            window_closed.set()  # nothing to close
        if mode == "browser" and not window.open_in_browser(url):
            out.write("Could not open a browser: open the URL above yourself.\n")
        if mode in ("browser", "none"):
            out.write("Press Ctrl-C to stop.\n")
            out.flush()
        while not stop.wait(0.5 if sys.platform.startswith("win") else None):
            pass
    finally:
        window_closed.set()
        out.write("Stopping…\n")
        if tray is not None:
            tray.stop()
        svc.shutdown()  # logging off: the last interval and a pending snapshot are stored
        server.stop()
        sync_worker.stop_listening()  # no new held pull...
        if embedded is not None:
            diary_app.extensions["change_waiters"].stop()  # ...and the one in flight answered now
        sync_worker.stop()  # closes its connections before the diary's side does (no TIME_WAIT there)
        if embedded is not None:
            embedded.stop()
            diary_app.extensions["invoice_scheduler"].stop()  # before its database closes
            close_cleanly(diary_app.extensions["diary_db"])
        close_cleanly(services(app).db)
        out.write("Team app stopped.\n")
        out.flush()
    return 0


def exit_now(code: int) -> None:
    """Leave without the interpreter's finalization. Everything is stored and closed by the
    time ``main`` returns ("Team app stopped."); what is left is tearing down Qt WebEngine and
    library threads, which once hung a SIGTERMed app on a loaded CI machine after it had
    printed that line. (Argument errors and --help still leave through SystemExit.)"""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main() or 0)
