"""The diary server: the shared Work Diary of clients and freelancers.

Runs alone (``python app.py diary-server``, or gunicorn ``diary_server.wsgi:app``) or
embedded in the Team app. It uses only the pure rules and the generic database helpers of
``models/``, never the Team app's tables, web/, tracker/ or sync/.
"""

from diary_server.factory import create_app

__all__ = ["create_app"]
