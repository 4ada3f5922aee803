"""Look and feel shared by the Team app and the diary server: stylesheet, icon, macros.

Both programs serve ``ui/static`` under ``/ui/`` and load ``ui/templates`` after their own
templates, so one design system serves both without copies.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask
from jinja2 import ChoiceLoader, FileSystemLoader

UI_DIR = Path(__file__).resolve().parent
ICON_PNG = UI_DIR / "static" / "icon-256.png"


def install(app: Flask) -> None:
    """Serve the shared assets at /ui/ and make the shared templates loadable."""
    bp = Blueprint("ui", __name__, static_folder=str(UI_DIR / "static"), static_url_path="/ui")
    app.register_blueprint(bp)
    loaders = [loader for loader in (app.jinja_loader,) if loader is not None]
    app.jinja_loader = ChoiceLoader([*loaders, FileSystemLoader(str(UI_DIR / "templates"))])
