"""Entry point for gunicorn: ``gunicorn -k gthread -w 4 --threads 8 diary_server.wsgi:app``.

Reads the same settings as ``python app.py diary-server`` (environment TEAMAPP_DIARY_* and
settings.toml in the diary data dir). The app is built when gunicorn imports this module,
which is the one place where importing has effects, by design of WSGI servers.
"""

import settings_load
from diary_server.cli import app_config
from diary_server.factory import create_app

app = create_app(app_config(settings_load.load("diary")))
