"""Render a template block alone for htmx, or the whole page otherwise.

The same block is part of the page and the fragment htmx swaps in (the contact-app pattern),
so there is one copy of each piece of markup.
"""

from __future__ import annotations

from flask import render_template
from jinja2_fragments.flask import render_block

from ui.diary_store import is_htmx

__all__ = ["is_htmx", "render"]


def render(template: str, block: str, **context) -> str:
    if is_htmx():
        return render_block(template, block, **context)
    return render_template(template, **context)
