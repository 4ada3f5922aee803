"""The Team app's own answer to every error: a page for a page load, a message for htmx.

Werkzeug's bare "413 Request Entity Too Large" or a 500 traceback page tells a freelancer
nothing; each status here gets plain words. htmx does not swap error answers, so an htmx
request gets its message through an ``HX-Trigger`` event that app.js shows in the page's
message area, and nothing on the page is replaced (the form keeps what was typed).
"""

from __future__ import annotations

import json
import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

log = logging.getLogger(__name__)

#: Largest id either database stores (SQLite's INTEGER, PostgreSQL's BIGINT).
MAX_ID = 2**63 - 1

MESSAGES = {
    400: "The app could not understand that request. Reload the page and try again.",
    404: "There is nothing here: it may have been deleted, or the link is wrong.",
    405: "That action is not possible here. Reload the page and try again.",
    413: "That is too much text to send at once. Shorten it and try again.",
    500: "Something went wrong inside the Team app; nothing was changed. Try again, and if it keeps "
    "happening, copy the diagnostics report from Help.",
}


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that matches only ids the databases can hold: a larger number is a 404,
    not an OverflowError deep in SQLite."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def is_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def install_converter(app: Flask) -> None:
    """Before any route is registered."""
    app.url_map.converters["int"] = BoundedIntConverter


def install(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:  # routing redirects are not errors
            return exc
        return _answer(exc.code)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return exc
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _answer(500)


def _answer(status: int):
    message = MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    if request.headers.get("HX-Request"):
        trigger = json.dumps({"teamapp:error": {"message": message}})
        # The real status (htmx swaps nothing for it) and the message as an event, which htmx
        # fires for error answers too.
        return "", status, {"HX-Reswap": "none", "HX-Trigger": trigger}
    return render_template("error.html", title="Team", message=message, status=status), status
