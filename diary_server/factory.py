"""The diary server's application factory."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apiflask import APIFlask
from flask import Flask, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from core import text_rules
from dbkit.database import close_pool, open_database
from dbkit.migrate import discover, migrate
from diary_server import migrations as migrations_package
from diary_server.accounts import configure_hashing
from diary_server.models import diary_db
from diary_server.passwords import DEFAULT_WAIT_SECONDS, default_slots

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


#: Sent on every answer once the server knows it is reached over HTTPS (a year, as is usual).
HSTS = "max-age=31536000"


class _SessionCookie(SecureCookieSessionInterface):
    """The session cookie is ``Secure`` when the server is told it runs behind TLS, and also
    whenever the request came over HTTPS (a trusted proxy's ``X-Forwarded-Proto: https``)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def utc_now() -> datetime:
    """The server's clock: aware UTC, as every time in Python."""
    return datetime.now(UTC)


def diary_migrations():
    return discover(migrations_package)


def secret_key_for(data_dir: Path, configured: str) -> str:
    """The configured key, else one made once and kept 0600 in the data dir."""
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


#: Bodies whose text is checked item by item (a bad item is refused alone, see sync_service.push).
PER_ITEM_TEXT_PATHS = frozenset({"/api/v1/sync/push"})


def _check_incoming_text():
    """One check for all text coming in: JSON bodies nested too deep answer 400 before parsing
    (the parser would raise RecursionError), control characters in JSON, form fields or the
    query string answer 422 naming the field (PostgreSQL cannot store NUL; SQLite could)."""
    from flask import render_template

    is_api = request.path.startswith("/api/")
    problem = None
    if is_api:  # (page links carry only ids and ?next=, which pages.safe_next_path cleans)
        for name, value in request.args.items(multi=True):
            problem = problem or text_rules.text_problem(name, value)
    if request.mimetype == "application/json" or (is_api and request.get_data(cache=True)):
        raw = request.get_data(cache=True)
        if text_rules.json_depth_exceeds(raw):
            return {"code": "bad_request", "message": "The request body nests too deep."}, 400
        if request.path not in PER_ITEM_TEXT_PATHS:
            data = request.get_json(silent=True)
            found = text_rules.first_text_problem(data) if data is not None else None
            problem = problem or (found[1] if found else None)
    elif request.form:
        for name, value in request.form.items(multi=True):
            problem = problem or text_rules.text_problem(name, value)
    if problem is None:
        return None
    if is_api:
        return {"code": "validation_error", "message": problem}, 422
    return render_template("error.html", title="Please check the form", message=problem), 422


def create_app(config: Mapping[str, Any]) -> APIFlask:
    """Build the diary server.

    ``config`` keys: DATA_DIR (Path), DATABASE_URL (str; default SQLite in DATA_DIR),
    SECRET_KEY, LOGIN_ATTEMPTS (int), CLOCK (callable returning aware UTC), TESTING,
    TRUSTED_PROXIES (int, reverse proxies in front whose X-Forwarded-* headers count; 0 = none),
    BEHIND_TLS (bool: cookies Secure and HSTS always), CHANGES_MAX_WAIT (int, longest a held
    pull waits, seconds), CHANGES_POLL_SECONDS (float, how often a waiting pull looks for other
    processes' writes; 0 = this process writes alone), HASH_SLOTS (int, password hashes at once;
    0 = half the cores), HASH_WAIT_SECONDS (float, how long a sign-in waits for a slot),
    HASH_OUT_OF_PROCESS (bool: each password hash and common-password check in a short-lived
    worker process, so their memory is not kept: the diary embedded in the Team app).
    POOL_SIZE, POOL_STALE_SECONDS, POOL_WAIT_SECONDS (the connection pool, dbkit.pool).
    INVOICE_SCHEDULER (bool, run the invoice cycle's thread; default: unless TESTING).
    The database is opened and migrated here, so a fresh database is ready at once.
    """
    data_dir = Path(config["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = config.get("DATABASE_URL") or f"sqlite:///{data_dir / 'diary.sqlite3'}"
    damage = None
    if database_url.startswith("sqlite:///"):  # a damaged file is moved aside and recovered
        from datetime import UTC, datetime

        from dbkit.db_recovery import describe, recover_if_damaged

        found = recover_if_damaged(database_url[len("sqlite:///") :], datetime.now(UTC))
        if found is not None:
            damage = describe(found, {"users": "accounts", "contracts": "contracts", "diary_segments": "segments"})

    app = APIFlask(
        __name__,
        title="Team app Work Diary API",
        version=API_VERSION,
        spec_path="/api/v1/openapi.json",
        docs_path=None,
        json_errors=False,
    )
    app.config.update(
        SECRET_KEY=secret_key_for(data_dir, config.get("SECRET_KEY", "")),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=bool(config.get("BEHIND_TLS", False)),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="diary_session",
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        LOGIN_ATTEMPTS=int(config.get("LOGIN_ATTEMPTS", 5)),
        DATA_DIR=data_dir,
        DATABASE_URL=database_url,
        CHANGES_MAX_WAIT=int(config.get("CHANGES_MAX_WAIT", 55)),
        TESTING=bool(config.get("TESTING", False)),
        VALIDATION_ERROR_STATUS_CODE=422,
        AUTH_ERROR_DESCRIPTION="Sign in first: send 'Authorization: Bearer <token>'.",
    )
    app.session_interface = _SessionCookie()
    proxies = int(config.get("TRUSTED_PROXIES", 0))
    if proxies > 0:
        # Only then do X-Forwarded-For/-Proto/-Host count: anyone can send them otherwise.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    configure_hashing(
        int(config.get("HASH_SLOTS", 0)) or default_slots(),
        float(config.get("HASH_WAIT_SECONDS", DEFAULT_WAIT_SECONDS)),
        out_of_process=bool(config.get("HASH_OUT_OF_PROCESS", False)),
    )
    clock: Callable[[], datetime] = config.get("CLOCK") or utc_now
    app.extensions["diary_clock"] = clock

    from dbkit.pool import MaxConnectionsExceeded, PoolOptions

    defaults = PoolOptions()
    pool = PoolOptions(
        int(config.get("POOL_SIZE", defaults.max_connections)),
        int(config.get("POOL_STALE_SECONDS", defaults.stale_seconds)),
        float(config.get("POOL_WAIT_SECONDS", defaults.wait_seconds)),
    )
    db = open_database(database_url, pool)
    with db.connection_context():
        migrate(db, diary_migrations())
    close_pool(db)  # no connection outlives the start (a server that forks after it)
    diary_db.initialize(db)
    app.extensions["diary_db"] = db
    app.extensions["diary_damage"] = damage  # words for the person who started it, or None
    from diary_server.invoice_scheduler import InvoiceScheduler

    # Invoices: catch up with every week missed while down, then wake at each cycle moment.
    scheduler = app.extensions["invoice_scheduler"] = InvoiceScheduler(db, clock)
    scheduler.catch_up()
    close_pool(db)  # the catch-up's connection does not outlive the start either
    if config.get("INVOICE_SCHEDULER", not app.config["TESTING"]):
        scheduler.start()

    @app.before_request
    def _open_db() -> None:
        g.now = clock()
        db.connect(reuse_if_open=True)

    app.before_request(_check_incoming_text)

    @app.teardown_request
    def _close_db(exc: BaseException | None) -> None:
        if not db.is_closed():
            db.close()  # back to the pool, open

    @app.errorhandler(MaxConnectionsExceeded)
    def _pool_exhausted(error):
        from flask import render_template

        retry = {"Retry-After": "1"}
        message = "The diary server is busy. Try again in a moment."
        if request.path.startswith("/api/"):
            return {"code": "busy", "message": message}, 503, retry
        return render_template("error.html", title="Busy", message=message), 503, retry

    from diary_server.change_waiters import ChangeWaiters
    from diary_server.sync_service.feed import parties_changed_after

    poll = config.get("CHANGES_POLL_SECONDS", 1.0)
    waiters = ChangeWaiters(parties_changed_after, poll_seconds=float(poll) if poll else None)
    app.extensions["change_waiters"] = waiters

    @app.after_request
    def _wake_waiters(response):
        if request.method not in ("GET", "HEAD", "OPTIONS"):  # committed by now (after the view)
            waiters.poke()
        return response

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config["SESSION_COOKIE_SECURE"] or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    @app.get("/healthz")
    @app.doc(hide=True)
    def healthz():
        db.execute_sql("SELECT 1")
        if damage:
            return {"status": "damaged", "service": "diary-server", "damage": damage}
        return {"status": "ok", "service": "diary-server"}

    import diary_server.api_contracts
    import diary_server.api_invoices
    import diary_server.api_sync
    import diary_server.pages_contracts
    import diary_server.pages_invoices  # noqa: F401  (registers its routes on pages_bp)
    import ui
    from diary_server.api import api_bp, register_error_processor
    from diary_server.pages import pages_bp
    from diary_server.pages_diary import diary_bp

    ui.install(app)
    csrf = CSRFProtect(app)
    csrf.exempt(api_bp)
    register_error_processor(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(diary_bp)

    @app.errorhandler(CSRFError)
    def _csrf_failed(error):
        from flask import render_template

        message = "This form was open too long or came from another site. Reload the page and try again."
        return render_template("error.html", title="Please try again", message=message), 400

    @app.errorhandler(404)
    def _not_found(error):
        if request.path.startswith("/api/"):
            return {"code": "not_found", "message": "No such resource."}, 404
        from flask import render_template

        return render_template("error.html", title="Not found", message="There is no page here."), 404

    return app
