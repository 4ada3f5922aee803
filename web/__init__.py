"""The Team app's local web UI (Flask + htmx), shown in the native window or a browser."""

from web.factory import create_app

__all__ = ["create_app"]
