"""``python app.py diary-server``: serve the diary alone, or add an account."""

from __future__ import annotations

import getpass
import logging
import signal
import sys
from typing import TextIO

from settings_load import Settings, ensure_private_dir

log = logging.getLogger(__name__)


def app_config(settings: Settings, **extra) -> dict:
    return {
        "DATA_DIR": ensure_private_dir(settings.diary_data_dir),
        "DATABASE_URL": settings.diary_database,
        "SECRET_KEY": settings.diary_secret_key,
        "LOGIN_ATTEMPTS": settings.diary_login_attempts,
        "TRUSTED_PROXIES": settings.diary_trusted_proxies,
        "BEHIND_TLS": settings.diary_behind_tls,
        "HASH_SLOTS": settings.diary_hash_slots,
        "POOL_SIZE": settings.diary_pool_size,
        "POOL_STALE_SECONDS": settings.diary_pool_stale_seconds,
        "POOL_WAIT_SECONDS": settings.diary_pool_wait_seconds,
        **extra,
    }


def serve(settings: Settings, out: TextIO = sys.stdout) -> int:
    from werkzeug.serving import make_server

    from diary_server.demo import ensure_demo_accounts, format_demo_accounts
    from diary_server.factory import create_app, utc_now

    app = create_app(app_config(settings))
    if app.extensions.get("diary_damage"):
        out.write(app.extensions["diary_damage"] + "\n")
    if settings.diary_demo:
        created = ensure_demo_accounts(app.extensions["diary_db"], settings.diary_data_dir, utc_now())
        if created:
            out.write(format_demo_accounts(created))
    server = make_server(settings.diary_host, settings.diary_port, app, threaded=True)
    host, port = server.server_address[:2]
    out.write(f"Diary server running at http://{host}:{port}/ (Ctrl-C to stop)\n")
    out.flush()

    def _terminate(signum, frame):
        raise KeyboardInterrupt  # SIGTERM stops as cleanly as Ctrl-C

    signal.signal(signal.SIGTERM, _terminate)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["invoice_scheduler"].stop()
        from dbkit.database import close_cleanly

        close_cleanly(app.extensions["diary_db"])
        out.write("Diary server stopped.\n")
    return 0


def create_user_command(
    settings: Settings, role: str, email: str, name: str, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> int:
    """Add an account; the password comes from a prompt on a terminal, else from stdin."""
    from diary_server.accounts import AccountError, create_user
    from diary_server.factory import create_app, utc_now

    if stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            out.write("error: the passwords differ; nothing was created\n")
            return 2
    else:
        password = stdin.readline().rstrip("\r\n")
    app = create_app(app_config(settings))
    db = app.extensions["diary_db"]
    try:
        with db.connection_context():
            user = create_user(email, name, role, password, utc_now())
    except AccountError as exc:
        out.write(f"error: {exc.message} Nothing was created.\n")
        return 2
    finally:
        db.close()
    out.write(f"Created {user.role} {user.name} <{user.email}> (id {user.id}).\n")
    return 0
