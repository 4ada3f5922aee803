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

import settings as settings_mod
from settings import Settings, SettingsError, ensure_private_dir

log = logging.getLogger("teamapp")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="app.py",
        description="Team: log time on hourly contracts; keep a shared Work Diary with your client.",
        epilog="Every option is also a setting: TEAMAPP_<NAME> in the environment, or NAME = value "
        "in settings.toml in the data dir (command line > environment > file > default).",
    )
    settings_mod.add_arguments(parser, "app")
    parser.add_argument(
        "--no-window", dest="window", action="store_const", const="none",
        help="Only serve and print the URL to open (same as --window none).",
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
    settings_mod.add_arguments(diary, "diary")
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
    settings_mod.add_arguments(create, "diary")
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


def cli_values(namespace: argparse.Namespace) -> dict:
    return {k: v for k, v in vars(namespace).items() if k in settings_mod.BY_NAME}


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "diary-server":
            settings = settings_mod.load("diary", cli_values(args))
            setup_logging(settings.log_level, None)
            from diary_server import cli as diary_cli

            if args.diary_command == "create-user":
                return diary_cli.create_user_command(settings, args.role, args.email, args.name, out=out)
            return diary_cli.serve(settings, out=out)
        settings = settings_mod.load("app", cli_values(args))
    except SettingsError as exc:
        parser.error(str(exc))
    except ValueError as exc:  # e.g. an unsupported database URL
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return run_team_app(settings, out)


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


def start_embedded_diary(data_dir: Path, out: TextIO, clock=None):
    """The diary server in-process on a free port, with demo accounts on first start.

    ``clock`` (the test clock) is shared so the diary agrees with the app about "now"."""
    from diary_server.demo import DEMO_FILE_NAME, ensure_demo_accounts, format_demo_accounts
    from diary_server.factory import create_app as create_diary_app
    from diary_server.factory import utc_now
    from web.serving import ServerThread

    diary_dir = ensure_private_dir(data_dir / "diary")
    config = {"DATA_DIR": diary_dir}
    if clock is not None:
        from datetime import UTC

        config["CLOCK"] = lambda: clock.now().astimezone(UTC).replace(tzinfo=None)
    diary_app = create_diary_app(config)
    created = ensure_demo_accounts(diary_app.extensions["diary_db"], diary_dir, config.get("CLOCK", utc_now)())
    if created:
        out.write(format_demo_accounts(created))
        out.write(f"(saved in {diary_dir / DEMO_FILE_NAME})\n")
    server = ServerThread(diary_app, "127.0.0.1", 0, name="embedded-diary").start()
    out.write(f"Embedded Work Diary running at {server.base_url}/\n")
    return server, diary_app, diary_dir / DEMO_FILE_NAME


def start_tray(app, url: str):
    """The tray icon where the desktop has a tray; None (and a log line) elsewhere."""
    from models.local import Contract, local_db
    from sync import contracts as contracts_sync
    from ui import ICON_PNG
    from web import window
    from web.logging_controller import StartRefused
    from web.notify import Notice
    from web.tray import Tray, tray_available

    reason = tray_available()
    if reason:
        log.info("no tray icon: %s", reason)
        return None
    svc = app.extensions["teamapp"]
    controller = svc["controller"]

    def contract_title() -> str | None:
        def read() -> str | None:
            cid = contracts_sync.selected_contract_id()
            contract = Contract.get_or_none(Contract.id == cid) if cid else None
            return contract.title if contract else None

        if not local_db.is_closed():  # called on the UI worker, which holds a connection
            return read()
        with local_db.connection_context():
            return read()

    def toggle() -> None:
        with local_db.connection_context():
            if controller.logging:
                controller.stop()
            else:
                try:
                    controller.start(contracts_sync.selected_contract_id())
                except StartRefused as exc:
                    svc["notifier"].send(Notice("Logging did not start", str(exc)))
        tray.refresh()

    def open_window() -> None:
        if not window.show_native_window():
            window.open_in_browser(url)

    tray = Tray(ICON_PNG, lambda: controller.logging, contract_title, toggle, open_window)
    try:
        tray.start()
    except Exception as exc:  # a tray that will not start must not stop the app
        log.warning("tray icon unavailable: %s", exc)
        return None
    controller.watchers.append(tray.refresh)  # after the controller handled each loop event
    return tray


def run_team_app(settings: Settings, out: TextIO = sys.stdout) -> int:
    from web import memory

    memory.keep_postgres_driver_out()
    memory.tune_allocator()

    from models.database import close_cleanly
    from sync import contracts as contracts_sync
    from ui import ICON_PNG
    from web import window
    from web.factory import create_app
    from web.serving import ServerThread

    data_dir = ensure_private_dir(Path(settings.data_dir))
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

        clock = FakeClock(datetime.now(UTC))
        out.write("TEST CLOCK: time stands still; POST /test/clock moves it.\n")
    if not diary_url:
        embedded, diary_app, demo_file = start_embedded_diary(data_dir, out, clock)
        diary_url = embedded.base_url
    app = create_app(
        settings, diary_url=diary_url, demo_accounts_file=demo_file, clock=clock, test_clock=settings.test_clock
    )
    app.extensions["teamapp"]["embedded_diary"] = embedded is not None
    svc = app.extensions["teamapp"]

    def refresh():
        return contracts_sync.refresh_contracts(
            client_factory=svc["client_factory"], token_store=svc["token_store"], now=svc["clock"]()
        )

    poller = contracts_sync.ContractPoller(refresh).start()
    from sync.clock import FollowingClock
    from sync.worker import SyncWorker
    from tracker.clock import SystemClock

    # The app's clock; under --test-clock the worker follows the test clock without moving it
    # (moving it is the capture loop's job), so backoff and review windows use the same time.
    sync_worker = SyncWorker(
        client_factory=svc["client_factory"],
        token_store=svc["token_store"],
        clock=SystemClock() if clock is None else FollowingClock(clock),
        data_dir=data_dir,
    ).start()
    svc["sync_worker"] = sync_worker
    svc["controller"].after_edit = sync_worker.poke
    server = ServerThread(app, "127.0.0.1", settings.port, name="teamapp-web").start()
    url = f"{server.base_url}/?key={app.config['LAUNCH_SECRET']}"
    out.write(f"Team app running at {url}\n")
    out.flush()

    mode = window.resolve_mode(settings.window)
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
        svc["shutdown"]()  # logging off: the last interval and a pending snapshot are stored
        server.stop()
        poller.stop()
        sync_worker.stop()
        if embedded is not None:
            embedded.stop()
            close_cleanly(diary_app.extensions["diary_db"])
        close_cleanly(app.extensions["teamapp"]["db"])
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
