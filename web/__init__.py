"""The Team app's local web UI (Flask + htmx), shown in the native window or a browser."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web.factory import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so that light modules of this package (desktop.memory, desktop.tray) can be imported
    # before Flask and peewee are.
    if name == "create_app":
        from web.factory import create_app

        return create_app
    raise AttributeError(name)
