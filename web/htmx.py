"""Render a template block alone for htmx, or the whole page otherwise.

The same block is part of the page and the fragment htmx swaps in (the contact-app pattern),
so there is one copy of each piece of markup.
"""

from __future__ import annotations

from flask import render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """A request made by htmx for a fragment (boosted links want whole pages)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(template: str, block: str, **context) -> str:
    if is_htmx():
        return render_block(template, block, **context)
    return render_template(template, **context)
