"""Entry point for gunicorn: ``gunicorn -k gevent -w 4 --worker-connections 2000 diary_server.wsgi:app``
(or ``-k gthread --threads 8``: a thread per open connection, so at most 8 held pulls a worker).

Reads the same settings as ``python app.py diary-server`` (environment TEAMAPP_DIARY_* and
settings.toml in the diary data dir). The app is built when gunicorn imports this module,
which is the one place where importing has effects, by design of WSGI servers.
"""

import settings_load
from diary_server.cli import app_config
from diary_server.factory import create_app


def _cooperative_database_driver() -> None:
    """Under gunicorn's gevent worker the sockets are cooperative, but psycopg2 waits for
    PostgreSQL in C and would block every greenlet of the worker: psycogreen makes it yield."""
    import sys

    if "gevent" not in sys.modules:
        return
    from gevent import monkey

    if monkey.is_module_patched("socket"):
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()


_cooperative_database_driver()
app = create_app(app_config(settings_load.load("diary")))
