"""The Team app's application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from models.local import local_db, open_local_database
from settings import Settings, ensure_private_dir
from sync.credentials import TokenStore, choose_token_store
from sync.diary_client import DiaryClient
from web import security

log = logging.getLogger(__name__)

LOCAL_DB_NAME = "teamapp.sqlite3"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def create_app(
    settings: Settings,
    *,
    launch_secret: str | None = None,
    diary_url: str | None = None,
    token_store: TokenStore | None = None,
    client_factory: Callable[..., DiaryClient] = DiaryClient,
    demo_accounts_file: Path | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Flask:
    """Build the Team app's Flask app.

    ``diary_url`` is the diary to sign in to by default (the embedded one when app.py
    started it, else the diary_url setting). ``client_factory`` makes the diary client,
    so tests can route it to an in-process diary server.
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
    app.extensions["teamapp"] = {
        "token_store": token_store or choose_token_store(settings.token_store, data_dir),
        "client_factory": client_factory,
        "clock": clock,
        "settings": settings,
    }

    db = open_local_database(data_dir / LOCAL_DB_NAME)
    app.extensions["teamapp"]["db"] = db

    @app.before_request
    def _connect() -> None:
        local_db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if not local_db.is_closed():
            local_db.close()

    import ui

    ui.install(app)
    security.install(app)

    from web.views import auth, contracts, home

    app.register_blueprint(home.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(contracts.bp)
    return app


def services(app: Flask) -> dict:
    return app.extensions["teamapp"]
